package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ByteSink;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventChecksum;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.event.Heartbeat;
import dev.binlogproxy.binlog.event.MariaGtidList;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.binlog.position.MariaGtid;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The events a dump sends that are in no file, and the one event it rewrites, laid out as MySQL 8.0.15 and
 * MariaDB 10.11 send them (compared field by field with captured dumps in the tests).
 */
final class FakeEvents {
    /** create_timestamp in an FDE: after the 19-byte header, binlog_version (2) and server_version (50). */
    private static final int FDE_CREATED_OFFSET = BinlogEvent.HEADER_LENGTH + 2 + 50;
    /** MySQL Heartbeat_event_v2 field codes. */
    private static final int HB2_END = 0;
    private static final int HB2_FILE = 1;
    private static final int HB2_POSITION = 2;

    private FakeEvents() {
    }

    /** ROTATE at the start of every file: timestamp 0, log_pos 0, ARTIFICIAL, the master's server_id. */
    static byte[] rotate(long serverId, String file, long position, ChecksumAlgorithm checksum) {
        return Rotate.artificial(serverId, file, position).encode(checksum);
    }

    /** HEARTBEAT (27): timestamp 0, flags 0, log_pos = the current end position, body = the current file. */
    static byte[] heartbeat(long serverId, String file, long position, ChecksumAlgorithm checksum) {
        return Heartbeat.of(serverId, file, Math.min(position, 0xFFFF_FFFFL)).encode(checksum);
    }

    /**
     * HEARTBEAT_V2 (41, MySQL 8.0.26+): the position does not fit the 4-byte header field of large files, so the
     * body carries file and position as type-length-value fields (packed integers), ended by a 0 mark.
     */
    static byte[] heartbeatV2(long serverId, String file, long position, ChecksumAlgorithm checksum) {
        byte[] name = file.getBytes(StandardCharsets.ISO_8859_1);
        ByteSink body = new ByteSink()
                .packedInt(HB2_FILE).packedInt(name.length).bytes(name)
                .packedInt(HB2_POSITION).packedInt(new ByteSink().packedInt(position).size()).packedInt(position)
                .packedInt(HB2_END);
        EventHeader h = new EventHeader(0, EventType.HEARTBEAT_V2.code(), serverId, 0, 0);
        return EventEncoder.encode(h, body.toByteArray(), checksum);
    }

    /**
     * MariaDB's fake GTID_LIST after a run of skipped groups: timestamp 0, ARTIFICIAL, log_pos = where sending
     * resumes, and the binlog state reached there.
     */
    static byte[] gtidList(long serverId, long logPos, List<MariaGtid> state, ChecksumAlgorithm checksum) {
        EventHeader h = new EventHeader(0, EventType.MARIA_GTID_LIST.code(), serverId, Math.min(logPos, 0xFFFF_FFFFL),
                EventFlags.ARTIFICIAL);
        return new MariaGtidList(h, 0, state, new byte[0]).encode(checksum);
    }

    /**
     * The file's FORMAT_DESCRIPTION as a dump sends it: IN_USE cleared (the file may still be open); when the dump
     * starts past position 4 also log_pos 0 (so the replica does not take it as its position) and
     * create_timestamp 0 (a non-zero one tells a replica the master restarted, and it drops its temporary
     * tables). The CRC is recomputed in the one place that does it.
     */
    static byte[] formatDescription(FormatDescription fde, boolean midFile) {
        byte[] b = fde.encode();
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int flags = Short.toUnsignedInt(bb.getShort(BinlogEvent.FLAGS_OFFSET)) & ~EventFlags.BINLOG_IN_USE;
        bb.putShort(BinlogEvent.FLAGS_OFFSET, (short) flags);
        if (midFile) {
            bb.putInt(13, 0);
            bb.putInt(FDE_CREATED_OFFSET, 0);
        }
        if (fde.checksumAware()) {
            EventChecksum.writeTrailer(b, 0, b.length);
        }
        return b;
    }
}
