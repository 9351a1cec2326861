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
 * <p>Two ways to run it: {@link #locate} with a {@link HeadReader}, or a {@link Search} the caller drives, reading
 * each head it names in whatever way (and with whatever errors) it has.
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
     * The index of the first file to send from (position 4), reading heads through {@code heads}.
     *
     * @param fileCount the master's files, at least one, oldest first
     * @throws PurgedException if the oldest file's head is not covered
     * @throws X               what reading a head throws
     */
    public <X extends Exception> int locate(int fileCount, HeadReader<H, X> heads) throws X, PurgedException {
        Search<H> search = search(fileCount);
        while (!search.done()) {
            int index = search.nextIndex();
            search.accept(heads.head(index));
        }
        return search.first();
    }

    /**
     * The same search driven by the caller, for heads that come from somewhere with errors of its own (a live
     * master): ask {@link Search#nextIndex()}, read that file's head, give it to {@link Search#accept}, until
     * {@link Search#done()}; then {@link Search#first()}.
     */
    public Search<H> search(int fileCount) {
        if (fileCount < 1) {
            throw new IllegalArgumentException("fileCount: " + fileCount + " (expected: >= 1)");
        }
        return new Search<>(this, fileCount);
    }

    /** One binary search over the heads of {@code fileCount} files; not thread-safe. */
    public static final class Search<H> {
        private final GtidStartLocator<H> locator;
        /** The newest file known to be covered; -1 until the oldest head was read. */
        private int lo = -1;
        /** The newest file that may be covered. */
        private int hi;
        private boolean purged;
        /** The index handed out and not answered yet; -1 if none. */
        private int asked = -1;

        private Search(GtidStartLocator<H> locator, int fileCount) {
            this.locator = locator;
            this.hi = fileCount - 1;
        }

        /** Whether the answer is known: {@link #first()} gives it. */
        public boolean done() {
            return purged || lo >= 0 && lo >= hi;
        }

        /** The index (0 = oldest) of the file whose head the search needs next. */
        public int nextIndex() {
            if (done()) {
                throw new IllegalStateException("the search is over");
            }
            asked = lo < 0 ? 0 : (lo + hi + 1) >>> 1;
            return asked;
        }

        /** The head of the file {@link #nextIndex()} named: an empty set or list for a file that has none. */
        public void accept(H head) {
            if (asked < 0) {
                throw new IllegalStateException("accept() without nextIndex()");
            }
            boolean covered = locator.covers(head);
            if (lo < 0) {
                purged = !covered;
                lo = 0;
            } else if (covered) {
                lo = asked;
            } else {
                hi = asked - 1;
            }
            asked = -1;
        }

        /**
         * The index of the first file to send from (position 4).
         *
         * @throws PurgedException if the oldest file's head is not covered
         */
        public int first() throws PurgedException {
            if (!done()) {
                throw new IllegalStateException("the search is not over");
            }
            if (purged) {
                throw new PurgedException("the oldest binlog begins after transactions that are not in "
                        + locator.given);
            }
            return lo;
        }
    }
}
