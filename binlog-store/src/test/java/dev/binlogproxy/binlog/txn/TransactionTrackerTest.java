package dev.binlogproxy.binlog.txn;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.MalformedEventException;
import dev.binlogproxy.binlog.SyntheticBinlog;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

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
        assertEquals("BEGIN", TransactionTracker.leadingKeywords("  begin "));
        assertEquals("COMMIT", TransactionTracker.leadingKeywords("COMMIT /* implicit */"));
        assertEquals("COMMIT", TransactionTracker.leadingKeywords("commit work"));
        assertEquals("ROLLBACK TO", TransactionTracker.leadingKeywords("ROLLBACK TO SAVEPOINT a"));
        assertEquals("XA START", TransactionTracker.leadingKeywords("XA START X'01',X'',1"));
    }
}
