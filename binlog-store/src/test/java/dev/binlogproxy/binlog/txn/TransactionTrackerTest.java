package dev.binlogproxy.binlog.txn;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.MalformedEventException;
import dev.binlogproxy.binlog.SyntheticBinlog;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.binlogproxy.binlog.txn.EventRole.*;

class TransactionTrackerTest {
    private static List<EventRole> roles(SyntheticBinlog b) {
        byte[] bytes = b.bytes();
        List<Long> offs = b.offsets();
        TransactionTracker t = new TransactionTracker();
        List<EventRole> out = new ArrayList<>();
        for (int i = 0; i < offs.size(); i++) {
            int start = offs.get(i).intValue();
            int end = i + 1 < offs.size() ? offs.get(i + 1).intValue() : bytes.length;
            out.add(t.accept(BinlogEvent.wrap(bytes, start, end - start)));
        }
        return out;
    }

    @Test
    void mysqlRowTransactionAndDdl() {
        SyntheticBinlog b = SyntheticBinlog.mysql(ChecksumAlgorithm.CRC32).transaction().ddl("create table x (i int)");
        assertEquals(List.of(CONTROL, START, INSIDE, INSIDE, END, START, END), roles(b));
    }

    @Test
    void mysqlCommitAndRollbackQueriesEndButSavepointRollbackDoesNot() {
        SyntheticBinlog b = SyntheticBinlog.mysql(ChecksumAlgorithm.OFF).gtid().query("BEGIN").rows(5)
                .query("ROLLBACK TO SAVEPOINT s1").rows(5).query("COMMIT").gtid().query("BEGIN").rows(3)
                .query("ROLLBACK");
        assertEquals(List.of(CONTROL, START, INSIDE, INSIDE, INSIDE, INSIDE, END, START, INSIDE, INSIDE, END), roles(b));
    }

    @Test
    void mysqlXaPrepareEndsThePreparedHalfAndXaCommitIsItsOwnTransaction() {
        SyntheticBinlog b = SyntheticBinlog.mysql(ChecksumAlgorithm.CRC32).gtid().query("XA START X'7831',X'',1")
                .rows(5).query("XA END X'7831',X'',1")
                .append(new dev.binlogproxy.binlog.event.XaPrepare(new dev.binlogproxy.binlog.EventHeader(0, 38, 1, 0, 0),
                        false, 1, new byte[] {'x', '1'}, new byte[0]).encode(ChecksumAlgorithm.CRC32))
                .gtid().query("XA COMMIT X'7831',X'',1");
        assertEquals(List.of(CONTROL, START, INSIDE, INSIDE, INSIDE, END, START, END), roles(b));
    }

    @Test
    void mariadbGroupsAndStandaloneDdl() {
        SyntheticBinlog b = SyntheticBinlog.mariadb(ChecksumAlgorithm.CRC32).transaction().ddl("create table y (i int)")
                .gtid().rows(4).query("COMMIT");
        assertEquals(List.of(CONTROL, START, INSIDE, END, START, END, START, INSIDE, END), roles(b));
    }

    @Test
    void preGtidStreamsUseBeginAndStandaloneStatements() {
        SyntheticBinlog b = SyntheticBinlog.mysql(ChecksumAlgorithm.OFF).query("BEGIN").rows(2).xid(9)
                .query("DROP TABLE z");
        assertEquals(List.of(CONTROL, START, INSIDE, END, COMPLETE), roles(b));
    }

    @Test
    void gtidInsideAnOpenTransactionIsRefused() {
        SyntheticBinlog b = SyntheticBinlog.mysql(ChecksumAlgorithm.CRC32).gtid().query("BEGIN").rows(2).gtid();
        MalformedEventException e = assertThrows(MalformedEventException.class, () -> roles(b));
        assertTrue(e.getMessage().contains("inside an unfinished transaction"), e.getMessage());
    }

    @Test
    void rowsWithoutATransactionAreRefused() {
        SyntheticBinlog b = SyntheticBinlog.mysql(ChecksumAlgorithm.CRC32).rows(2);
        assertThrows(MalformedEventException.class, () -> roles(b));
    }

