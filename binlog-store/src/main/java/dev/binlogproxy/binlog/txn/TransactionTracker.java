package dev.binlogproxy.binlog.txn;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.event.MariaGtidEvent;
import dev.binlogproxy.binlog.event.Query;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Finds transaction boundaries in an event stream of either flavor. Feed every event in order; each call says
 * where that event stands. Not thread-safe; one per stream.
 *
 * <p>MySQL: a transaction starts at GTID/ANONYMOUS_GTID; if the next event is a BEGIN (or XA START) query it ends
 * at XID, a COMMIT/ROLLBACK query or XA_PREPARE; otherwise the single statement after the GTID (DDL, XA COMMIT,
 * XA ROLLBACK) is the whole transaction. TRANSACTION_PAYLOAD is a whole (compressed) transaction.
 * MariaDB: the GTID event replaces BEGIN; a STANDALONE group ends at its statement (INTVAR/RAND/USER_VAR/ANNOTATE
 * may precede it), any other group at XID, a COMMIT/ROLLBACK query or XA_PREPARE.
 * Streams without GTID events (old formats) open a transaction at a BEGIN query; any other query outside a
 * transaction is a transaction by itself.
 *
 * <p>A FORMAT_DESCRIPTION sets the flavor and checksum algorithm for the events after it, so a tracker fed from
 * the start of a file needs no configuration.
 */
public final class TransactionTracker {
    private enum State { OUTSIDE, AFTER_GTID, IN_TRANSACTION, STANDALONE }

    /** Enough of a statement for "ROLLBACK TO", "XA START", "COMMIT WORK" with some leading blanks. */
    private static final int KEYWORD_PREFIX = 48;
    private static final byte[] BEGIN = "BEGIN".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COMMIT = "COMMIT".getBytes(StandardCharsets.US_ASCII);

    private BinlogFlavor flavor;
    private ChecksumAlgorithm checksum;
    private State state = State.OUTSIDE;
    private long transactions;

    public TransactionTracker() {
        this(BinlogFlavor.MYSQL, ChecksumAlgorithm.OFF);
    }

    public TransactionTracker(BinlogFlavor flavor, ChecksumAlgorithm checksum) {
        this.flavor = flavor;
        this.checksum = checksum;
    }

    /** Whether the events seen so far end inside an unfinished transaction. */
    public boolean inTransaction() {
        return state != State.OUTSIDE;
    }

    /** Number of transactions closed so far. */
    public long completedTransactions() {
        return transactions;
    }

    public BinlogFlavor flavor() {
        return flavor;
    }

    public ChecksumAlgorithm checksum() {
        return checksum;
    }

    /** Forgets an unfinished transaction (after a disconnect its events are discarded). */
    public void reset() {
        state = State.OUTSIDE;
    }

    public EventRole accept(BinlogEvent event) {
        EventType type = event.type();
        switch (type) {
            case FORMAT_DESCRIPTION -> {
                requireOutside(event);
                FormatDescription fde = FormatDescription.decode(event);
                flavor = fde.flavor();
                checksum = fde.checksumAlgorithm();
                return EventRole.CONTROL;
            }
            case ROTATE, STOP, PREVIOUS_GTIDS, MARIA_GTID_LIST, MARIA_BINLOG_CHECKPOINT, MARIA_START_ENCRYPTION,
                 INCIDENT, HEARTBEAT, HEARTBEAT_V2, START_V3 -> {
                requireOutside(event);
                return EventRole.CONTROL;
            }
            case GTID, ANONYMOUS_GTID, GTID_TAGGED -> {
                requireOutside(event);
                state = State.AFTER_GTID;
                return EventRole.START;
            }
            case MARIA_GTID -> {
                requireOutside(event);
                int flags2 = MariaGtidEvent.flags2Of(event, checksum);
                state = (flags2 & MariaGtidEvent.FL_STANDALONE) != 0 ? State.STANDALONE : State.IN_TRANSACTION;
                return EventRole.START;
            }
            case TRANSACTION_PAYLOAD -> {
                return switch (state) {
                    case AFTER_GTID -> end();
                    case OUTSIDE -> complete();
                    default -> throw unexpected(event, "TRANSACTION_PAYLOAD inside an open transaction");
                };
            }
            case XID, XA_PREPARE -> {
                if (state != State.IN_TRANSACTION) {
                    throw unexpected(event, type + " outside a BEGIN ... transaction");
                }
                return end();
            }
            case QUERY -> {
                return query(event);
            }
            default -> {
                return inside(event);
            }
        }
    }

    /**
     * Whether {@link #acceptType} can place an event of this type without its body: every type but
     * FORMAT_DESCRIPTION, QUERY and MariaDB GTID (whose body decides the role or the tracker's settings).
     */
    public static boolean roleNeedsBody(int typeCode) {
        EventType t = EventType.of(typeCode);
        return t == EventType.FORMAT_DESCRIPTION || t == EventType.QUERY || t == EventType.MARIA_GTID;
    }

