package dev.binlogproxy.binlog.event;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ByteSink;
import dev.binlogproxy.binlog.Bytes;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;

/**
 * MariaDB BINLOG_CHECKPOINT_EVENT (161): the oldest binlog file crash recovery still needs;
 * binlog_file_length (4) + name.
 */
public record MariaBinlogCheckpoint(EventHeader header, String file) {
    public static MariaBinlogCheckpoint decode(BinlogEvent event, ChecksumAlgorithm checksum) {
        Events.requireType(event, EventType.MARIA_BINLOG_CHECKPOINT);
        Bytes in = new Bytes(event.body(checksum), "BINLOG_CHECKPOINT body");
        long len = in.u32("binlog_file_length");
        if (len != in.remaining()) {
            throw in.malformed("file name length " + len + " but " + in.remaining() + " bytes left");
        }
        return new MariaBinlogCheckpoint(EventHeader.of(event), in.latin1((int) len, "file name"));
    }

    public byte[] encode(ChecksumAlgorithm checksum) {
        byte[] name = file.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        return EventEncoder.encode(header, new ByteSink().u32(name.length).bytes(name).toByteArray(), checksum);
    }
}
