package dev.binlogproxy.binlog.event;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ByteSink;
import dev.binlogproxy.binlog.Bytes;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.position.MariaGtid;

import java.util.Arrays;

/**
 * MariaDB GTID_EVENT (162): starts every event group; it replaces the BEGIN query. The GTID's server_id is the
 * header's server_id.
 *
 * <p>Layout (seen on 10.11): seq_no (8), domain_id (4), flags2 (1); commit_id (8) if FL_GROUP_COMMIT_ID; if the
 * group is an XA transaction (FL_PREPARED_XA or FL_COMPLETED_XA) the XID follows: formatID (4), gtrid_length (1),
 * bqual_length (1), data. The rest (zero padding to 19 bytes for plain groups, the extra-engines flags of 10.x) is
 * kept raw so the event round-trips.
 */
public record MariaGtidEvent(EventHeader header, long seqNo, long domainId, int flags2, long commitId,
                             long xaFormatId, byte[] xaGtrid, byte[] xaBqual, byte[] trailing) {
    public static final int FL_STANDALONE = 0x01;
    public static final int FL_GROUP_COMMIT_ID = 0x02;
    public static final int FL_TRANSACTIONAL = 0x04;
    public static final int FL_ALLOW_PARALLEL = 0x08;
    public static final int FL_WAITED = 0x10;
    public static final int FL_DDL = 0x20;
    public static final int FL_PREPARED_XA = 0x40;
    public static final int FL_COMPLETED_XA = 0x80;

    public MariaGtidEvent {
        xaGtrid = xaGtrid.clone();
        xaBqual = xaBqual.clone();
        trailing = trailing.clone();
    }

    public static MariaGtidEvent decode(BinlogEvent event, ChecksumAlgorithm checksum) {
        Events.requireType(event, EventType.MARIA_GTID);
        Bytes in = new Bytes(event.body(checksum), "MariaDB GTID body");
        long seq = in.u64("seq_no");
        long domain = in.u32("domain_id");
        int flags2 = in.u8("flags2");
        long commitId = (flags2 & FL_GROUP_COMMIT_ID) != 0 ? in.u64("commit_id") : -1;
        long formatId = -1;
        byte[] gtrid = new byte[0];
        byte[] bqual = new byte[0];
        if ((flags2 & (FL_PREPARED_XA | FL_COMPLETED_XA)) != 0) {
            formatId = in.u32("XA formatID");
            int gl = in.u8("XA gtrid_length");
            int bl = in.u8("XA bqual_length");
            if (gl > 64 || bl > 64) {
                throw in.malformed("XA gtrid/bqual lengths " + gl + "/" + bl + " (expected: <= 64 each)");
            }
            gtrid = in.bytes(gl, "XA gtrid");
            bqual = in.bytes(bl, "XA bqual");
        }
        return new MariaGtidEvent(EventHeader.of(event), seq, domain, flags2, commitId, formatId, gtrid, bqual,
                in.rest());
    }

    /**
     * The GTID read in place, with the body checked as {@link #decode} checks it: the archive needs only the GTID
     * of every transaction, and decoding the whole event (header, body view, XID arrays) for it was most of what a
     * small transaction allocated. XA groups (an XID after the flags) are read in place too, with decode's checks
     * of the XID's lengths: decoding them was a tenth of the archive's appends of a stream of XA transactions.
     *
     * @throws MalformedEventException if the body is shorter than its flags say
     */
    public static MariaGtid gtidOf(BinlogEvent event, ChecksumAlgorithm checksum) {
        Events.requireType(event, EventType.MARIA_GTID);
        int body = event.eventSize() - checksum.trailerLength() - BinlogEvent.HEADER_LENGTH;
        // seq_no 8, domain_id 4, flags2 1, then commit_id 8 if flagged, then the XID if flagged: anything that is
        // not all there, refusals included, is decode's.
        if (body >= 13) {
            int at = BinlogEvent.HEADER_LENGTH;
            int flags2 = event.u8(at + 12);
            int need = (flags2 & FL_GROUP_COMMIT_ID) != 0 ? 21 : 13;
            if ((flags2 & (FL_PREPARED_XA | FL_COMPLETED_XA)) != 0 && body >= need + 6) {
                // formatID 4, gtrid_length 1, bqual_length 1, then both parts
                int gl = event.u8(at + need + 4);
                int bl = event.u8(at + need + 5);
                need = gl > 64 || bl > 64 ? Integer.MAX_VALUE : need + 6 + gl + bl;
            } else if ((flags2 & (FL_PREPARED_XA | FL_COMPLETED_XA)) != 0) {
                need = Integer.MAX_VALUE;
            }
            if (body >= need) {
                return new MariaGtid(event.u32(at + 8), event.serverId(), event.i64(at));
            }
        }
        return decode(event, checksum).gtid();
    }

    /** flags2 read in place (the boundary detector needs only the STANDALONE bit, for every group). */
    public static int flags2Of(BinlogEvent event, ChecksumAlgorithm checksum) {
        Events.requireType(event, EventType.MARIA_GTID);
        if (event.eventSize() - checksum.trailerLength() - BinlogEvent.HEADER_LENGTH < 13) {
            throw new dev.binlogproxy.binlog.MalformedEventException("MariaDB GTID body truncated: need 13 bytes for "
                    + "seq_no, domain_id and flags2");
        }
        return event.u8(BinlogEvent.HEADER_LENGTH + 12);
    }

    public MariaGtid gtid() {
        return new MariaGtid(domainId, header.serverId(), seqNo);
    }

    private boolean isXa() {
        return (flags2 & (FL_PREPARED_XA | FL_COMPLETED_XA)) != 0;
    }

    @Override
    public byte[] xaGtrid() {
        return xaGtrid.clone();
    }

    @Override
    public byte[] xaBqual() {
        return xaBqual.clone();
    }

    @Override
    public byte[] trailing() {
        return trailing.clone();
    }

    public byte[] encode(ChecksumAlgorithm checksum) {
        ByteSink out = new ByteSink().u64(seqNo).u32(domainId).u8(flags2);
        if ((flags2 & FL_GROUP_COMMIT_ID) != 0) {
            out.u64(commitId);
        }
        if (isXa()) {
            out.u32(xaFormatId).u8(xaGtrid.length).u8(xaBqual.length).bytes(xaGtrid).bytes(xaBqual);
        }
        out.bytes(trailing);
        return EventEncoder.encode(header, out.toByteArray(), checksum);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MariaGtidEvent g && header.equals(g.header) && seqNo == g.seqNo
                && domainId == g.domainId && flags2 == g.flags2 && commitId == g.commitId
                && xaFormatId == g.xaFormatId && Arrays.equals(xaGtrid, g.xaGtrid)
                && Arrays.equals(xaBqual, g.xaBqual) && Arrays.equals(trailing, g.trailing);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(seqNo) * 31 + Long.hashCode(domainId);
    }

    @Override
    public String toString() {
        return "MariaGtid[" + gtid() + " flags2=0x" + Integer.toHexString(flags2) + "]";
    }
}
