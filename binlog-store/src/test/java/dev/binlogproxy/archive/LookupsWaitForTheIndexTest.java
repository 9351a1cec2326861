package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.position.BinlogPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The commit round publishes a batch to readers before it appends the batch's index entries (the dumps tailing
 * the archive never wait for the index), so a lookup through the index first waits until the journal reaches
 * what it can see ({@link IndexJournal#awaitIndexed}). Checked here: it returns at once for what is indexed,
 * waits for what is not yet and returns when the round appends it, and gives up (the caller then reads the files)
 * on a timeout or when the journal is switched off.
 */
class LookupsWaitForTheIndexTest {
    private static final String SCENARIO = Dump.MYSQL_GTID;

    @TempDir
    Path dir;

    private final byte[] f1 = Dump.bytes(SCENARIO, Dump.FILE1);
    private final byte[] f2 = Dump.archived(Dump.bytes(SCENARIO, Dump.FILE2));

    @Test
    void aLookupWaitsForTheEntriesOfWhatItCanSeeAndNoLonger() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, SCENARIO, Durability.WRITE)) {
            ArchiveWriter w = a.writer();
            List<Appended> file1 = Dump.feedFile(w, Dump.FILE1, f1);
            Dump.awaitVisible(file1);
            IndexJournal index = a.index();
            BinlogPosition end1 = file1.get(file1.size() - 1).end();
            assertTrue(index.awaitIndexed(end1.file(), end1.offset(), 0), "indexed: no wait, even with no time");

            // the next file's end is not in the journal yet: a lookup for it waits until a round appends it
            CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(
                    () -> index.awaitIndexed(Dump.FILE2, f2.length, TimeUnit.SECONDS.toNanos(30)));
            Thread.sleep(100);
            assertFalse(waiting.isDone(), "it waits while the journal is short of the point");
            List<Appended> file2 = Dump.feedFile(w, Dump.FILE2, f2);
            Dump.awaitVisible(file2);
            assertTrue(waiting.get(30, TimeUnit.SECONDS), "the round's append releases it");

            long t0 = System.nanoTime();
            assertFalse(index.awaitIndexed(Dump.FILE2, f2.length + 1, TimeUnit.MILLISECONDS.toNanos(50)),
                    "past the end: false once the timeout has passed");
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(50), "it did wait for the timeout");
        }
    }

    @Test
    void aJournalThatIsSwitchedOffReleasesItsWaitersToTheFiles() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, SCENARIO, Durability.WRITE)) {
            IndexJournal index = a.index();
            CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(
                    () -> index.awaitIndexed(Dump.FILE1, 4, TimeUnit.SECONDS.toNanos(30)));
            Thread.sleep(100);
            assertFalse(waiting.isDone());
            index.switchOff(new IllegalStateException("injected"));
            assertFalse(waiting.get(5, TimeUnit.SECONDS), "unavailable: the lookup reads the files instead");
        }
    }
}
