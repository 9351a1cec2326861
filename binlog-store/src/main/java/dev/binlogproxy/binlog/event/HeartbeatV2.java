package dev.binlogproxy.binlog.event;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ByteSink;
import dev.binlogproxy.binlog.Bytes;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;

/**
 * HEARTBEAT_LOG_EVENT_V2 (41, MySQL 8.0.26+): a v1 {@link Heartbeat} carries the position in the 4-byte header
 * log_pos, too small past 4 GiB, so v2 puts file and position in the body as type-length-value fields, each
 * type and length a packed integer: 1 = file name, 2 = position (a packed integer itself), 0 = end (no length).
 * Header: timestamp 0, log_pos 0, flags 0. A master sends it only to a replica that sets dump flag 0x02.
 * Fields of unknown types are skipped when decoding, as a replica does.
 */
public record HeartbeatV2(EventHeader header, String logFile, long position) {
    private static final int FIELD_END = 0;
    private static final int FIELD_FILE = 1;
    private static final int FIELD_POSITION = 2;

    public static HeartbeatV2 of(long serverId, String file, long position) {
        return new HeartbeatV2(new EventHeader(0, EventType.HEARTBEAT_V2.code(), serverId, 0, 0), file, position);
    }

    public static HeartbeatV2 decode(BinlogEvent event, ChecksumAlgorithm checksum) {
        Events.requireType(event, EventType.HEARTBEAT_V2);
        Bytes in = new Bytes(event.body(checksum), "HEARTBEAT_V2 body");
        String file = null;
        Long position = null;
        while (true) {
            int type = (int) in.packedInt("field type");
            if (type == FIELD_END) {
                break;
            }
            int length = (int) in.packedInt("field length");
            if (type == FIELD_FILE) {
                file = in.latin1(length, "log file name");
            } else if (type == FIELD_POSITION) {
                int before = in.position();
                position = in.packedInt("position");
                if (in.position() - before != length) {
                    throw in.malformed("position field length " + length + " (expected: " + (in.position() - before)
                            + ")");
                }
            } else {
                in.skip(length, "field " + type);
            }
        }
        if (file == null || position == null) {
            throw in.malformed("no " + (file == null ? "log file name" : "position") + " field");
        }
        return new HeartbeatV2(EventHeader.of(event), file, position);
    }

    public byte[] encode(ChecksumAlgorithm checksum) {
        byte[] name = new ByteSink().latin1(logFile).toByteArray();
        ByteSink body = new ByteSink()
                .packedInt(FIELD_FILE).packedInt(name.length).bytes(name)
                .packedInt(FIELD_POSITION).packedInt(new ByteSink().packedInt(position).size()).packedInt(position)
                .packedInt(FIELD_END);
        return EventEncoder.encode(header, body.toByteArray(), checksum);
    }
}
