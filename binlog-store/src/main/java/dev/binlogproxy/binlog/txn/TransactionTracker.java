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
    /** What {@link #keyword} finds: the statement's leading keywords as far as boundaries care. */
    static final int OTHER = 0;
    static final int BEGIN = 1;
    static final int COMMIT = 2;
    static final int ROLLBACK = 3;
    static final int XA_START = 4;
    private static final byte[] W_BEGIN = ascii("BEGIN");
    private static final byte[] W_COMMIT = ascii("COMMIT");
    private static final byte[] W_ROLLBACK = ascii("ROLLBACK");
    private static final byte[] W_WORK = ascii("WORK");
    private static final byte[] W_XA = ascii("XA");
    private static final byte[] W_START = ascii("START");

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
        return accept(event, event.type());
    }

    /** {@link #accept(BinlogEvent)} for a caller that has the event's type already (the archive's writer). */
    public EventRole accept(BinlogEvent event, EventType type) {
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
     * What the statement's first two words say for boundaries ({@link #OTHER}, {@link #BEGIN}, {@link #COMMIT},
     * {@link #ROLLBACK}, {@link #XA_START}), read from the event's bytes in place: the same words, within the same
     * first {@link #KEYWORD_PREFIX} bytes, as the string parse this replaced found in their Latin-1 string, and the
     * same answers (TransactionTrackerTest keeps that parse as its reference and compares the two). Building that string (a prefix, a StringBuilder, an
     * upper-case copy) for every XA, CREATE or COMMIT statement was half of the tracker's time on small events.
     * Servers write these keywords in ASCII, so matching ignores ASCII case only: no Latin-1 letter upper-cases to
     * an ASCII letter of these words (the one that upper-cases to ASCII, \u00df, becomes "SS", which none contains).
     */
    static int keyword(BinlogEvent event, ChecksumAlgorithm checksum) {
        int start = Query.statementStart(event, checksum);
        int end = Math.min(event.eventSize() - checksum.trailerLength(), start + KEYWORD_PREFIX);
        int w1 = skipBlanks(event, start, end);
        int w1End = skipLetters(event, w1, end);
        if (w1End == w1) {
            return OTHER;
        }
        int w2 = skipBlanks(event, w1End, end);
        int w2End = skipLetters(event, w2, end);
        boolean alone = w2End == w2;
        if (isWord(event, w1, w1End, W_BEGIN)) {
            return BEGIN; // "BEGIN" and "BEGIN WORK" alike
        }
        if (isWord(event, w1, w1End, W_COMMIT)) {
            // "COMMIT" and "COMMIT WORK" end a transaction; "COMMIT AND CHAIN" and the like are left as they were
            return alone || isWord(event, w2, w2End, W_WORK) ? COMMIT : OTHER;
        }
        if (isWord(event, w1, w1End, W_ROLLBACK)) {
            // "ROLLBACK TO ..." is a savepoint inside the transaction
            return alone || isWord(event, w2, w2End, W_WORK) ? ROLLBACK : OTHER;
        }
        if (isWord(event, w1, w1End, W_XA) && w2End - w2 >= W_START.length
                && isWord(event, w2, w2 + W_START.length, W_START)) {
            return XA_START;
        }
        return OTHER;
    }

    private static int skipBlanks(BinlogEvent event, int i, int end) {
        while (i < end && Character.isWhitespace((char) event.u8(i))) {
            i++;
        }
        return i;
    }

    private static int skipLetters(BinlogEvent event, int i, int end) {
        while (i < end && Character.isLetter((char) event.u8(i))) {
            i++;
        }
        return i;
    }

    /** Whether the bytes {@code [from, to)} are {@code upper}, ignoring ASCII case. */
    private static boolean isWord(BinlogEvent event, int from, int to, byte[] upper) {
        if (to - from != upper.length) {
            return false;
        }
        for (int k = 0; k < upper.length; k++) {
            int c = event.u8(from + k);
            if (c != upper[k] && c != (upper[k] | 0x20)) {
                return false;
            }
        }
        return true;
    }

    private static byte[] ascii(String word) {
        return word.getBytes(StandardCharsets.US_ASCII);
    }

    private EventRole query(BinlogEvent event) {
        int keyword = state == State.STANDALONE ? OTHER : keyword(event, checksum);
        switch (state) {
            case OUTSIDE -> {
                if (keyword == BEGIN || keyword == XA_START) {
                    state = State.IN_TRANSACTION;
                    return EventRole.START;
                }
                return complete();
            }
            case AFTER_GTID -> {
                if (keyword == BEGIN || keyword == XA_START) {
                    state = State.IN_TRANSACTION;
                    return EventRole.INSIDE;
                }
                return end();
            }
            case STANDALONE -> {
                return end();
            }
            case IN_TRANSACTION -> {
                if (keyword == COMMIT || keyword == ROLLBACK) {
                    return end();
                }
                if (keyword == BEGIN) {
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
}
