package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.archive.ArchiveReader;
import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.UpstreamIdentity;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.file.GtidStartLocator;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MariaGtidPosition;
import dev.binlogproxy.binlog.position.MySqlGtid;
import dev.binlogproxy.binlog.position.MySqlGtidSet;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Finds where a dump starts, or the ERR 1236 a real master answers instead (messages as MySQL 8.0.15 and MariaDB
 * 10.11 word them).
 */
final class StartResolver {
    static final String NO_SUCH_FILE = "Could not find first log file name in binary log index file";

    /**
     * @param mysqlExecuted the replica's GTID set (COM_BINLOG_DUMP_GTID), else null
     * @param mariaSkip     what a MariaDB GTID dump skips before sending, else null
     */
    record Start(String file, long position, MySqlGtidSet mysqlExecuted, MariaSkip mariaSkip) {
    }

    /** MySQL's ER_SLAVE_HAS_MORE_GTIDS_THAN_MASTER text. */
    private static final String MORE_GTIDS = "Slave has more GTIDs than the master has, using the master's SERVER_UUID."
            + " This may indicate that the end of the binary log was truncated or that the last binary log file was"
            + " lost, e.g., after a power or disk failure when sync_binlog != 1. The master may or may not have rolled"
            + " back transactions that were already replicated to the slave. Suggest to replicate any transactions"
            + " that master has rolled back from slave to master, and/or commit empty transactions on master to"
            + " account for transactions that have been committed on master but are not included in GTID_EXECUTED.";
    /** MySQL cuts error messages to MYSQL_ERRMSG_SIZE - 1 bytes. */
    private static final int MAX_MESSAGE = 511;

    private StartResolver() {
    }

