package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How long {@link BinlogArchive#open} takes on a large newest file: clean, after a torn tail (the newest file is
 * validated in full), and with the index journal gone (rebuilt from the files). Tagged soak: run with
 * {@code mvn -pl binlog-store test -Dtest=ReopenTimeBenchmarkTest -DexcludedGroups=none -Dbench.mb=256}.
 */
@Tag("soak")
class ReopenTimeBenchmarkTest {
    @TempDir
    Path dir;

    @Test
    void measure() throws Exception {
        long targetBytes = Long.getLong("bench.mb", 256) << 20;
        GroupCommitTest.Transactions tx = new GroupCommitTest.Transactions();
        long transactions = 0;
        long t0 = System.nanoTime();
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.WRITE)) {
            ArchiveWriter w = a.writer();
            tx.startFile(w, Dump.FILE1);
            long end = a.resumePosition().orElseThrow().offset();
            CompletableFuture<?> last = null;
            while (end < targetBytes) {
                last = tx.append(w, end);
                end += tx.size();
                transactions++;
            }
            last.get();
        }
        double writeS = (System.nanoTime() - t0) / 1e9;
        long size = Files.size(dir.resolve(Dump.FILE1));
        StringBuilder out = new StringBuilder(String.format("newest file %d MB, %d transactions (%d events),"
                + " written in %.1f s (WRITE, pipelined: %.0f tx/s)%n", size >> 20, transactions, transactions * 5 + 2,
                writeS, transactions / writeS));
        out.append(time("clean reopen", IndexJournal.Outcome.IN_SYNC));
        try (FileChannel ch = FileChannel.open(dir.resolve(Dump.FILE1), StandardOpenOption.WRITE)) {
            ch.truncate(size - 100); // a torn last transaction
        }
        out.append(time("reopen after a torn tail", IndexJournal.Outcome.REBUILT));
        try (Stream<Path> walk = Files.walk(dir.resolve(IndexJournal.DIR_NAME))) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        out.append(time("reopen without an index journal", IndexJournal.Outcome.CAUGHT_UP));
        out.append(time("clean reopen", IndexJournal.Outcome.IN_SYNC));
        System.out.print(out);
    }

    private String time(String what, IndexJournal.Outcome expected) throws Exception {
        long t0 = System.nanoTime();
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            double s = (System.nanoTime() - t0) / 1e9;
            assertEquals(expected, a.index().outcome());
            long l0 = System.nanoTime();
            assertTrue(a.findFirstTransactionAt(java.time.Instant.EPOCH).isPresent());
            double lookup = (System.nanoTime() - l0) / 1e9;
            return String.format("%s: %.2f s (index %s); first lookup (builds the catalog) %.2f s%n", what, s,
                    a.index().outcome(), lookup);
        }
    }
}
