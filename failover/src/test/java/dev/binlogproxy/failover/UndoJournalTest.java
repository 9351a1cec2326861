package dev.binlogproxy.failover;

import dev.binlogproxy.failover.UndoJournal.Undo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The undo journal reads back exactly what was appended (inverses included, with any character in them), tells an
 * unfinished failover from a finished one, and ignores what a crash mid-append leaves: a torn last line, or a
 * line whose checksum does not match.
 */
class UndoJournalTest {
    @TempDir
    Path dir;

    @Test
    void readsBackEveryRecordAndEveryKindOfInverse() throws Exception {
        UndoJournal j = new UndoJournal(dir);
        j.begin("f1", "failover", "10.0.0.1:3306", "10.0.0.5:3306");
        j.cut("f1", "mysql-bin.000007:1234");
        j.willDo("f1", Step.STOP_REPLICATION, new Undo.RestartReplica("10.0.0.5", 3306, "mysql-bin.000007", 1234,
                false));
        j.done("f1", Step.STOP_REPLICATION);
        j.willDo("f1", Step.SEMI_SYNC, new Undo.Sql("10.0.0.5", 3306, List.of("SET GLOBAL x = 'a|b\tc%20'",
                "SET GLOBAL y = 1")));
        j.willDo("f1", Step.ADOPT, new Undo.AbandonEpoch(3));
        j.willDo("f1", Step.REPOINT, new Undo.PauseMirror());

        UndoJournal.Entry e = new UndoJournal(dir).unfinished().orElseThrow();
        assertEquals("f1", e.id());
        assertEquals("10.0.0.5:3306", e.candidate());
        assertEquals("mysql-bin.000007:1234", e.cut());
        assertTrue(e.isDone(Step.STOP_REPLICATION));
        assertFalse(e.isDone(Step.SEMI_SYNC));
        assertEquals(List.of(
                new UndoJournal.StepUndo("STOP_REPLICATION", new Undo.RestartReplica("10.0.0.5", 3306,
                        "mysql-bin.000007", 1234, false)),
                new UndoJournal.StepUndo("SEMI_SYNC", new Undo.Sql("10.0.0.5", 3306,
                        List.of("SET GLOBAL x = 'a|b\tc%20'", "SET GLOBAL y = 1"))),
                new UndoJournal.StepUndo("ADOPT", new Undo.AbandonEpoch(3)),
                new UndoJournal.StepUndo("REPOINT", new Undo.PauseMirror())), e.undos());
        assertTrue(j.lastCommitted().isEmpty());

        j.commit("f1", "10.0.0.5:3306", "mysql-bin.000007:1234");
        assertTrue(j.unfinished().isEmpty());
        assertEquals("10.0.0.5:3306", j.lastCommitted().orElseThrow().detail());
        j.begin("f2", "switchover", "10.0.0.5:3306", "10.0.0.6:3306");
        j.abort("f2", "no candidate");
        assertTrue(j.unfinished().isEmpty());
        assertEquals("f1", j.lastCommitted().orElseThrow().id(), "an aborted failover moves nothing");
    }

    @Test
    void aTornOrDamagedLastLineIsAStepThatNeverRan() throws Exception {
        UndoJournal j = new UndoJournal(dir);
        j.begin("f1", "failover", "a:1", "b:2");
        j.willDo("f1", Step.CATCH_UP, new Undo.None("waiting changes nothing"));
        // a crash in the middle of appending the next record: no newline
        Files.writeString(j.path(), "0badc0de\tdone\tf1\tCATCH", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        UndoJournal.Entry e = j.unfinished().orElseThrow();
        assertFalse(e.isDone(Step.CATCH_UP));
        assertEquals(1, e.undos().size());
        // the next start appends after it: the torn text stays a damaged line of its own
        j.done("f1", Step.CATCH_UP);
        assertTrue(j.unfinished().orElseThrow().isDone(Step.CATCH_UP));

        // a whole line whose checksum does not match (a torn write the file system padded)
        Files.writeString(j.path(), "\n0badc0de\tdone\tf1\tCATCH_UP\n", StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        j.willDo("f1", Step.STOP_REPLICATION, new Undo.None("x"));
        assertEquals(2, j.unfinished().orElseThrow().undos().size(), "records after a damaged line still count");
    }
}
