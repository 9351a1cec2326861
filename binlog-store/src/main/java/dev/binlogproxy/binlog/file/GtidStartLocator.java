package dev.binlogproxy.binlog.file;

import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MariaGtidPosition;
import dev.binlogproxy.binlog.position.MySqlGtidSet;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The first binlog file holding a transaction after a replica's GTIDs: the newest file whose GTID head (what the
 * master wrote at the file's start about everything before it) the GTIDs cover. Nothing the replica lacks is in
 * an older file, so a dump from position 4 of that file, skipping what the replica has, misses nothing. Used over
 * an archive's files (the dump start) and over a live master's files, whose heads cost a short dump each.
 *
 * <p>The heads, and when one is covered:
 * <ul>
 *   <li>MySQL PREVIOUS_GTIDS, the GTID set of all older files: covered if the replica's executed set contains it
 *       (rpl_binlog_sender.cc).</li>
 *   <li>MariaDB GTID_LIST, the last GTID per (domain, server) before the file: covered unless a domain in the
 *       list is missing from the replica's connect state (it needs that domain from its start) or the replica's
 *       GTID from the same server is older than the list's (sql_repl.cc contains_all_slave_gtid). The list's own
 *       GTID is covered: the replica then needs what comes after it, which is in this file.</li>
 * </ul>
 *
 * <p><b>Monotonicity, which makes a binary search exact.</b> A master writes a new file's head from its state at the
 * rotation, and that state only grows: PREVIOUS_GTIDS of file n+1 is file n's plus the GTIDs in file n; GTID_LIST
 * entries are only added, and an entry's seq_no only rises (MariaDB's FLUSH BINARY LOGS DELETE_DOMAIN_ID, which
 * drops a domain, is the exception, and only for a domain with no GTID left in any file). Under both rules a head
 * that is covered stays covered for every older head, so the covered files are a prefix of the list and the answer
 * is its last file: the file a master finds scanning from its newest file back. The search reads the oldest head,
 * then about log2(n) others, each at most once.
 *
 * <p>If even the oldest file's head is not covered, the replica lacks transactions that are in no file any more
 * (purged): {@link PurgedException}, which the caller words as its side of the protocol does.
 *
 * @param <H> the head's type: {@link MySqlGtidSet} or MariaDB's list of {@link MariaGtid}
 */
public final class GtidStartLocator<H> {

    /**
     * Reads the GTID head of one file, by position in the master's file list (0 = oldest): an empty set or list for
     * a file that has none. It may cost a round trip (a head from a live master).
     */
    @FunctionalInterface
    public interface HeadReader<H, X extends Exception> {
        H head(int index) throws X;
    }

    /** Even the oldest file begins after transactions the replica lacks: they were purged. */
    public static final class PurgedException extends Exception {
        private static final long serialVersionUID = 1L;

        PurgedException(String message) {
            super(message);
        }
    }

    private final Predicate<H> covered;
    private final String given;

    private GtidStartLocator(Predicate<H> covered, String given) {
        this.covered = covered;
        this.given = given;
    }

    /** MySQL: the replica's executed GTID set (COM_BINLOG_DUMP_GTID, or a set to start a mirror after). */
    public static GtidStartLocator<MySqlGtidSet> mysql(MySqlGtidSet executed) {
        Objects.requireNonNull(executed, "executed");
        return new GtidStartLocator<>(executed::containsAll, "GTID set '" + executed + "'");
    }

    /** MariaDB: the replica's connect state, per domain the last GTID it has. */
    public static GtidStartLocator<List<MariaGtid>> mariadb(MariaGtidPosition connectState) {
        Objects.requireNonNull(connectState, "connectState");
        return new GtidStartLocator<>(list -> containsAllSlaveGtids(connectState, list),
                "GTID position '" + connectState + "'");
    }

    private static boolean containsAllSlaveGtids(MariaGtidPosition state, List<MariaGtid> list) {
        for (MariaGtid entry : list) {
            Optional<MariaGtid> mine = state.gtidFor(entry.domainId());
            if (mine.isEmpty()) {
                return false;
            }
            if (mine.get().serverId() == entry.serverId() && mine.get().seqNo() < entry.seqNo()) {
                return false;
            }
        }
        return true;
    }

    /** Whether a file with this head leaves nothing the replica lacks to older files. */
    public boolean covers(H head) {
        return covered.test(Objects.requireNonNull(head, "head"));
    }

    /**
     * The index of the first file to send from (position 4).
     *
     * @param fileCount the master's files, at least one, oldest first
     * @throws PurgedException if the oldest file's head is not covered
     * @throws X               what reading a head throws
     */
    public <X extends Exception> int locate(int fileCount, HeadReader<H, X> heads) throws X, PurgedException {
        if (fileCount < 1) {
            throw new IllegalArgumentException("fileCount: " + fileCount + " (expected: >= 1)");
        }
        if (!covers(heads.head(0))) {
            throw new PurgedException("the oldest binlog begins after transactions that are not in " + given);
        }
        int lo = 0; // covered
        int hi = fileCount - 1; // the newest file that may be covered
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (covers(heads.head(mid))) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }
}
