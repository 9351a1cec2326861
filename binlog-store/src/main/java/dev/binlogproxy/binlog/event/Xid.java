package dev.binlogproxy.binlog.event;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ByteSink;
import dev.binlogproxy.binlog.Bytes;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;

/** XID_EVENT (16): the commit of a transactional (InnoDB) transaction; body is the 8-byte XA xid. */
public record Xid(EventHeader header, long xid) {
    public static Xid decode(BinlogEvent event, ChecksumAlgorithm checksum) {
        Events.requireType(event, EventType.XID);
        Bytes in = new Bytes(event.body(checksum), "XID body");
        long xid = in.u64("xid");
        if (in.remaining() != 0) {
            throw in.malformed(in.remaining() + " unexpected trailing bytes");
        }
        return new Xid(EventHeader.of(event), xid);
    }

    public byte[] encode(ChecksumAlgorithm checksum) {
        return EventEncoder.encode(header, new ByteSink().u64(xid).toByteArray(), checksum);
    }
}
