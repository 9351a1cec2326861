package dev.binlogproxy.binlog.event;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ByteSink;
import dev.binlogproxy.binlog.Bytes;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;

import java.util.Arrays;

/**
 * XA_PREPARE_LOG_EVENT (38), both flavors: one_phase (1), formatID (4), gtrid_length (4), bqual_length (4), then
 * gtrid and bqual. It ends the prepared half of an XA transaction (XA START ... XA END, XA PREPARE).
 */
public record XaPrepare(EventHeader header, boolean onePhase, long formatId, byte[] gtrid, byte[] bqual) {
    public XaPrepare {
        gtrid = gtrid.clone();
        bqual = bqual.clone();
    }

    public static XaPrepare decode(BinlogEvent event, ChecksumAlgorithm checksum) {
        Events.requireType(event, EventType.XA_PREPARE);
        Bytes in = new Bytes(event.body(checksum), "XA_PREPARE body");
        int onePhase = in.u8("one_phase");
        long formatId = in.u32("formatID");
        long gtridLen = in.u32("gtrid_length");
        long bqualLen = in.u32("bqual_length");
        if (gtridLen > 64 || bqualLen > 64) {
            throw in.malformed("gtrid/bqual lengths " + gtridLen + "/" + bqualLen + " (expected: <= 64 each)");
        }
        byte[] gtrid = in.bytes((int) gtridLen, "gtrid");
        byte[] bqual = in.bytes((int) bqualLen, "bqual");
        if (in.remaining() != 0) {
            throw in.malformed(in.remaining() + " unexpected trailing bytes");
        }
        return new XaPrepare(EventHeader.of(event), onePhase != 0, formatId, gtrid, bqual);
    }

    @Override
    public byte[] gtrid() {
        return gtrid.clone();
    }

    @Override
    public byte[] bqual() {
        return bqual.clone();
    }

    public byte[] encode(ChecksumAlgorithm checksum) {
        ByteSink out = new ByteSink().u8(onePhase ? 1 : 0).u32(formatId).u32(gtrid.length).u32(bqual.length)
                .bytes(gtrid).bytes(bqual);
        return EventEncoder.encode(header, out.toByteArray(), checksum);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof XaPrepare x && header.equals(x.header) && onePhase == x.onePhase
                && formatId == x.formatId && Arrays.equals(gtrid, x.gtrid) && Arrays.equals(bqual, x.bqual);
    }

    @Override
    public int hashCode() {
        return header.hashCode() * 31 + Arrays.hashCode(gtrid);
    }
}
