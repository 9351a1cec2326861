package dev.binlogproxy.binlog.event;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ByteSink;
import dev.binlogproxy.binlog.Bytes;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.position.MySqlGtid;

import java.util.Arrays;
import java.util.UUID;

/**
 * MySQL GTID_LOG_EVENT (33) and ANONYMOUS_GTID_LOG_EVENT (34): the first event of every transaction MySQL 5.7+
 * writes.
 *
 * <p>Layout (8.0): commit flag (1), source UUID (16, as written), gno (8); then, each part present only if the
 * writer was new enough: logical-clock type (1, = 2) + last_committed (8) + sequence_number (8);
 * immediate_commit_timestamp (7; bit 55 set means original_commit_timestamp (7) follows, else it equals the
 * immediate one); transaction_length (packed int); immediate_server_version (4; bit 31 set means
 * original_server_version (4) follows). Anything after that is kept raw so newer servers round-trip.
 * Absent numeric parts are -1.
 */
public record MySqlGtidEvent(EventHeader header, int commitFlag, UUID sourceId, long gno, boolean hasLogicalClock,
                             long lastCommitted, long sequenceNumber, long immediateCommitTimestamp,
                             long originalCommitTimestamp, long transactionLength, long immediateServerVersion,
                             long originalServerVersion, byte[] trailing) {
    private static final long COMMIT_TS_ORIGINAL_FOLLOWS = 1L << 55;
    private static final long SERVER_VERSION_ORIGINAL_FOLLOWS = 1L << 31;
    private static final int LOGICAL_CLOCK_TYPE = 2;

    public MySqlGtidEvent {
        trailing = trailing.clone();
    }

    public static MySqlGtidEvent decode(BinlogEvent event, ChecksumAlgorithm checksum) {
        Events.requireType(event, EventType.GTID, EventType.ANONYMOUS_GTID);
        Bytes in = new Bytes(event.body(checksum), event.type() + " body");
        int flag = in.u8("commit flag");
        UUID sid = uuid(in.bytes(16, "source id"));
        long gno = in.u64("gno");
        boolean lc = false;
        long lastCommitted = -1;
        long seq = -1;
        long immediateTs = -1;
        long originalTs = -1;
        long txLen = -1;
        long immediateVer = -1;
        long originalVer = -1;
        if (in.remaining() > 0) {
            int lt = in.u8("logical clock type");
            if (lt != LOGICAL_CLOCK_TYPE) {
                throw in.malformed("logical clock type " + lt + " (expected: " + LOGICAL_CLOCK_TYPE + ")");
            }
            lc = true;
            lastCommitted = in.u64("last_committed");
            seq = in.u64("sequence_number");
        }
        if (in.remaining() > 0) {
            immediateTs = in.uint(7, "immediate_commit_timestamp");
            if ((immediateTs & COMMIT_TS_ORIGINAL_FOLLOWS) != 0) {
                immediateTs &= ~COMMIT_TS_ORIGINAL_FOLLOWS;
                originalTs = in.uint(7, "original_commit_timestamp");
            } else {
                originalTs = immediateTs;
            }
            if (in.remaining() > 0) {
                txLen = in.packedInt("transaction_length");
            }
            if (in.remaining() > 0) {
                immediateVer = in.u32("immediate_server_version");
                if ((immediateVer & SERVER_VERSION_ORIGINAL_FOLLOWS) != 0) {
                    immediateVer &= ~SERVER_VERSION_ORIGINAL_FOLLOWS;
                    originalVer = in.u32("original_server_version");
                } else {
                    originalVer = immediateVer;
                }
            }
        }
        return new MySqlGtidEvent(EventHeader.of(event), flag, sid, gno, lc, lastCommitted, seq, immediateTs,
                originalTs, txLen, immediateVer, originalVer, in.rest());
    }

    boolean isAnonymous() {
        return header.typeCode() == EventType.ANONYMOUS_GTID.code();
    }

    /** The GTID, or null for an anonymous transaction. */
    public MySqlGtid gtid() {
        return isAnonymous() ? null : new MySqlGtid(sourceId, gno);
    }

    @Override
    public byte[] trailing() {
        return trailing.clone();
    }

    public byte[] encode(ChecksumAlgorithm checksum) {
        ByteSink out = new ByteSink().u8(commitFlag).bytes(uuidBytes(sourceId)).u64(gno);
        if (hasLogicalClock) {
            out.u8(LOGICAL_CLOCK_TYPE).u64(lastCommitted).u64(sequenceNumber);
        }
        if (immediateCommitTimestamp >= 0) {
            if (originalCommitTimestamp != immediateCommitTimestamp) {
                out.uint(immediateCommitTimestamp | COMMIT_TS_ORIGINAL_FOLLOWS, 7).uint(originalCommitTimestamp, 7);
            } else {
                out.uint(immediateCommitTimestamp, 7);
            }
            if (transactionLength >= 0) {
                out.packedInt(transactionLength);
            }
            if (immediateServerVersion >= 0) {
                if (originalServerVersion != immediateServerVersion) {
                    out.u32(immediateServerVersion | SERVER_VERSION_ORIGINAL_FOLLOWS).u32(originalServerVersion);
                } else {
                    out.u32(immediateServerVersion);
                }
            }
        }
        out.bytes(trailing);
        return EventEncoder.encode(header, out.toByteArray(), checksum);
    }

    static UUID uuid(byte[] b) {
        long msb = 0;
        long lsb = 0;
        for (int i = 0; i < 8; i++) {
            msb = (msb << 8) | (b[i] & 0xFF);
            lsb = (lsb << 8) | (b[i + 8] & 0xFF);
        }
        return new UUID(msb, lsb);
    }

    static byte[] uuidBytes(UUID u) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (u.getMostSignificantBits() >>> (56 - 8 * i));
            b[i + 8] = (byte) (u.getLeastSignificantBits() >>> (56 - 8 * i));
        }
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MySqlGtidEvent g && header.equals(g.header) && commitFlag == g.commitFlag
                && sourceId.equals(g.sourceId) && gno == g.gno && hasLogicalClock == g.hasLogicalClock
                && lastCommitted == g.lastCommitted && sequenceNumber == g.sequenceNumber
                && immediateCommitTimestamp == g.immediateCommitTimestamp
                && originalCommitTimestamp == g.originalCommitTimestamp && transactionLength == g.transactionLength
                && immediateServerVersion == g.immediateServerVersion
                && originalServerVersion == g.originalServerVersion && Arrays.equals(trailing, g.trailing);
    }

    @Override
    public int hashCode() {
        return sourceId.hashCode() * 31 + Long.hashCode(gno);
    }

    @Override
    public String toString() {
        return (isAnonymous() ? "AnonymousGtid" : "Gtid[" + sourceId + ":" + gno + "]") + " last_committed="
                + lastCommitted + " seq=" + sequenceNumber;
    }
}
