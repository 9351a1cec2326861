package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MySqlGtid;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A per-file summary of the index journal, so a lookup reads the journal entries of one or two files instead of
 * all of them: the journal index range of each file's entries, the GNO range per source UUID, the sequence range
 * per MariaDB domain, the latest transaction start time.
 *
 * <p>Every statistic is a minimum or maximum, so adding an entry twice changes nothing. That is what lets the
 * lazy build (a scan of the journal) overlap with live appends without a lock spanning the scan: see
 * {@link IndexJournal#catalog()}.
 */
final class IndexCatalog {
    /** A snapshot of one file's summary. */
    static final class FileStats {
        long firstIndex = Long.MAX_VALUE;
        long lastIndex = Long.MIN_VALUE;
        long maxStartTimestamp = -1;
        final Map<UUID, long[]> gnoRanges = new HashMap<>();
        final Map<Long, long[]> seqRanges = new HashMap<>();

        FileStats copy() {
            FileStats c = new FileStats();
            c.firstIndex = firstIndex;
            c.lastIndex = lastIndex;
            c.maxStartTimestamp = maxStartTimestamp;
            gnoRanges.forEach((k, v) -> c.gnoRanges.put(k, v.clone()));
            seqRanges.forEach((k, v) -> c.seqRanges.put(k, v.clone()));
            return c;
        }

        boolean mayHold(MySqlGtid gtid) {
            long[] r = gnoRanges.get(gtid.sourceId());
            return r != null && gtid.gno() >= r[0] && gtid.gno() <= r[1];
        }

        boolean mayHold(MariaGtid gtid) {
            long[] r = seqRanges.get(gtid.domainId());
            return r != null && Long.compareUnsigned(gtid.seqNo(), r[0]) >= 0
                    && Long.compareUnsigned(gtid.seqNo(), r[1]) <= 0;
        }
    }

    private final Map<String, FileStats> byFile = new HashMap<>();
    private volatile boolean built;

    boolean isBuilt() {
        return built;
    }

    synchronized void markBuilt() {
        built = true;
    }

    synchronized void add(IndexEntry e, long index) {
        FileStats s = byFile.computeIfAbsent(e.file(), f -> new FileStats());
        s.firstIndex = Math.min(s.firstIndex, index);
        s.lastIndex = Math.max(s.lastIndex, index);
        if (e.startsTransaction()) {
            s.maxStartTimestamp = Math.max(s.maxStartTimestamp, e.timestamp());
        }
        if (e.mysqlGtid() != null) {
            long[] r = s.gnoRanges.computeIfAbsent(e.mysqlGtid().sourceId(), k -> new long[] {Long.MAX_VALUE, 0});
            r[0] = Math.min(r[0], e.mysqlGtid().gno());
            r[1] = Math.max(r[1], e.mysqlGtid().gno());
        }
        if (e.mariaGtid() != null) {
            long seq = e.mariaGtid().seqNo();
            long[] r = s.seqRanges.computeIfAbsent(e.mariaGtid().domainId(), k -> new long[] {seq, seq});
            if (Long.compareUnsigned(seq, r[0]) < 0) {
                r[0] = seq;
            }
            if (Long.compareUnsigned(seq, r[1]) > 0) {
                r[1] = seq;
            }
        }
    }

    synchronized FileStats stats(String file) {
        FileStats s = byFile.get(file);
        return s == null ? null : s.copy();
    }

    synchronized void forget(String file) {
        byFile.remove(file);
    }

    synchronized void clear() {
        byFile.clear();
        built = false;
    }
}
