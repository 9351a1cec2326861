package dev.binlogproxy.binlog.event;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ByteSink;
import dev.binlogproxy.binlog.Bytes;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.position.MariaGtid;

import java.util.ArrayList;
import java.util.List;

/**
 * MariaDB GTID_LIST_EVENT (163): the binlog state (last GTID per domain and server) at the start of a file.
 * count_and_flags (4: low 28 bits count, high 4 bits flags), then per entry domain_id (4), server_id (4), seq_no (8).
 * Entries are kept in file order: the server lists one per (domain, server) pair, not one per domain.
 * Bytes after the entries are kept raw: 10.11 writes an empty list with 2 zero bytes after the count (see the
 * mariadb fixtures), and the event must round-trip.
 */
public record MariaGtidList(EventHeader header, int listFlags, List<MariaGtid> gtids, byte[] trailing) {
    private static final int COUNT_MASK = (1 << 28) - 1;

    public MariaGtidList {
        gtids = List.copyOf(gtids);
        trailing = trailing.clone();
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
        if ((long) count * 16 > in.remaining()) {
            throw in.malformed("count " + count + " needs " + (count * 16L) + " bytes, " + in.remaining() + " left");
        }
        List<MariaGtid> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long domain = in.u32("domain_id");
            long server = in.u32("server_id");
            long seq = in.u64("seq_no");
            list.add(new MariaGtid(domain, server, seq));
        }
        return new MariaGtidList(EventHeader.of(event), flags, list, in.rest());
    }

    /**
     * The fake GTID_LIST a MariaDB master sends a GTID dump after the groups the replica already has: timestamp 0,
     * ARTIFICIAL, log_pos = where sending resumes, and the binlog state reached there.
     */
    public static MariaGtidList artificial(long serverId, long logPos, List<MariaGtid> gtids) {
        return new MariaGtidList(new EventHeader(0, EventType.MARIA_GTID_LIST.code(), serverId, logPos,
                EventFlags.ARTIFICIAL), 0, gtids, new byte[0]);
    }

    @Override
    public byte[] trailing() {
        return trailing.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MariaGtidList l && header.equals(l.header) && listFlags == l.listFlags
                && gtids.equals(l.gtids) && java.util.Arrays.equals(trailing, l.trailing);
    }

    @Override
    public int hashCode() {
        return header.hashCode() * 31 + gtids.hashCode();
    }

    public byte[] encode(ChecksumAlgorithm checksum) {
        ByteSink out = new ByteSink().u32(((long) listFlags << 28) | gtids.size());
        for (MariaGtid g : gtids) {
            out.u32(g.domainId()).u32(g.serverId()).u64(g.seqNo());
        }
        out.bytes(trailing);
        return EventEncoder.encode(header, out.toByteArray(), checksum);
    }
}