    /**
     * {@link #accept} for an event whose body was not read (a large event passed on from its file): the role from
     * its type alone.
     *
     * @throws IllegalArgumentException for a type whose role needs the body ({@link #roleNeedsBody})
     */
    public EventRole acceptType(int typeCode) {
        if (roleNeedsBody(typeCode)) {
            throw new IllegalArgumentException("the role of event type " + typeCode + " depends on its body");
        }
        EventType type = EventType.of(typeCode);
        String what = type + "(" + typeCode + ")";
        switch (type) {
            case ROTATE, STOP, PREVIOUS_GTIDS, MARIA_GTID_LIST, MARIA_BINLOG_CHECKPOINT, MARIA_START_ENCRYPTION,
                 INCIDENT, HEARTBEAT, HEARTBEAT_V2, START_V3 -> {
                requireOutside(what);
                return EventRole.CONTROL;
            }
            case GTID, ANONYMOUS_GTID, GTID_TAGGED -> {
                requireOutside(what);
                state = State.AFTER_GTID;
                return EventRole.START;
            }
            case TRANSACTION_PAYLOAD -> {
                return switch (state) {
                    case AFTER_GTID -> end();
                    case OUTSIDE -> complete();
                    default -> throw unexpected(what, "TRANSACTION_PAYLOAD inside an open transaction");
                };
            }
            case XID, XA_PREPARE -> {
                if (state != State.IN_TRANSACTION) {
                    throw unexpected(what, type + " outside a BEGIN ... transaction");
                }
                return end();
            }
            default -> {
                switch (state) {
                    case OUTSIDE -> throw unexpected(what, type + " outside a transaction");
                    case AFTER_GTID -> state = State.IN_TRANSACTION;
                    default -> { }
                }
                return EventRole.INSIDE;
            }
        }
    }

    private void requireOutside(String what) {
        if (state != State.OUTSIDE) {
            throw unexpected(what, what + " inside an unfinished transaction");
        }
    }

    private static MalformedEventException unexpected(String what, String why) {
        return new MalformedEventException("transaction boundary violated: " + why + " (" + what + ")");
    }

    /**
     * What {@link #leadingKeywords} makes of the statement, with the common cases decided in place: most QUERY
     * events of row-based transactions are exactly "BEGIN" (or "COMMIT" for non-transactional tables), and a
     * statement whose first letter starts none of BEGIN, COMMIT, ROLLBACK and XA is none of them (an INSERT, a DDL),
     * so the string the parse builds is built only for the rest.
     */
    private String keyword(BinlogEvent event) {
        if (Query.statementIs(event, checksum, BEGIN)) {
            return "BEGIN";
        }
        if (Query.statementIs(event, checksum, COMMIT)) {
            return "COMMIT";
        }
        switch (Query.firstStatementByte(event, checksum)) {
            case 'B', 'b', 'C', 'c', 'R', 'r', 'X', 'x' -> {
                return leadingKeywords(Query.statementPrefix(event, checksum, KEYWORD_PREFIX));
            }
            default -> {
                return "";
            }
        }
    }

    private EventRole query(BinlogEvent event) {
        String keyword = state == State.STANDALONE ? "" : keyword(event);
        switch (state) {
            case OUTSIDE -> {
                if (keyword.equals("BEGIN") || keyword.startsWith("XA START")) {
                    state = State.IN_TRANSACTION;
                    return EventRole.START;
                }
                return complete();
            }
            case AFTER_GTID -> {
                if (keyword.equals("BEGIN") || keyword.startsWith("XA START")) {
                    state = State.IN_TRANSACTION;
                    return EventRole.INSIDE;
                }
                return end();
            }
            case STANDALONE -> {
                return end();
            }
            case IN_TRANSACTION -> {
                if (keyword.equals("COMMIT") || keyword.equals("ROLLBACK")) {
                    return end();
                }
                if (keyword.equals("BEGIN")) {
                    throw unexpected(event, "BEGIN inside an open transaction");
                }
                return EventRole.INSIDE;
            }
            default -> throw new IllegalStateException(state.toString());
        }
    }

    private EventRole inside(BinlogEvent event) {
        switch (state) {
            case OUTSIDE -> {
                // Row or context events with no transaction open: a GTID or BEGIN was lost before them.
                throw unexpected(event, event.type() + " outside a transaction");
            }
            case AFTER_GTID -> state = State.IN_TRANSACTION;
            default -> { }
        }
        return EventRole.INSIDE;
    }

    private EventRole end() {
        state = State.OUTSIDE;
        transactions++;
        return EventRole.END;
    }

    private EventRole complete() {
        transactions++;
        return EventRole.COMPLETE;
    }

    private void requireOutside(BinlogEvent event) {
        if (state != State.OUTSIDE) {
            throw unexpected(event, event.type() + " inside an unfinished transaction");
        }
    }

    private static MalformedEventException unexpected(BinlogEvent event, String what) {
        return new MalformedEventException("transaction boundary violated: " + what + " (" + event + ")");
    }

    /**
     * The statement's first two words, upper case, single-spaced: enough to tell BEGIN, COMMIT, ROLLBACK (but not
     * ROLLBACK TO SAVEPOINT) and XA START apart. Servers write these keywords themselves, in ASCII.
     */
    static String leadingKeywords(String sql) {
        int i = 0;
        int n = sql.length();
        StringBuilder out = new StringBuilder(16);
        for (int word = 0; word < 2; word++) {
            while (i < n && Character.isWhitespace(sql.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < n && Character.isLetter(sql.charAt(i))) {
                i++;
            }
            if (start == i) {
                break;
            }
            if (word > 0) {
                out.append(' ');
            }
            out.append(sql, start, i);
        }
        String first = out.toString().toUpperCase(Locale.ROOT);
        // "COMMIT" and "ROLLBACK" alone end a transaction; "ROLLBACK TO ..." is a savepoint inside it.
        if (first.startsWith("COMMIT ") && !first.equals("COMMIT WORK")) {
            return first;
        }
        if (first.equals("COMMIT WORK")) {
            return "COMMIT";
        }
        if (first.startsWith("ROLLBACK ") && !first.equals("ROLLBACK WORK")) {
            return first;
        }
        if (first.equals("ROLLBACK WORK")) {
            return "ROLLBACK";
        }
        return first.startsWith("BEGIN ") ? "BEGIN" : first;
    }
}
