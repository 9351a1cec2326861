package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.archive.Appended;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventChecksum;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.protocol.RealMasterDump;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Live tail without servers: a writer appends one real transaction (the fixture's first row transaction, re-based
 * to its new offsets) every millisecond while a blocking dump tails the archive. Every transaction must reach the
 * output whole and in order; the time from handing the commit event to the writer until the sender has written it
 * is printed (p50/p99), an upper bound of visible-to-sent. Not a timed assertion: numbers go to docs/results.md.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LiveTailLatencyTest {
    private static final int TRANSACTIONS = 2000;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = Durability.class)
    void everyCommittedTransactionReachesTheTailingSender(Durability durability) throws Exception {
        String scenario = Archives.MYSQL_GTID;
        byte[] f1 = Archives.bytes(scenario, Archives.FILE1);
        List<Archives.Positioned> events = Archives.events(f1);
        int[] bounds = Archives.firstTransaction(events);
        int first = bounds[0];
        int last = bounds[1];
        List<BinlogEvent> txn = new ArrayList<>();
        events.subList(first, last + 1).forEach(p -> txn.add(p.event()));
        try (BinlogArchive a = BinlogArchive.open(dir, durability)) {
            a.checkIdentity(Archives.identity(scenario));
            Archives.awaitVisible(Archives.feed(a, Archives.FILE1, f1, first)); // FDE and PREVIOUS_GTIDS
            long end = events.get(first).offset();
            RecordingOutput out = new RecordingOutput();
            DumpRequest request = new DumpRequest(new StartPoint.FilePosition(Archives.FILE1, end), 77, 0,
                    BinlogFlavor.MYSQL, ChecksumAlgorithm.CRC32, 0, false, 0, false);
            BinlogSender sender = new BinlogSender(a, request, out, Archives.serverId(scenario),
                    new DumpMetrics(new SimpleMeterRegistry()));
            Thread t = new Thread(() -> {
                try {
                    sender.run();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "tailing-sender");
            t.start();
            long[] committed = new long[TRANSACTIONS];
            long[] visible = new long[TRANSACTIONS];
            List<byte[]> xids = new ArrayList<>();
            Appended lastAppended = null;
            for (int n = 0; n < TRANSACTIONS; n++) {
                for (int k = 0; k < txn.size(); k++) {
                    byte[] b = rebased(txn.get(k), end);
                    end += b.length;
                    if (k == txn.size() - 1) {
                        xids.add(b);
                        committed[n] = System.nanoTime();
                    }
                    lastAppended = a.writer().append(BinlogEvent.wrap(b));
                    if (k == txn.size() - 1) {
                        int tx = n;
                        // completes on the commit thread right after the publish that wakes the sender
                        lastAppended.durable().thenRun(() -> visible[tx] = System.nanoTime());
                    }
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            lastAppended.durable().get();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (countXids(out) < TRANSACTIONS && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            sender.stop();
            t.join(5000);
            assertFalse(t.isAlive());

            List<RealMasterDump.Item> items = out.snapshot();
            long[] latency = new long[TRANSACTIONS];
            long[] toVisible = new long[TRANSACTIONS];
            long[] visibleToSent = new long[TRANSACTIONS];
            int n = 0;
            for (int i = 0; i < items.size(); i++) {
                if (items.get(i) instanceof RealMasterDump.Event e
                        && BinlogEvent.wrap(e.bytes()).type() == EventType.XID) {
                    assertArrayEquals(xids.get(n), e.bytes(), "transaction " + n + " in order");
                    latency[n] = out.times.get(i) - committed[n];
                    toVisible[n] = visible[n] - committed[n];
                    // may be below 0: the woken sender can write before the commit thread runs the callback
                    visibleToSent[n] = out.times.get(i) - visible[n];
                    n++;
                }
            }
            assertEquals(TRANSACTIONS, n, "every transaction reached the sender's output");
            Arrays.sort(latency);
            Arrays.sort(toVisible);
            Arrays.sort(visibleToSent);
            System.out.printf("live tail (%s): commit -> visible (durable future done) p50 %.1f us, p99 %.1f us;"
                            + " visible -> sent p50 %.1f us, p99 %.1f us%n", durability,
                    toVisible[TRANSACTIONS / 2] / 1e3, toVisible[TRANSACTIONS * 99 / 100] / 1e3,
                    visibleToSent[TRANSACTIONS / 2] / 1e3, visibleToSent[TRANSACTIONS * 99 / 100] / 1e3);
            long[] anchor = conditionWakeups(TRANSACTIONS);
            System.out.printf("live tail (%s durability, %d transactions, 1 per ms): commit handed to the writer ->"
                            + " written by the sender: p50 %.1f us, p99 %.1f us, max %.1f us; anchor (a thread woken"
                            + " by a condition signal, same run): p50 %.1f us, p99 %.1f us%n", durability,
                    TRANSACTIONS, latency[TRANSACTIONS / 2] / 1e3, latency[TRANSACTIONS * 99 / 100] / 1e3,
                    latency[TRANSACTIONS - 1] / 1e3, anchor[TRANSACTIONS / 2] / 1e3,
                    anchor[TRANSACTIONS * 99 / 100] / 1e3);
        }
    }

    /**
     * The least a wake-up of a waiting thread can take here: signal a condition every millisecond and time until
     * the waiter runs (sorted).
     */
    private static long[] conditionWakeups(int n) throws InterruptedException {
        java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
        java.util.concurrent.locks.Condition changed = lock.newCondition();
        long[] signalled = new long[1];
        long[] seen = {0};
        long[] out = new long[n];
        Thread waiter = new Thread(() -> {
            for (int i = 0; i < n; i++) {
                lock.lock();
                try {
                    while (seen[0] == i) {
                        changed.awaitUninterruptibly();
                    }
                    out[i] = System.nanoTime() - signalled[0];
                } finally {
                    lock.unlock();
                }
            }
        });
        waiter.start();
        for (int i = 0; i < n; i++) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            lock.lock();
            try {
                signalled[0] = System.nanoTime();
                seen[0] = i + 1;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            while (waiter.isAlive() && out[i] == 0) {
                Thread.onSpinWait();
            }
        }
        waiter.join();
        Arrays.sort(out);
        return out;
    }

    private static long countXids(RecordingOutput out) {
        return out.snapshot().stream().filter(i -> i instanceof RealMasterDump.Event e
                && BinlogEvent.wrap(e.bytes()).type() == EventType.XID).count();
    }

    /** The event moved to {@code at}: log_pos = its new end, CRC recomputed. */
    private static byte[] rebased(BinlogEvent e, long at) {
        byte[] b = e.toByteArray();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(13, (int) (at + b.length));
        EventChecksum.writeTrailer(b, 0, b.length);
        return b;
    }
}