    @Test
    void keywordNormalisation() {
        assertEquals("BEGIN", leadingKeywords("  begin "));
        assertEquals("COMMIT", leadingKeywords("COMMIT /* implicit */"));
        assertEquals("COMMIT", leadingKeywords("commit work"));
        assertEquals("ROLLBACK TO", leadingKeywords("ROLLBACK TO SAVEPOINT a"));
        assertEquals("XA START", leadingKeywords("XA START X'01',X'',1"));
    }

    /**
     * The statement's first two words, upper case, single-spaced: enough to tell BEGIN, COMMIT, ROLLBACK (but not
     * ROLLBACK TO SAVEPOINT) and XA START apart: the string parse the tracker used before it read the keywords from
     * the bytes in place ({@code TransactionTracker.keyword}), kept here as the reference that one must answer as.
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

    /** The keyword the tracker used to take from {@link #leadingKeywords}'s string. */
    private static int referenceKeyword(String statement) {
        // what statementPrefix gave: the first 48 bytes (SyntheticBinlog writes UTF-8) read as Latin-1
        String latin1 = new String(statement.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        String prefix = latin1.substring(0, Math.min(48, latin1.length()));
        String k = leadingKeywords(prefix);
        if (k.equals("BEGIN")) {
            return TransactionTracker.BEGIN;
        } else if (k.equals("COMMIT")) {
            return TransactionTracker.COMMIT;
        } else if (k.equals("ROLLBACK")) {
            return TransactionTracker.ROLLBACK;
        }
        return k.startsWith("XA START") ? TransactionTracker.XA_START : TransactionTracker.OTHER;
    }

    /** The statement as the tracker sees it: the last event of a stream of one QUERY. */
    private static BinlogEvent queryEvent(String statement, ChecksumAlgorithm checksum) {
        SyntheticBinlog b = SyntheticBinlog.mysql(checksum).query(statement);
        byte[] bytes = b.bytes();
        int start = b.offsets().get(b.offsets().size() - 1).intValue();
        return BinlogEvent.wrap(bytes, start, bytes.length - start);
    }

    @Test
    void keywordsReadFromBytesAnswerAsTheStringParse() {
        List<String> statements = new ArrayList<>(List.of("BEGIN", "begin", "  Begin  ", "BEGIN WORK", "BEGIN;",
                "BEGINX", "BEGI", "", " ", "COMMIT", "commit", "COMMIT WORK", "commit   work", "COMMIT AND CHAIN",
                "COMMIT /* implicit */", "COMMITTED", "ROLLBACK", "rollback work", "ROLLBACK TO SAVEPOINT s1",
                "ROLLBACK TO s1", "XA START X'01',X'',1", "xa start 'a'", "XA STARTED", "XA STAR", "XA END X'01'",
                "XA COMMIT X'667831',X'',1", "XA ROLLBACK X'01'", "XA", "XASTART", "CREATE TABLE t (i int)",
                "SAVEPOINT `s1`", "INSERT INTO t VALUES (1)", "\tBEGIN\n", "\u000bCOMMIT", "\u00a0BEGIN",
                "B\u00e9GIN", "COMMIT \u00df", "XA ST\u00c4RT", "COMMIT W\u00d6RK", "ROLLBACK\tWORK",
                "BEGIN" + " ".repeat(60), " ".repeat(43) + "BEGIN", " ".repeat(44) + "BEGIN",
                " ".repeat(40) + "COMMIT WORK", " ".repeat(39) + "XA START 'x'", " ".repeat(38) + "XA START 'x'",
                "COMMIT" + " ".repeat(41) + "WORK", "COMMIT" + " ".repeat(38) + "WORK", "1BEGIN", "(COMMIT)"));
        // every byte before and after a keyword, to cover what is a letter and what is a blank in Latin-1
        for (int c = 1; c < 256; c++) {
            statements.add((char) c + "BEGIN");
            statements.add("COMMIT" + (char) c);
            statements.add("XA" + (char) c + "START");
            statements.add("ROLLBACK " + (char) c + "WORK");
        }
        for (ChecksumAlgorithm checksum : ChecksumAlgorithm.values()) {
            for (String sql : statements) {
                BinlogEvent event = queryEvent(sql, checksum);
                assertEquals(referenceKeyword(sql), TransactionTracker.keyword(event, checksum),
                        () -> "'" + sql + "' under " + checksum);
            }
        }
    }
}
