package dev.binlogproxy.binlog.event;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ByteSink;
import dev.binlogproxy.binlog.Bytes;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;

/**
 * HEARTBEAT_LOG_EVENT (27), v1: never in a file; a master sends it on an idle dump. Header log_pos is the current
 * end position in {@link #logFile()}; the body is the file name. Timestamp 0 and flags 0, as MySQL 8.0.15 and
 * MariaDB 10.11 send it (seen on both: no ARTIFICIAL flag). HEARTBEAT_V2 (41) is {@link HeartbeatV2}.
 */
public record Heartbeat(EventHeader header, String logFile) {
    public static Heartbeat decode(BinlogEvent event, ChecksumAlgorithm checksum) {
        Events.requireType(event, EventType.HEARTBEAT);
        Bytes in = new Bytes(event.body(checksum), "HEARTBEAT body");
        return new Heartbeat(EventHeader.of(event), in.latin1(in.remaining(), "log file name"));
    }

    public static Heartbeat of(long serverId, String file, long position) {
        return new Heartbeat(new EventHeader(0, EventType.HEARTBEAT.code(), serverId, position, 0), file);
    }

    public long position() {
        return header.logPos();
    }

    public byte[] encode(ChecksumAlgorithm checksum) {
        return EventEncoder.encode(header, new ByteSink().latin1(logFile).toByteArray(), checksum);
    }
}
