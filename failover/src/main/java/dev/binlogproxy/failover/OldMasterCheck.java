package dev.binlogproxy.failover;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.event.MariaGtidEvent;
import dev.binlogproxy.binlog.event.MariaGtidList;
import dev.binlogproxy.binlog.event.MySqlGtidEvent;
import dev.binlogproxy.binlog.event.PreviousGtids;
import dev.binlogproxy.binlog.file.BinlogFileDamagedException;
import dev.binlogproxy.binlog.file.BinlogFileReader;
import dev.binlogproxy.binlog.file.FileEvent;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MySqlGtidSet;
import dev.binlogproxy.client.MasterInfo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What an old master that came back after a failover has beyond the archive: transactions it wrote that the
 * proxy never acknowledged (they exist only there; never served, never silently rejoined), counted by GTID, and the
 * bytes its binlog holds past where the archive's copy of it ends. The archive's GTID state is read from its newest
 * file (its head's PREVIOUS_GTIDS / GTID_LIST and the GTIDs after it), as a master computes its own.
 */
final class OldMasterCheck {
    /** The finding; {@code errant} lists the GTIDs (MySQL set text, MariaDB domain-server-seq ranges). */
    record Finding(String oldMaster, long errantTransactions, String errant, long extraBytes, String detail) {
        String describe() {
            return "old master " + oldMaster + " came back with " + errantTransactions + " transaction(s) the"
                    + " archive does not have" + (errant.isEmpty() ? "" : " (" + errant + ")") + " and "
                    + (extraBytes < 0 ? "an unknown number of" : Long.toString(extraBytes))
                    + " binlog byte(s) past the archive's end" + (detail == null ? "" : "; " + detail)
                    + ": it is not re-adopted; rebuild it as a replica, or recover those transactions by hand";
        }
    }

    private OldMasterCheck() {
    }

    /**
     * @param end        where the archive's copy of the old master ends (the failover's cut): bytes past it in the
     *                   old master's files are what the archive never got
     * @param archiveEnd the archive's readable end now: GTIDs the old master has and the archive's state there
     *                   lacks are errant (a GTID the new master replicated to it since is in the archive)
     */
    static Finding check(ServerAdmin old, Path archiveDir, BinlogPosition end, BinlogPosition archiveEnd)
            throws IOException {
        long extra = -1;
        String detail = null;
        List<MasterInfo.MasterLog> logs = old.binaryLogs();
        boolean counting = false;
        for (MasterInfo.MasterLog l : logs) {
            if (l.name().equals(end.file())) {
                counting = true;
                extra = Math.max(0, l.size() - end.offset());
            } else if (counting) {
                extra += l.size();
            }
        }
        if (!counting) {
            detail = "it no longer has " + end.file();
        }
        if (old.flavor() == BinlogFlavor.MYSQL) {
            MySqlGtidSet archived = mysqlGtidsAt(archiveDir, archiveEnd);
            MySqlGtidSet theirs = MySqlGtidSet.parse(old.variable("gtid_executed").orElse("").replace("\n", ""));
            MySqlGtidSet errant = theirs.subtract(archived);
            return new Finding(old.address(), errant.count(), errant.toString(), extra, detail);
        }
        Map<String, Long> archived = mariaStateAt(archiveDir, archiveEnd);
        long count = 0;
        List<String> errant = new ArrayList<>();
        for (String t : old.variable("gtid_binlog_state").orElse("").split(",")) {
            if (t.isBlank()) {
                continue;
            }
            MariaGtid g = MariaGtid.parse(t.trim());
            long have = archived.getOrDefault(g.domainId() + "-" + g.serverId(), 0L);
            if (g.seqNo() > have) {
                count += g.seqNo() - have;
                errant.add(g.domainId() + "-" + g.serverId() + "-" + (have + 1)
                        + (g.seqNo() > have + 1 ? ".." + g.seqNo() : ""));
            }
        }
        return new Finding(old.address(), count, String.join(",", errant), extra, detail);
    }

    /** The GTIDs a MySQL master had executed at {@code end}: the file's PREVIOUS_GTIDS and its GTIDs before it. */
    static MySqlGtidSet mysqlGtidsAt(Path archiveDir, BinlogPosition end) throws IOException {
        MySqlGtidSet[] set = {MySqlGtidSet.EMPTY};
        walk(archiveDir, end, (e, checksum) -> {
            if (e.type() == EventType.PREVIOUS_GTIDS) {
                set[0] = set[0].union(PreviousGtids.decode(e, checksum).gtids());
            } else if (e.type() == EventType.GTID) {
                set[0] = set[0].add(MySqlGtidEvent.decode(e, checksum).gtid());
            }
        });
        return set[0];
    }

    /** A MariaDB master's binlog state at {@code end}: "domain-server" to the last seq_no. */
    static Map<String, Long> mariaStateAt(Path archiveDir, BinlogPosition end) throws IOException {
        Map<String, Long> state = new HashMap<>();
        walk(archiveDir, end, (e, checksum) -> {
            if (e.type() == EventType.MARIA_GTID_LIST) {
                for (MariaGtid g : MariaGtidList.decode(e, checksum).gtids()) {
                    state.merge(g.domainId() + "-" + g.serverId(), g.seqNo(), Math::max);
                }
            } else if (e.type() == EventType.MARIA_GTID) {
                MariaGtid g = MariaGtidEvent.decode(e, checksum).gtid();
                state.merge(g.domainId() + "-" + g.serverId(), g.seqNo(), Math::max);
            }
        });
        return state;
    }

    private interface Visitor {
        void event(BinlogEvent e, ChecksumAlgorithm checksum);
    }

    /** Every event of the archive's copy of {@code end.file()} that ends at or before {@code end}. */
    private static void walk(Path archiveDir, BinlogPosition end, Visitor visitor) throws IOException {
        ChecksumAlgorithm checksum = ChecksumAlgorithm.OFF;
        try (BinlogFileReader r = BinlogFileReader.open(archiveDir.resolve(end.file()))) {
            FileEvent fe;
            while ((fe = r.next()) != null && fe.endOffset() <= end.offset()) {
                BinlogEvent e = fe.event();
                if (e.type() == EventType.FORMAT_DESCRIPTION) {
                    checksum = FormatDescription.decode(e).checksumAlgorithm();
                } else {
                    visitor.event(e, checksum);
                }
            }
        } catch (BinlogFileDamagedException e) {
            throw new IOException(end.file() + ": " + e.getMessage(), e);
        }
    }
}
