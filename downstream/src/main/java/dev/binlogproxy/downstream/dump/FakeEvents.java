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

    /** Shortest event MariaDB can replace by a dummy USER_VAR ("!" = NULL), without CRC. */
    private static final int MIN_DUMMY_USER_VAR = BinlogEvent.HEADER_LENGTH + 4 + 1 + 1;
    /** Shortest event MariaDB replaces by a dummy QUERY (a comment), without CRC. */
    private static final int MIN_DUMMY_QUERY = BinlogEvent.HEADER_LENGTH + 13 + 1 + 1;
    private static final int QUERY_POST_HEADER = 13;
    private static final int MARIA_GTID_BODY = 19;

    /**
     * MariaDB's stand-in for an event an old replica (a low @mariadb_slave_capability) cannot handle, same size and
     * header so positions stay right: a QUERY holding the comment "# Dummy event replacing event type N that slave
     * cannot handle." (cut or padded with blanks to fit), or, for events too short for that, a USER_VAR setting
     * "!..." to NULL. THREAD_SPECIFIC cleared, SUPPRESS_USE set, CRC recomputed. Built from the header alone.
     *
     * @return null if the event is too short even for the USER_VAR form
     */
    static byte[] dummy(byte[] header, int eventSize, ChecksumAlgorithm checksum) {
        int dataLen = eventSize - checksum.trailerLength();
        if (dataLen < MIN_DUMMY_USER_VAR) {
            return null;
        }
        byte[] b = new byte[eventSize];
        System.arraycopy(header, 0, b, 0, BinlogEvent.HEADER_LENGTH);
        int oldType = Byte.toUnsignedInt(header[4]);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        suppressUse(bb);
        int q = BinlogEvent.HEADER_LENGTH;
        if (dataLen < MIN_DUMMY_QUERY) {
            byte[] name = "!dummyvar".getBytes(StandardCharsets.ISO_8859_1);
            int nameLen = dataLen - (MIN_DUMMY_USER_VAR - 1);
            b[4] = (byte) EventType.USER_VAR.code();
            bb.putInt(q, nameLen);
            System.arraycopy(name, 0, b, q + 4, nameLen);
            b[q + 4 + nameLen] = 1; // is_null
        } else {
            b[4] = (byte) EventType.QUERY.code();
            // thread_id, exec_time, db_len, error_code, status_vars_len: all 0; then the empty db's NUL
            int text = q + QUERY_POST_HEADER + 1;
            byte[] msg = ("# Dummy event replacing event type " + oldType + " that slave cannot handle.")
                    .getBytes(StandardCharsets.ISO_8859_1);
            int commentLen = dataLen - (MIN_DUMMY_QUERY - 1);
            for (int i = 0; i < commentLen; i++) {
                b[text + i] = i < msg.length ? msg[i] : (byte) ' ';
            }
        }
        return finish(b, checksum);
    }

    /**
     * MariaDB's rewrite of a GTID event for a replica without GTID capability: a BEGIN query of the same size (a
     * GTID with a 2-byte longer body gets an empty time_zone status variable to fill them).
     *
     * @return null if the GTID body has neither length (MariaDB then refuses the dump)
     */
    static byte[] beginInsteadOfGtid(BinlogEvent gtid, ChecksumAlgorithm checksum) {
        int body = gtid.eventSize() - checksum.trailerLength() - BinlogEvent.HEADER_LENGTH;
        if (body != MARIA_GTID_BODY && body != MARIA_GTID_BODY + 2) {
            return null;
        }
        byte[] b = gtid.toByteArray();
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        suppressUse(bb);
        b[4] = (byte) EventType.QUERY.code();
        int q = BinlogEvent.HEADER_LENGTH;
        java.util.Arrays.fill(b, q, q + QUERY_POST_HEADER, (byte) 0);
        int text;
        if (body == MARIA_GTID_BODY) {
            b[q + QUERY_POST_HEADER] = 0;
            text = q + QUERY_POST_HEADER + 1;
        } else {
            bb.putShort(q + 11, (short) 2);
            b[q + QUERY_POST_HEADER] = 5; // Q_TIME_ZONE_CODE
            b[q + QUERY_POST_HEADER + 1] = 0;
            b[q + QUERY_POST_HEADER + 2] = 0;
            text = q + QUERY_POST_HEADER + 3;
        }
        System.arraycopy("BEGIN".getBytes(StandardCharsets.ISO_8859_1), 0, b, text, 5);
        return finish(b, checksum);
    }

    private static void suppressUse(ByteBuffer bb) {
        int flags = Short.toUnsignedInt(bb.getShort(BinlogEvent.FLAGS_OFFSET));
        flags = (flags & ~EventFlags.THREAD_SPECIFIC) | EventFlags.SUPPRESS_USE;
        bb.putShort(BinlogEvent.FLAGS_OFFSET, (short) flags);
    }

    private static byte[] finish(byte[] b, ChecksumAlgorithm checksum) {
        if (checksum == ChecksumAlgorithm.CRC32) {
            EventChecksum.writeTrailer(b, 0, b.length);
        }
        return b;
    }

    /**
     * The file's FORMAT_DESCRIPTION as a dump sends it: IN_USE cleared (the file may still be open); when the dump
     * starts past position 4 also log_pos 0 (so the replica does not take it as its position) and
     * create_timestamp 0 (a non-zero one tells a replica the master restarted, and it drops its temporary
     * tables). GTID dumps (both flavors) clear create_timestamp in the first file too, even from 4. The CRC is
     * recomputed in the one place that does it, for CRC32 binlogs.
     */
    static byte[] formatDescription(FormatDescription fde, boolean midFile, boolean clearCreated) {
        byte[] b = fde.encode();
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int flags = Short.toUnsignedInt(bb.getShort(BinlogEvent.FLAGS_OFFSET)) & ~EventFlags.BINLOG_IN_USE;
        bb.putShort(BinlogEvent.FLAGS_OFFSET, (short) flags);
        if (midFile) {
            bb.putInt(13, 0);
        }
        if (midFile || clearCreated) {
            bb.putInt(FDE_CREATED_OFFSET, 0);
        }
        // Both masters recompute the FDE's CRC only when the binlog is CRC32; with NONE the trailer (which every
        // FDE has) keeps the file's value, stale after the rewrite, and no client checks it.
        if (fde.checksumAlgorithm() == ChecksumAlgorithm.CRC32) {
            EventChecksum.writeTrailer(b, 0, b.length);
        }
        return b;
    }
}
