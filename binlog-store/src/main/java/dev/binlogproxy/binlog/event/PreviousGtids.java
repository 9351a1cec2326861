package dev.binlogproxy.binlog.event;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;
import dev.binlogproxy.binlog.position.MySqlGtidSet;

/** MySQL PREVIOUS_GTIDS_LOG_EVENT (35): the GTID set executed before this file, in the encoded-set form. */
public record PreviousGtids(EventHeader header, MySqlGtidSet gtids) {
    public static PreviousGtids decode(BinlogEvent event, ChecksumAlgorithm checksum) {
        Events.requireType(event, EventType.PREVIOUS_GTIDS);
        var body = event.body(checksum);
        byte[] raw = new byte[body.remaining()];
        body.get(0, raw);
        try {
            MySqlGtidSet set = MySqlGtidSet.decode(raw);
            if (set.encodedLength() != raw.length) {
                throw new MalformedEventException("PREVIOUS_GTIDS body: " + (raw.length - set.encodedLength())
                        + " unexpected trailing bytes");
            }
            return new PreviousGtids(EventHeader.of(event), set);
        } catch (IllegalArgumentException e) {
            throw new MalformedEventException("PREVIOUS_GTIDS body: " + e.getMessage(), e);
        }
    }

    public byte[] encode(ChecksumAlgorithm checksum) {
        return EventEncoder.encode(header, gtids.encode(), checksum);
    }
}
