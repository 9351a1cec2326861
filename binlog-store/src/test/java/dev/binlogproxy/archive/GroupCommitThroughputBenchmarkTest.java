package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.position.BinlogPosition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Transactions/s and durable-future latency with 1 and 8 committers, each waiting for its ack before its next
 * transaction (a semi-sync master session). Latency is from the append of the transaction's last event (its commit
 * point) to the completion of its durable future. Tagged soak: run with
 * {@code mvn -pl binlog-store test -Dtest=GroupCommitThroughputBenchmarkTest -DexcludedGroups=none}.
 */
@Tag("soak")
class GroupCommitThroughputBenchmarkTest {
    @TempDir
    Path tmp;

    @Test
    void measure() throws Exception {
        List<String> lines = new ArrayList<>();
        lines.add(run(Durability.FSYNC, 1));
        lines.add(run(Durability.FSYNC, 8));
        lines.add(run(Durability.FSYNC, 32));
        lines.add(run(Durability.WRITE, 1));
        lines.add(run(Durability.WRITE, 8));
        lines.forEach(System.out::println);
    }

    private String run(Durability durability, int threads) throws Exception {
        Path dir = tmp.resolve(durability + "-" + threads);
        GroupCommitTest.Transactions tx = new GroupCommitTest.Transactions();
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, durability)) {
            ArchiveWriter w = a.writer();
            tx.startFile(w, Dump.FILE1);
            ReentrantLock txLock = new ReentrantLock();
            long[] end = {a.resumePosition().orElseThrow().offset()};
            long warmupNanos = TimeUnit.SECONDS.toNanos(1);
            long measureNanos = TimeUnit.SECONDS.toNanos(5);
            long start = System.nanoTime();
            long[] syncs0 = new long[1];
            long[] commits0 = new long[1];
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<long[]>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    long[] lat = new long[1 << 20];
                    int n = 0;
                    while (true) {
                        long now = System.nanoTime();
                        if (now - start > warmupNanos + measureNanos) {
                            break;
                        }
                        CompletableFuture<BinlogPosition> f;
                        long committed;
                        txLock.lock();
                        try {
                            f = tx.append(w, end[0]);
                            committed = System.nanoTime();
                            end[0] += tx.size();
                            // Start of the measured window: counters read by whoever gets there first.
                            if (syncs0[0] == 0 && committed - start > warmupNanos) {
                                syncs0[0] = a.commits().syncCount() + 1;
                                commits0[0] = a.commits().commitCount();
                            }
                        } finally {
                            txLock.unlock();
                        }
                        f.get();
                        if (committed - start > warmupNanos && n < lat.length) {
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
            long syncs = a.commits().syncCount() - (syncs0[0] - 1);
            long commits = a.commits().commitCount() - commits0[0];
            long[] lat = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
            double seconds = measureNanos / 1e9;
            assertTrue(lat.length > 0);
            assertTrue(a.verify().ok());
            return String.format("%-5s %2d committers: %8.0f tx/s, ack latency p50 %6.0f us p99 %6.0f us,"
                            + " %.2f transactions per fdatasync",
                    durability, threads, lat.length / seconds, lat[lat.length / 2] / 1e3,
                    lat[(int) (lat.length * 0.99)] / 1e3, durability == Durability.FSYNC ? (double) commits / syncs
                            : Double.NaN);
        }
    }
}
