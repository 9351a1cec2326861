package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.binlog.ByteSink;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.event.Heartbeat;
import dev.binlogproxy.binlog.event.HeartbeatV2;
import dev.binlogproxy.binlog.event.MariaGtidList;
import dev.binlogproxy.binlog.event.Query;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.binlog.position.MariaGtid;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The events a dump sends that are in no file, and the events it rewrites, laid out as MySQL 8.0.15 and MariaDB
 * 10.11 send them (compared field by field with captured dumps in the tests). Every one is built from typed
 * header and body values ({@link EventHeader}, the records of {@code binlog.event}) by {@link EventEncoder}, which
 * computes the CRC: nothing here writes into event bytes.
 */
final class FakeEvents {
    /** Largest log_pos a v4 header holds; positions past it are cut, as the masters cut them. */
    private static final long MAX_LOG_POS = 0xFFFF_FFFFL;

    private FakeEvents() {
    }

    /** ROTATE at the start of every file: timestamp 0, log_pos 0, ARTIFICIAL, the master's server_id. */
    static byte[] rotate(long serverId, String file, long position, ChecksumAlgorithm checksum) {
        return Rotate.artificial(serverId, file, position).encode(checksum);
    }

    /** HEARTBEAT (27): timestamp 0, flags 0, log_pos = the current end position, body = the current file. */
    static byte[] heartbeat(long serverId, String file, long position, ChecksumAlgorithm checksum) {
        return Heartbeat.of(serverId, file, Math.min(position, MAX_LOG_POS)).encode(checksum);
    }

    /** HEARTBEAT_V2 (41, MySQL 8.0.26+): file and position in the body, for positions past 4 GiB. */
    static byte[] heartbeatV2(long serverId, String file, long position, ChecksumAlgorithm checksum) {
        return HeartbeatV2.of(serverId, file, position).encode(checksum);
    }

    /**
     * MariaDB's fake GTID_LIST after a run of skipped groups: timestamp 0, ARTIFICIAL, log_pos = where sending
     * resumes, and the binlog state reached there.
     */
    static byte[] gtidList(long serverId, long logPos, List<MariaGtid> state, ChecksumAlgorithm checksum) {
        return MariaGtidList.artificial(serverId, Math.min(logPos, MAX_LOG_POS), state).encode(checksum);
    }

    /** Shortest event MariaDB can replace by a dummy USER_VAR ("!" = NULL), without CRC. */
    private static final int MIN_DUMMY_USER_VAR = BinlogEvent.HEADER_LENGTH + 4 + 1 + 1;
    /** Shortest event MariaDB replaces by a dummy QUERY (a comment), without CRC. */
    private static final int MIN_DUMMY_QUERY = BinlogEvent.HEADER_LENGTH + 13 + 1 + 1;
    private static final int MARIA_GTID_BODY = 19;
    /** QUERY status variable Q_TIME_ZONE_CODE, here with an empty value: two bytes that fill a longer GTID body. */
    private static final byte[] EMPTY_TIME_ZONE = {5, 0};

    /**
     * MariaDB's stand-in for an event an old replica (a low @mariadb_slave_capability) cannot handle, same size and
     * header so positions stay right: a QUERY holding the comment "# Dummy event replacing event type N that slave
     * cannot handle." (cut or padded with blanks to fit), or, for events too short for that, a USER_VAR setting
     * "!..." to NULL. THREAD_SPECIFIC cleared, SUPPRESS_USE set. Built from the header alone.
     *
     * @return null if the event is too short even for the USER_VAR form
     */
    static byte[] dummy(EventHeader original, int eventSize, ChecksumAlgorithm checksum) {
        int dataLen = eventSize - checksum.trailerLength();
        if (dataLen < MIN_DUMMY_USER_VAR) {
            return null;
        }
        if (dataLen < MIN_DUMMY_QUERY) {
            // name length (4), name, is_null (1)
            int nameLen = dataLen - (MIN_DUMMY_USER_VAR - 1);
            byte[] name = "!dummyvar".substring(0, nameLen).getBytes(StandardCharsets.ISO_8859_1);
            byte[] body = new ByteSink().u32(nameLen).bytes(name).u8(1).toByteArray();
            return EventEncoder.encode(standIn(original, EventType.USER_VAR), body, checksum);
        }
        byte[] msg = ("# Dummy event replacing event type " + original.typeCode() + " that slave cannot handle.")
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] comment = new byte[dataLen - (MIN_DUMMY_QUERY - 1)];
        for (int i = 0; i < comment.length; i++) {
            comment[i] = i < msg.length ? msg[i] : (byte) ' ';
        }
        return new Query(standIn(original, EventType.QUERY), 0, 0, 0, new byte[0], new byte[0], comment)
                .encode(checksum);
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
        byte[] statusVars = body == MARIA_GTID_BODY ? new byte[0] : EMPTY_TIME_ZONE;
        return new Query(standIn(EventHeader.of(gtid), EventType.QUERY), 0, 0, 0, statusVars, new byte[0],
                "BEGIN".getBytes(StandardCharsets.ISO_8859_1)).encode(checksum);
    }

    /** The original's header with the stand-in's type, THREAD_SPECIFIC cleared and SUPPRESS_USE set. */
    private static EventHeader standIn(EventHeader original, EventType type) {
        return original.withTypeCode(type.code())
                .withFlags((original.flags() & ~EventFlags.THREAD_SPECIFIC) | EventFlags.SUPPRESS_USE);
    }

    /**
     * The file's FORMAT_DESCRIPTION as a dump sends it: IN_USE cleared (the file may still be open); when the dump
     * starts past position 4 also log_pos 0 (so the replica does not take it as its position) and
     * create_timestamp 0 (a non-zero one tells a replica the master restarted, and it drops its temporary
     * tables). GTID dumps (both flavors) clear create_timestamp in the first file too, even from 4.
     */
    static byte[] formatDescription(FormatDescription fde, boolean midFile, boolean clearCreated) {
        EventHeader h = fde.header().withFlags(fde.header().flags() & ~EventFlags.BINLOG_IN_USE);
        FormatDescription sent = fde.withHeader(midFile ? h.withLogPos(0) : h);
        if (midFile || clearCreated) {
            sent = sent.withCreateTimestamp(0);
        }
        // Both masters recompute the FDE's CRC only when the binlog is CRC32; with NONE the trailer (which every
        // FDE has) keeps the file's value, stale after the rewrite, and no client checks it.
        return fde.checksumAlgorithm() == ChecksumAlgorithm.CRC32 ? sent.encode() : sent.encodeWithCrcOf(fde);
    }
}
