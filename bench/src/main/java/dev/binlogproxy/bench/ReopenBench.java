package dev.binlogproxy.bench;

import dev.binlogproxy.archive.ArchiveWriter;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.archive.UpstreamIdentity;
import dev.binlogproxy.testkit.fixtures.GoldenFixtures;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * How long {@link BinlogArchive#open} takes on a large newest file, which recovery validates in full: after a clean
 * close, after a torn tail (cut at open; the index journal then ends past the file and is rebuilt), and with the
 * index journal gone (rebuilt from the files), then clean again; each with the first lookup after it, which builds
 * the index catalog. Each scenario is checked through the public API before it is timed (the tail was cut, the
 * journal came back), so a number never belongs to another scenario than its label says.
 *
 * <p>Usage: {@code bench/run-archive.sh reopen [MB]} (newest file size, default 256); {@code -Dbench.dir} where the
 * archive goes (default: a temp directory, deleted).
 */
public final class ReopenBench {
    private static final String FILE = GoldenFixtures.FILE1;

    private ReopenBench() {
    }

    public static void main(String[] args) throws Exception {
        long targetBytes = (args.length > 0 ? Long.parseLong(args[0]) : 256) << 20;
        Path root = Files.createTempDirectory(Path.of(System.getProperty("bench.dir",
                System.getProperty("java.io.tmpdir"))), "reopen-bench");
        Path dir = root.resolve("archive");
        StringBuilder out = new StringBuilder();
        try {
            FixtureTransaction tx = new FixtureTransaction();
            long transactions = 0;
            long t0 = System.nanoTime();
            try (BinlogArchive a = BinlogArchive.open(dir, Durability.WRITE)) {
                a.checkIdentity(UpstreamIdentity.mysql(UUID.fromString(GoldenFixtures.server(GoldenFixtures.MYSQL_GTID)
                        .getProperty("server_uuid")), 11, "mysql-bin"));
                ArchiveWriter w = a.writer();
                long end = tx.startFile(w, FILE);
                CompletableFuture<?> last = null;
                while (end < targetBytes) {
                    last = tx.append(w, end);
                    end += tx.size();
                    transactions++;
                }
                last.get();
            }
            double writeS = (System.nanoTime() - t0) / 1e9;
            long size = Files.size(dir.resolve(FILE));
            out.append(String.format(Locale.ROOT, "newest file %d MB, %d transactions, written in %.1f s (write"
                    + " durability, pipelined: %.0f tx/s)%n", size >> 20, transactions, writeS, transactions / writeS));
            out.append(time(dir, "clean reopen"));
            try (FileChannel ch = FileChannel.open(dir.resolve(FILE), StandardOpenOption.WRITE)) {
                ch.truncate(size - 100); // a torn last transaction
            }
            out.append(time(dir, "reopen after a torn tail"));
            if (Files.size(dir.resolve(FILE)) >= size - 100) {
                throw new IllegalStateException("the open did not cut the torn transaction");
            }
            BenchFiles.delete(dir.resolve("index"));
            out.append(time(dir, "reopen without an index journal"));
            if (!Files.isDirectory(dir.resolve("index"))) {
                throw new IllegalStateException("the open did not rebuild the index journal");
            }
            out.append(time(dir, "clean reopen"));
        } finally {
            BenchFiles.delete(root);
        }
        System.out.print(out);
        BenchFiles.writeSummary("bench/target/reopen-summary.txt", out.toString());
    }

    private static String time(Path dir, String what) throws Exception {
        long t0 = System.nanoTime();
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            double open = (System.nanoTime() - t0) / 1e9;
            long l0 = System.nanoTime();
            if (a.findFirstTransactionAt(Instant.EPOCH).isEmpty()) {
                throw new IllegalStateException("no transaction found after " + what);
            }
            double lookup = (System.nanoTime() - l0) / 1e9;
            return String.format(Locale.ROOT, "%-32s %6.2f s; first lookup (builds the catalog) %.2f s%n", what + ":",
                    open, lookup);
        }
    }
}
