package dev.binlogproxy.bench;

import dev.binlogproxy.archive.ArchiveReader;
import dev.binlogproxy.archive.ArchiveWriter;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.archive.UpstreamIdentity;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.testkit.fixtures.GoldenFixtures;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The archive's group commit under committers that each wait for their ack before the next transaction (a semi-sync
 * master's sessions): transactions/s, and the latency from the append of a transaction's last event (its commit
 * point) to the completion of its durable future, p50/p99, for 1, 8 and 32 committers in {@code fsync} mode and 1
 * and 8 in {@code write} mode. Transactions per commit round come from the archive's change counter
 * ({@link ArchiveReader#generation()}), which moves once per round that makes transactions readable in a file:
 * in {@code fsync} mode every such round is one fdatasync of that file, so this is transactions per fdatasync.
 *
 * <p>Usage: {@code bench/run-archive.sh groupcommit}; {@code -Dbench.seconds=N} (default 5) measured after 1 s of
 * warm-up per configuration; {@code -Dbench.dir} where the archives go (default: a temp directory, deleted).
 */
public final class GroupCommitBench {
    private GroupCommitBench() {
    }

    public static void main(String[] args) throws Exception {
        long seconds = Long.getLong("bench.seconds", 5);
        Path root = Files.createTempDirectory(Path.of(System.getProperty("bench.dir",
                System.getProperty("java.io.tmpdir"))), "group-commit-bench");
        StringBuilder out = new StringBuilder();
        try {
            int run = 0;
            for (Object[] c : new Object[][] {{Durability.FSYNC, 1}, {Durability.FSYNC, 8}, {Durability.FSYNC, 32},
                    {Durability.WRITE, 1}, {Durability.WRITE, 8}}) {
                String line = run(root.resolve("run" + run++), (Durability) c[0], (Integer) c[1], seconds);
                System.out.println(line);
                out.append(line).append('\n');
            }
        } finally {
            BenchFiles.delete(root);
        }
        BenchFiles.writeSummary("bench/target/group-commit-summary.txt", out.toString());
    }

    private static String run(Path dir, Durability durability, int committers, long seconds) throws Exception {
        FixtureTransaction tx = new FixtureTransaction();
        try (BinlogArchive a = BinlogArchive.open(dir, durability)) {
            a.checkIdentity(UpstreamIdentity.mysql(UUID.fromString(GoldenFixtures.server(GoldenFixtures.MYSQL_GTID)
                    .getProperty("server_uuid")), 11, "mysql-bin"));
            ArchiveWriter w = a.writer();
            long[] end = {tx.startFile(w, GoldenFixtures.FILE1)};
            try (ArchiveReader rounds = a.openReader(BinlogPosition.startOf(GoldenFixtures.FILE1))) {
                ReentrantLock txLock = new ReentrantLock();
                long warmup = TimeUnit.SECONDS.toNanos(1);
                long measure = TimeUnit.SECONDS.toNanos(seconds);
                long start = System.nanoTime();
                long[] window = {-1, 0};  // generation and transactions at the start of the measured window
                ExecutorService pool = Executors.newFixedThreadPool(committers);
                List<Future<long[]>> results = new ArrayList<>();
                for (int t = 0; t < committers; t++) {
                    results.add(pool.submit(() -> {
                        long[] lat = new long[1 << 20];
                        int n = 0;
                        long count = 0;
                        while (System.nanoTime() - start < warmup + measure) {
                            CompletableFuture<BinlogPosition> f;
                            long committed;
                            txLock.lock();
                            try {
                                f = tx.append(w, end[0]);
                                committed = System.nanoTime();
                                end[0] += tx.size();
                                if (window[0] < 0 && committed - start > warmup) {
                                    window[0] = rounds.generation();
                                }
                            } finally {
                                txLock.unlock();
                            }
                            f.get();
                            if (committed - start > warmup && n < lat.length) {
                                lat[n++] = System.nanoTime() - committed;
                            }
                        }
                        return Arrays.copyOf(lat, n);
                    }));
                }
                List<long[]> all = new ArrayList<>();
                for (Future<long[]> f : results) {
                    all.add(f.get());
                }
                pool.shutdown();
                long roundCount = rounds.generation() - window[0];
                long[] lat = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
                if (lat.length == 0 || !a.verify().ok()) {
                    throw new IllegalStateException("no transaction measured, or the archive does not verify");
                }
                return String.format(Locale.ROOT, "%-5s %2d committers: %8.0f tx/s, ack latency p50 %6.0f us"
                                + " p99 %6.0f us, %.2f transactions per commit round%s", durability, committers,
                        lat.length / (measure / 1e9), lat[lat.length / 2] / 1e3, lat[(int) (lat.length * 0.99)] / 1e3,
                        (double) lat.length / Math.max(1, roundCount),
                        durability == Durability.FSYNC ? " (= per fdatasync)" : "");
            }
        }
    }
}
