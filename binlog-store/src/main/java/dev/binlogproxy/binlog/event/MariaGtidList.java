package dev.binlogproxy.binlog.event;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ByteSink;
import dev.binlogproxy.binlog.Bytes;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.position.MariaGtid;

import java.util.ArrayList;
import java.util.List;

/**
 * MariaDB GTID_LIST_EVENT (163): the binlog state (last GTID per domain and server) at the start of a file.
 * count_and_flags (4: low 28 bits count, high 4 bits flags), then per entry domain_id (4), server_id (4), seq_no (8).
 * Entries are kept in file order: the server lists one per (domain, server) pair, not one per domain.
 */
public record MariaGtidList(EventHeader header, int listFlags, List<MariaGtid> gtids) {
    private static final int COUNT_MASK = (1 << 28) - 1;

    public MariaGtidList {
        gtids = List.copyOf(gtids);
        if (listFlags < 0 || listFlags > 15) {
            throw new IllegalArgumentException("GTID_LIST flags: " + listFlags + " (expected: 0..15)");
        }
    }

    public static MariaGtidList decode(BinlogEvent event, ChecksumAlgorithm checksum) {
        Events.requireType(event, EventType.MARIA_GTID_LIST);
        Bytes in = new Bytes(event.body(checksum), "GTID_LIST body");
        long raw = in.u32("count");
        int count = (int) (raw & COUNT_MASK);
        int flags = (int) (raw >>> 28);
        if ((long) count * 16 != in.remaining()) {
            throw in.malformed("count " + count + " needs " + (count * 16L) + " bytes, " + in.remaining() + " left");
        }
        List<MariaGtid> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long domain = in.u32("domain_id");
            long server = in.u32("server_id");
            long seq = in.u64("seq_no");
            list.add(new MariaGtid(domain, server, seq));
        }
        return new MariaGtidList(EventHeader.of(event), flags, list);
    }

    public byte[] encode(ChecksumAlgorithm checksum) {
        ByteSink out = new ByteSink().u32(((long) listFlags << 28) | gtids.size());
        for (MariaGtid g : gtids) {
            out.u32(g.domainId()).u32(g.serverId()).u64(g.seqNo());
        }
        return EventEncoder.encode(header, out.toByteArray(), checksum);
    }
}
