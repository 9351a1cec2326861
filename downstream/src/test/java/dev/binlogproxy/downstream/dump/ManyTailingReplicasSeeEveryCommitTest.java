package dev.binlogproxy.downstream.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.github.shyiko.mysql.binlog.BinaryLogClient;
import com.github.shyiko.mysql.binlog.event.EventHeaderV4;

import dev.binlogproxy.archive.Appended;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.EventChecksum;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.downstream.DownstreamServer;
import dev.binlogproxy.downstream.ServerSettings;
import dev.binlogproxy.downstream.SessionLoops;
import dev.binlogproxy.downstream.login.Permission;
import dev.binlogproxy.downstream.login.UserAccount;
import dev.binlogproxy.protocol.auth.PasswordHash;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Many replicas tail one proxy, so that each event loop holds dozens of idle dumps that share one archive listener
 * ({@link IdleDumps}): some start at the end, some far behind (they read a backlog, then join the idle ones at
 * other moments), and commits come in bursts and pauses so that dumps go idle at different archive generations.
 * Every replica (mysql-binlog-connector-java) must get every commit, in order, with nothing lost to a wake-up that
 * went to the wrong generation: a dump that missed one would stall, and the test would time out on it. Once
 * the commits stop, every replica still gets its heartbeats.
 *
 * <p>Twice: with the server's own loops and the commits published by the archive's threads, and as the proxy runs
 * it, on {@link SessionLoops} with the commits appended and published on the upstream's loop, which a third of the
 * replicas share (their wake-up is a task that loop queues for itself, after the publishing read).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ManyTailingReplicasSeeEveryCommitTest {
    private static final int REPLICAS = 120;
    private static final int TRANSACTIONS = 400;
    private static final int HEARTBEAT_MS = 250;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "published on the upstream's loop: {0}")
    @ValueSource(booleans = {false, true})
    void everyReplicaGetsEveryCommitInOrder(boolean onUpstreamLoop) throws Exception {
        String scenario = Archives.MYSQL_GTID;
        byte[] f1 = Archives.bytes(scenario, Archives.FILE1);
        List<Archives.Positioned> events = Archives.events(f1);
        int[] bounds = Archives.firstTransaction(events);
        int first = bounds[0];
        int last = bounds[1];
        List<BinlogEvent> txn = new ArrayList<>();
        events.subList(first, last + 1).forEach(p -> txn.add(p.event()));
        List<BinaryLogClient> clients = new ArrayList<>();
        try (BinlogArchive a = BinlogArchive.open(dir, Durability.WRITE)) {
            a.checkIdentity(Archives.identity(scenario));
            Archives.awaitVisible(Archives.feed(a, Archives.FILE1, f1, first));
            long start = events.get(first).offset();
            long txnSize = txn.stream().mapToLong(e -> e.toByteArray().length).sum();
            long[] end = {start};
            List<Long> xidEnds = new ArrayList<>();
            // the file is listed (and logins taken) with its first transaction
            Appended lastAppended = appendTransaction(a, txn, end, xidEnds);
            lastAppended.durable().get();
            SessionLoops loops = onUpstreamLoop ? SessionLoops.create(2, REPLICAS / 3) : null;
            // as the upstream's session appends: held for a read, released (the round runs) on its own thread
            Appender appender = !onUpstreamLoop ? () -> appendTransaction(a, txn, end, xidEnds)
                    : () -> loops.upstreamLoop().submit(() -> {
                        a.writer().holdCommits();
                        try {
                            return appendTransaction(a, txn, end, xidEnds);
                        } finally {
                            a.writer().releaseCommits();
                        }
                    }).get();
            try (AutoCloseable closeLoops = () -> {
                     if (loops != null) {
                         loops.close();
                     }
                 };
                 DownstreamServer server = DownstreamServer.start(new ServerSettings("127.0.0.1", 0, null, null,
                    false, List.of(new UserAccount("repl", PasswordHash.of("repl-pw-1"),
                    EnumSet.of(Permission.REPLICATION))), null, null, false, false), a, Map::of, null,
                    new SimpleMeterRegistry(), loops)) {
                AtomicLongArray seen = new AtomicLongArray(REPLICAS);
                int[] skipped = new int[REPLICAS];
                AtomicLongArray heartbeats = new AtomicLongArray(REPLICAS);
                List<String> failures = new CopyOnWriteArrayList<>();
                Random random = new Random(42);
                int commitsDone = 0;
                for (int r = 0; r < REPLICAS; r++) {
                    // every third replica starts at the first transaction and reads the backlog first
                    boolean behind = r % 3 == 0;
                    BinaryLogClient c = new BinaryLogClient("127.0.0.1", server.port(), "repl", "repl-pw-1");
                    c.setServerId(1000 + r);
                    c.setBinlogFilename(Archives.FILE1);
                    c.setBinlogPosition(behind ? start : end[0]);
                    c.setKeepAlive(false);
                    c.setHeartbeatInterval(HEARTBEAT_MS);
                    int replica = r;
                    int skip = behind ? 0 : xidEnds.size();
                    skipped[r] = skip;
                    c.registerEventListener(ev -> {
                        if (ev.getHeader().getEventType()
                                == com.github.shyiko.mysql.binlog.event.EventType.HEARTBEAT) {
                            heartbeats.incrementAndGet(replica);
                            return;
                        }
                        if (!(ev.getHeader() instanceof EventHeaderV4 h)
                                || h.getEventType() != com.github.shyiko.mysql.binlog.event.EventType.XID) {
                            return;
                        }
                        int k = (int) seen.getAndIncrement(replica) + skip;
                        // every transaction is the same size: the k-th ends k+1 sizes past the first one's start
                        long expected = start + (k + 1) * txnSize;
                        if (h.getNextPosition() != expected) {
                            failures.add("replica " + replica + ": commit " + k + " ends at " + h.getNextPosition()
                                    + ", expected " + expected);
                        }
                    });
                    c.connect(10_000);
                    clients.add(c);
                    // commits while replicas are still arriving, so that dumps start at many generations
                    if (r % 4 == 0 && commitsDone < TRANSACTIONS) {
                        appender.append().durable().get();
                        commitsDone++;
                    }
                }
                while (commitsDone < TRANSACTIONS) {
                    int burst = 1 + random.nextInt(5);
                    for (int i = 0; i < burst && commitsDone < TRANSACTIONS; i++, commitsDone++) {
                        lastAppended = appender.append();
                    }
                    lastAppended.durable().get();
                    LockSupport.parkNanos(random.nextInt(3) * 1_000_000L);
                }
                int total = xidEnds.size();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (System.nanoTime() < deadline && !allCaughtUp(seen, skipped, total)) {
                    Thread.sleep(20);
                }
                assertEquals(List.of(), failures);
                if (loops != null) {
                    int[] counts = loops.sessionCounts();
                    assertEquals(REPLICAS / 3, counts[0], "sessions on the upstream's loop");
                    assertEquals(REPLICAS, counts[0] + counts[1] + counts[2], java.util.Arrays.toString(counts));
                }
                assertTrue(allCaughtUp(seen, skipped, total), () -> {
                    StringBuilder sb = new StringBuilder("replicas short of the last of " + total + " commits:");
                    for (int r = 0; r < REPLICAS; r++) {
                        if (seen.get(r) != total - skipped[r]) {
                            sb.append(" replica ").append(r).append(" got ").append(seen.get(r)).append(" of ")
                                    .append(total - skipped[r]);
                        }
                    }
                    return sb.toString();
                });
                // Quiet now: every dump's heartbeat timer (kept across commits when it fires early enough, see
                // DumpRun.idle) must still fire about once a period.
                long[] before = new long[REPLICAS];
                for (int r = 0; r < REPLICAS; r++) {
                    before[r] = heartbeats.get(r);
                }
                Thread.sleep(HEARTBEAT_MS * 8);
                for (int r = 0; r < REPLICAS; r++) {
                    long got = heartbeats.get(r) - before[r];
                    assertTrue(got >= 3, "replica " + r + " got " + got + " heartbeats in " + HEARTBEAT_MS * 8
                            + " ms of quiet with a " + HEARTBEAT_MS + " ms period");
                }
            } finally {
                for (BinaryLogClient c : clients) {
                    c.disconnect();
                }
            }
        }
    }

    private interface Appender {
        Appended append() throws Exception;
    }

    private static boolean allCaughtUp(AtomicLongArray seen, int[] skipped, int total) {
        for (int r = 0; r < seen.length(); r++) {
            if (seen.get(r) != total - skipped[r]) {
                return false;
            }
        }
        return true;
    }

    private static Appended appendTransaction(BinlogArchive a, List<BinlogEvent> txn, long[] end,
                                              List<Long> xidEnds) throws Exception {
        Appended appended = null;
        for (BinlogEvent e : txn) {
            byte[] b = e.toByteArray();
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(13, (int) (end[0] + b.length));
            EventChecksum.writeTrailer(b, 0, b.length);
            end[0] += b.length;
            appended = a.writer().append(BinlogEvent.wrap(b));
        }
        xidEnds.add(end[0]);
        return appended;
    }
}