    static String truncated(String message) {
        return message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE);
    }

    static Start resolve(BinlogArchive archive, DumpRequest request) throws IOException, InterruptedException {
        List<ArchivedFile> files = archive.files();
        // A proxy started on an empty archive has no file until the mirror's first one: a master always has one.
        long deadline = System.nanoTime() + CATCH_UP_NANOS;
        while (files.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(EMPTY_POLL_MS);
            files = archive.files();
        }
        StartPoint sp = request.start();
        if (sp instanceof StartPoint.FilePosition fp) {
            if (aheadOfArchive(files, fp)) {
                files = awaitCatchUp(archive, fp);
            }
            return byPosition(files, fp, request.flavor());
        }
        if (sp instanceof StartPoint.MySqlGtids g) {
            return byMySqlGtids(archive, files, g.executed());
        }
        return byMariaGtids(archive, files, ((StartPoint.MariaGtids) sp).connectState());
    }

    /**
     * A replica moved from another proxy of the same master may ask for a position this archive has not reached
     * yet (past the end of the newest file, or a newer file). A real master is never behind its replicas; a proxy
     * can be, for a moment. Such a request waits up to this long for the archive to catch up before the ERR 1236
     * a master would send.
     */
    static final long CATCH_UP_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** An empty archive has no reader to wait on: look again this often. */
    private static final long EMPTY_POLL_MS = 20;

    private static boolean aheadOfArchive(List<ArchivedFile> files, StartPoint.FilePosition fp) {
        if (files.isEmpty() || fp.file().isEmpty()) {
            return false;
        }
        ArchivedFile newest = files.get(files.size() - 1);
        if (fp.file().equals(newest.name())) {
            return fp.position() > newest.size();
        }
        try {
            BinlogPosition asked = BinlogPosition.startOf(fp.file());
            BinlogPosition last = BinlogPosition.startOf(newest.name());
            return asked.hasFileSequence() && last.hasFileSequence() && asked.basename().equals(last.basename())
                    && asked.compareTo(last) > 0;
        } catch (IllegalArgumentException notAFileName) {
            return false;
        }
    }

    private static List<ArchivedFile> awaitCatchUp(BinlogArchive archive, StartPoint.FilePosition fp)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + CATCH_UP_NANOS;
        List<ArchivedFile> files = archive.files();
        try (ArchiveReader r = open(archive, files.get(files.size() - 1).name())) {
            while (true) {
                long seen = r.generation();
                files = archive.files();
                long left = deadline - System.nanoTime();
                if (!aheadOfArchive(files, fp) || left <= 0) {
                    return files;
                }
                if (!r.await(seen, left)) {
                    throw new IOException("archive closed");
                }
            }
        }
    }

    private static Start byPosition(List<ArchivedFile> files, StartPoint.FilePosition fp, BinlogFlavor flavor) {
        if (files.isEmpty()) {
            throw DumpRefusedException.fatal(NO_SUCH_FILE);
        }
        String name = fp.file().isEmpty() ? files.get(0).name() : fp.file();
        ArchivedFile file = files.stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> DumpRefusedException.fatal(NO_SUCH_FILE));
        long pos = fp.position();
        if (pos < BinlogPosition.FIRST_EVENT_OFFSET) {
            if (flavor == BinlogFlavor.MYSQL) {
                throw DumpRefusedException.fatal("Client requested master to start replication from position < 4");
            }
            // MariaDB reads 0..3 as "from the start"
            pos = BinlogPosition.FIRST_EVENT_OFFSET;
        }
        if (pos > file.size()) {
            throw DumpRefusedException.fatal(flavor == BinlogFlavor.MYSQL
                    ? "Client requested master to start replication from position > file size"
                    : "Client requested master to start replication from impossible position; "
                    + BinlogSender.coordinates(name, pos, 4, 4));
        }
        return new Start(name, pos, null, null);
    }

    /**
     * MySQL: the newest file whose PREVIOUS_GTIDS the replica has all of (so nothing it lacks is in an earlier
     * file); refused when even the oldest file's PREVIOUS_GTIDS (the purged GTIDs) are not all in its set.
     */
    private static Start byMySqlGtids(BinlogArchive archive, List<ArchivedFile> files, MySqlGtidSet executed)
            throws IOException {
        if (files.isEmpty()) {
            throw DumpRefusedException.fatal(NO_SUCH_FILE);
        }
        ArchiveHeads heads = new ArchiveHeads(archive, files);
        int first;
        try {
            first = GtidStartLocator.mysql(executed).locate(heads.count(), heads::previousGtids);
        } catch (GtidStartLocator.PurgedException e) {
            // 8.0.15 names the sets only in its error log; the client gets this fixed text.
            throw DumpRefusedException.fatal("Cannot replicate because the master purged required binary logs."
                    + " Replicate the missing transactions from elsewhere, or provision a new slave from backup."
                    + " Consider increasing the master's binary log expiration period. To find the missing"
                    + " transactions, see the master's error log or the manual for GTID_SUBTRACT.");
        }
        Optional<UUID> master = archive.identity().flatMap(UpstreamIdentity::serverUuid);
        if (master.isPresent()) {
            List<MySqlGtidSet.Interval> mine = executed.intervals(master.get());
            if (!mine.isEmpty()) {
                MySqlGtid last = new MySqlGtid(master.get(), mine.get(mine.size() - 1).last());
                if (!heads.previousGtids(heads.count() - 1).contains(last)
                        && archive.findTransaction(last).isEmpty()) {
                    throw DumpRefusedException.fatal(truncated(MORE_GTIDS));
                }
            }
        }
        return new Start(heads.name(first), BinlogPosition.FIRST_EVENT_OFFSET, executed, null);
    }

    /**
     * MariaDB: every GTID of a domain the archive logs must be in the archive (or be the last GTID before a file,
     * as its GTID_LIST says); then the newest file whose GTID_LIST leaves nothing the replica lacks to an earlier
     * file. Groups up to the replica's GTID in each domain are skipped from that file on.
     */
    private static Start byMariaGtids(BinlogArchive archive, List<ArchivedFile> files, MariaGtidPosition state)
            throws IOException {
        if (files.isEmpty()) {
            throw DumpRefusedException.fatal(NO_SUCH_FILE);
        }
        ArchiveHeads heads = new ArchiveHeads(archive, files);
        List<List<MariaGtid>> lists = new ArrayList<>();
        for (int i = 0; i < heads.count(); i++) {
            lists.add(heads.gtidList(i));
        }
        List<MariaGtid> wanted = new ArrayList<>();
        for (MariaGtid g : state.gtids()) {
            if (archive.findTransaction(g).isPresent()) {
                wanted.add(g);
                continue;
            }
            boolean atAFileStart = lists.stream().anyMatch(l -> l.contains(g));
            boolean known = atAFileStart || lists.stream().anyMatch(l -> l.stream()
                    .anyMatch(x -> x.domainId() == g.domainId())) || archive.holdsMariaDomain(g.domainId());
            if (!known) {
                continue; // a domain this master never logged: MariaDB ignores it
            }
            if (!atAFileStart) {
                throw DumpRefusedException.fatal("Error: connecting slave requested to start from GTID " + g
                        + ", which is not in the master's binlog");
            }
            wanted.add(g);
        }
        MariaGtidPosition connect = MariaGtidPosition.of(wanted);
        int first;
        try {
            first = GtidStartLocator.mariadb(connect).locate(heads.count(), heads::gtidList);
        } catch (GtidStartLocator.PurgedException e) {
            throw DumpRefusedException.fatal("Could not find GTID state requested by slave in any binlog files."
                    + " Probably the slave state is too old and required binlog files have been purged.");
        }
        List<MariaGtid> list = lists.get(first);
        Map<Long, MariaGtid> skipUntil = new HashMap<>();
        for (MariaGtid g : connect.gtids()) {
            // A GTID that is the last before this file: nothing of its domain to skip here.
            if (!list.contains(g)) {
                skipUntil.put(g.domainId(), g);
            }
        }
        MariaSkip skip = skipUntil.isEmpty() ? null : new MariaSkip(skipUntil, list);
        return new Start(heads.name(first), BinlogPosition.FIRST_EVENT_OFFSET, null, skip);
    }

    private static ArchiveReader open(BinlogArchive archive, String file) throws IOException {
        try {
            return archive.openReader(BinlogPosition.startOf(file));
        } catch (ArchiveException e) {
            throw DumpRefusedException.fatal(NO_SUCH_FILE);
        }
    }
}
