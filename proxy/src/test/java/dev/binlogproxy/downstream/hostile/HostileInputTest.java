package dev.binlogproxy.downstream.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.binlogproxy.protocol.NoLeaks;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;

/**
 * At least 100,000 generated malformed inputs at a MySQL-protocol server port while a real MariaDB replica
 * streams a steady workload through that same port (see {@link HostileInputs} for what is sent and judged).
 *
 * <p>Asserts: every input gets an ERR (with the code the protocol defines for its class), a close, or, for
 * frames left incomplete on purpose, patience; no hostile input ever logs in; the server never crashes or hangs;
 * the replica never stops, has no I/O error, and ends with every row; and afterwards the server is back to its
 * baseline of connections, threads and open files, with Netty's leak detector (PARANOID) silent.
 *
 * <p>System properties: {@code hostile.seed} (default: random, printed), {@code hostile.inputs} (default 100000),
 * {@code hostile.only} (replay one input index), {@code hostile.workers} (parallel connections, default 8),
 * {@code hostile.target} ({@code master}: a real MariaDB 10.11, the anchor the harness was built against).
 */
class HostileInputTest {

    private static final String USER = "repl";
    private static final String PASSWORD = "hostile-pw";

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void malformedInputNeverHurtsTheServerOrItsReplicas() throws Exception {
        long seed = Long.getLong("hostile.seed", System.nanoTime());
        long inputs = Long.getLong("hostile.inputs", 100_000);
        Long only = Long.getLong("hostile.only");
        int workers = Integer.getInteger("hostile.workers", 8);
        String targetName = System.getProperty("hostile.target", "master");
        System.out.println("HostileInputTest seed=" + seed + " inputs=" + inputs + " target=" + targetName
                + " (replay: -Dhostile.seed=" + seed + ")");

        ServerOptions masterOptions = ServerOptions.mariadb()
                // a real server blocks a host after max_connect_errors failed handshakes; the test makes thousands
                .extraFlag("--max-connect-errors=4294967295", "--max-connections=500", "--log-warnings=0")
                .build();
        try (DbServer master = DbServer.start(masterOptions);
             DbServer replica = DbServer.start(ServerOptions.mariadb().build())) {
            master.createReplicationUser(USER, PASSWORD);
            master.execute("CREATE DATABASE h", "CREATE TABLE h.t (id BIGINT PRIMARY KEY, v VARCHAR(200))");
            HostileInputs.Target target = new HostileInputs.Target("real MariaDB " + master.version(),
                    master.host(), master.port(), USER, PASSWORD, replica.serverId(), false, Map.of());
            ServerProbe probe = ServerProbe.of(master);

            replica.replicateFrom(master, USER, PASSWORD, false);
            replica.waitForReplicaCaughtUp(master, Duration.ofMinutes(1));

            // baseline after the replica is connected: everything after this must come back to it
            Baseline before = Baseline.take(probe);

            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong rows = new AtomicLong();
            ConcurrentLinkedQueue<String> replicaTrouble = new ConcurrentLinkedQueue<>();
            Thread writer = new Thread(() -> writeRows(master, stop, rows), "hostile-writer");
            Thread watcher = new Thread(() -> watchReplica(replica, stop, replicaTrouble), "hostile-replica-watch");
            writer.start();
            watcher.start();

            HostileInputs gen = new HostileInputs(seed, target);
            List<String> failures = new ArrayList<>();
            long startNanos = System.nanoTime();
            try {
                if (only != null) {
                    try (HostileInputs.Worker w = gen.new Worker()) {
                        w.play(only);
                    } catch (HostileInputs.Failure f) {
                        failures.add(f.getMessage());
                    }
                } else {
                    failures.addAll(runAll(gen, inputs, workers, probe));
                }
            } finally {
                stop.set(true);
                writer.join();
                watcher.join();
            }
            double secs = (System.nanoTime() - startNanos) / 1e9;
            System.out.printf("HostileInputTest: %d inputs in %.1f s (%.0f/s), %d rows written meanwhile%n%s",
                    gen.total(), secs, gen.total() / secs, rows.get(), gen.report());

            if (!failures.isEmpty()) {
                fail(failures.size() + " hostile input(s) failed (seed " + seed + "), first ones:\n"
                        + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
            }
            assertTrue(probe.alive(), target.name() + " died");
            assertTrue(replicaTrouble.isEmpty(), "the replica did not stream through the run: " + replicaTrouble);

            replica.waitForReplicaCaughtUp(master, Duration.ofMinutes(2));
            assertEquals(String.valueOf(rows.get()), replica.queryValue("SELECT COUNT(*) FROM h.t"),
                    "rows on the replica");
            assertEquals(master.queryValue("CHECKSUM TABLE h.t"), replica.queryValue("CHECKSUM TABLE h.t"));

            before.awaitBack(probe, Duration.ofSeconds(30));
            List<String> leaks = NoLeaks.collect();
            assertTrue(leaks.isEmpty(), leaks.size() + " ByteBuf leak(s):\n" + String.join("\n", leaks));
        }
    }

    private static List<String> runAll(HostileInputs gen, long inputs, int workers, ServerProbe probe)
            throws InterruptedException {
        AtomicLong next = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            futures.add(pool.submit(() -> {
                try (HostileInputs.Worker worker = gen.new Worker()) {
                    for (long i; (i = next.getAndIncrement()) < inputs && failures.size() < 50; ) {
                        try {
                            worker.play(i);
                        } catch (HostileInputs.Failure f) {
                            failures.add(f.getMessage());
                            if (!probe.alive()) {
                                failures.add("the server is gone after input #" + i);
                                return;
                            }
                        }
                    }
                }
            }));
        }
        pool.shutdown();
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                failures.add("worker crashed: " + e.getCause());
            }
        }
        return new ArrayList<>(failures);
    }

    /** Small transactions all through the run; the replica must end with every one. */
    private static void writeRows(DbServer master, AtomicBoolean stop, AtomicLong rows) {
        try (Connection c = master.connect();
             PreparedStatement ps = c.prepareStatement("INSERT INTO h.t VALUES (?, REPEAT('x', ?))")) {
            c.setAutoCommit(false);
            while (!stop.get()) {
                long base = rows.get();
                int n = 1 + (int) (base % 5);
                for (int i = 0; i < n; i++) {
                    ps.setLong(1, base + i);
                    ps.setInt(2, (int) ((base + i) % 200));
                    ps.executeUpdate();
                }
                c.commit();
                rows.addAndGet(n);
                Thread.sleep(5);
            }
        } catch (Exception e) {
            throw new IllegalStateException("the writer failed", e);
        }
    }

    /** The replica's I/O thread must stay connected with no error from start to end. */
    private static void watchReplica(DbServer replica, AtomicBoolean stop, ConcurrentLinkedQueue<String> trouble) {
        while (!stop.get()) {
            Map<String, String> s = replica.replicaStatus();
            if (!"Yes".equals(s.get("Slave_IO_Running")) || !"Yes".equals(s.get("Slave_SQL_Running"))
                    || !"0".equals(s.get("Last_IO_Errno")) || !"0".equals(s.get("Last_SQL_Errno"))) {
                trouble.add("IO=" + s.get("Slave_IO_Running") + " SQL=" + s.get("Slave_SQL_Running") + " io_err="
                        + s.get("Last_IO_Errno") + " " + s.get("Last_IO_Error") + " sql_err=" + s.get("Last_SQL_Errno"));
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Where the server's health is read: its process (for open files), its own counters. */
    interface ServerProbe {
        boolean alive();

        long openFiles();

        long threads();

        /** Client sessions the server holds. */
        long sessions();

        /**
         * How many more open files than at the baseline count as "back": mysqld opens table and log files on
         * first use and keeps them (the table cache); the proxy opens nothing per session that should outlive it.
         */
        long fileSlack();

        static ServerProbe of(DbServer server) {
            return new ServerProbe() {
                @Override
                public boolean alive() {
                    return server.isRunning();
                }

                @Override
                public long openFiles() {
                    return countFds(Path.of("/proc", String.valueOf(server.pid()), "fd"));
                }

                @Override
                public long threads() {
                    // mysqld keeps finished connection threads in its thread cache: count the ones in use
                    return Long.parseLong(server.globalStatus("Threads_connected"));
                }

                @Override
                public long sessions() {
                    return Long.parseLong(server.globalStatus("Threads_connected"));
                }

                @Override
                public long fileSlack() {
                    return 32;
                }
            };
        }

        /** This JVM: the proxy runs in it. */
        static ServerProbe thisJvm(java.util.function.LongSupplier sessions) {
            return new ServerProbe() {
                @Override
                public boolean alive() {
                    return true;
                }

                @Override
                public long openFiles() {
                    return countFds(Path.of("/proc/self/fd"));
                }

                @Override
                public long threads() {
                    return ManagementFactory.getThreadMXBean().getThreadCount();
                }

                @Override
                public long sessions() {
                    return sessions.getAsLong();
                }

                @Override
                public long fileSlack() {
                    return 4;
                }
            };
        }
    }

    static long countFds(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + dir, e);
        }
    }

    record Baseline(long openFiles, long threads, long sessions) {
        static Baseline take(ServerProbe p) {
            return new Baseline(p.openFiles(), p.threads(), p.sessions());
        }

        /** Open files and threads may sit a little above (a log file rotated, a pool warmed): a leak grows. */
        void awaitBack(ServerProbe p, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            Baseline now;
            do {
                now = take(p);
                if (now.sessions <= sessions && now.openFiles <= openFiles + p.fileSlack() && now.threads <= threads + 4) {
                    System.out.println("HostileInputTest: back to baseline " + this + " -> " + now);
                    return;
                }
                Thread.sleep(200);
            } while (System.nanoTime() < deadline);
            fail("not back to the baseline within " + timeout + ": before " + this + ", after " + now);
        }
    }
}
