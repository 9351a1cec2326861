package dev.binlogproxy.proxy.hostile;

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
import java.util.EnumSet;
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
import org.junit.jupiter.api.extension.ExtendWith;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.downstream.DownstreamServer;
import dev.binlogproxy.downstream.login.Permission;
import dev.binlogproxy.downstream.ServerSettings;
import dev.binlogproxy.downstream.login.UserAccount;
import dev.binlogproxy.protocol.NoLeaks;
import dev.binlogproxy.protocol.auth.PasswordHash;
import dev.binlogproxy.client.ConnectionSettings;
import dev.binlogproxy.upstream.MirrorMetrics;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import dev.binlogproxy.upstream.MirrorService;
import dev.binlogproxy.upstream.UpstreamSettings;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

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
 * {@code hostile.target} ({@code proxy}, the default: the proxy's DownstreamServer in this JVM, mirroring a
 * MariaDB 10.11 master, the replica behind it; {@code master}: that real MariaDB itself, the anchor the harness
 * was built against, with the replica on it); {@code hostile.flavor} ({@code mariadb}, the default: MariaDB 10.11
 * master and replica; {@code mysql}: MySQL 8.0.15, so the proxy greets with caching_sha2_password).
 */
@ExtendWith(NoLeaks.class)
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
        String targetName = System.getProperty("hostile.target", "proxy");
        quietServerLogs();
        NoLeaks.collect(); // loads the detector at PARANOID before the server allocates its first buffer
        System.out.println("HostileInputTest seed=" + seed + " inputs=" + inputs + " target=" + targetName
                + " (replay: -Dhostile.seed=" + seed + ")");

        boolean mysql = System.getProperty("hostile.flavor", "mariadb").equals("mysql");
        ServerOptions masterOptions = (mysql ? ServerOptions.mysql() : ServerOptions.mariadb())
                // a real server blocks a host after max_connect_errors failed handshakes; the test makes thousands
                .extraFlag("--max-connect-errors=4294967295", "--max-connections=500",
                        mysql ? "--log-error-verbosity=1" : "--log-warnings=0")
                .build();
        Path archiveDir = Files.createTempDirectory("hostile-archive");
        try (DbServer master = DbServer.start(masterOptions);
             DbServer replica = DbServer.start((mysql ? ServerOptions.mysql() : ServerOptions.mariadb()).build());
             Closer closer = new Closer()) {
            master.createReplicationUser(USER, PASSWORD);
            master.execute("CREATE DATABASE h", "CREATE TABLE h.t (id BIGINT PRIMARY KEY, v VARCHAR(200))");
            HostileInputs.Target target;
            ServerProbe probe;
            if (targetName.equals("master")) {
                target = new HostileInputs.Target("real " + master.flavor() + " " + master.version(), master.host(), master.port(),
                        USER, PASSWORD, replica.serverId(), false, Map.of());
                probe = ServerProbe.of(master);
                replica.replicateFrom(master, USER, PASSWORD, false);
            } else if (targetName.equals("proxy")) {
                BinlogArchive archive = closer.add(BinlogArchive.open(archiveDir, Durability.WRITE));
                closer.add(MirrorService.start(UpstreamSettings.of(ConnectionSettings.plain("127.0.0.1",
                        master.port(), USER, PASSWORD), 9400, false), archive, new MirrorMetrics(new SimpleMeterRegistry())));
                awaitFirstFile(archiveDir);
                SimpleMeterRegistry meters = new SimpleMeterRegistry();
                ServerSettings settings = new ServerSettings("127.0.0.1", 0, null, null, false,
                        List.of(new UserAccount(USER, PasswordHash.of(PASSWORD),
                                EnumSet.of(Permission.REPLICATION, Permission.ADMIN))), null, null, false, false);
                DownstreamServer server = closer.add(DownstreamServer.start(settings, archive, Map::of, null, meters));
                target = new HostileInputs.Target("binlog-proxy", "127.0.0.1", server.port(), USER, PASSWORD,
                        replica.serverId(), true, PROXY_CODES);
                probe = ServerProbe.thisJvm(() -> (long) meters.get("binlog_proxy_downstream_sessions").gauge().value());
                replica.replicateFrom("127.0.0.1", server.port(), USER, PASSWORD, false);
            } else {
                throw new IllegalArgumentException("hostile.target: proxy or master, not " + targetName);
            }
            awaitReplicaRows(replica, 0);

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
                fail(failures.size() + " hostile input(s) failed (seed " + seed + "), the first of each class:\n"
                        + firstOfEachKind(failures));
            }
            assertTrue(probe.alive(), target.name() + " died");
            assertTrue(replicaTrouble.isEmpty(), "the replica did not stream through the run: " + replicaTrouble);

            awaitReplicaRows(replica, rows.get());
            assertEquals(String.valueOf(rows.get()), replica.queryValue("SELECT COUNT(*) FROM h.t"),
                    "rows on the replica");
            assertEquals(master.queryValue("CHECKSUM TABLE h.t"), replica.queryValue("CHECKSUM TABLE h.t"));

            before.awaitBack(probe, Duration.ofSeconds(30));
            List<String> leaks = NoLeaks.collect();
            assertTrue(leaks.isEmpty(), leaks.size() + " ByteBuf leak(s):\n" + String.join("\n", leaks));
        } finally {
            deleteTree(archiveDir);
        }
    }

    /**
     * What the proxy answers beyond the protocol's minimum (Session, DownstreamServer): a packet over its 1 MB
     * client limit gets 1153 at once, an out-of-order packet 1156, a command body it cannot parse 1835, and a dump
     * of a file it does not have 1236, each with its SQLSTATE ({@link HostileInputs#expectedState}).
     */
    private static final Map<HostileInputs.Kind, int[]> PROXY_CODES = Map.of(
            HostileInputs.Kind.OVERSIZED_FRAME, new int[] {1153},
            HostileInputs.Kind.PRE_AUTH_OVERSIZED_FRAME, new int[] {1153},
            HostileInputs.Kind.WRONG_SEQUENCE_COMMAND, new int[] {1156},
            HostileInputs.Kind.WRONG_SEQUENCE_RESPONSE, new int[] {1156},
            HostileInputs.Kind.EMPTY_PACKET, new int[] {1835, 1047},
            HostileInputs.Kind.BAD_BINLOG_DUMP, new int[] {1236, 1835},
            HostileInputs.Kind.BAD_BINLOG_DUMP_GTID, new int[] {1236, 1835},
            HostileInputs.Kind.BAD_REGISTER_SLAVE, new int[] {1835},
            HostileInputs.Kind.TRUNCATED_COMMAND, new int[] {1835, 1236});

    /** The mirror must have the master's first file before the server can greet anyone (3032 until then). */
    private static void awaitFirstFile(Path archiveDir) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Stream<Path> s = Files.list(archiveDir)) {
                if (s.anyMatch(p -> p.getFileName().toString().matches(".*\\.\\d{6}"))) {
                    return;
                }
            }
            if (System.nanoTime() > deadline) {
                fail("the mirror wrote no binlog file into " + archiveDir + " within 60 s");
            }
            Thread.sleep(50);
        }
    }

    /** Waits until the replica has applied {@code rows} rows of h.t (and has the table at all). */
    private static void awaitReplicaRows(DbServer replica, long rows) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (true) {
            if ("1".equals(replica.queryValue("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='h'"))
                    && Long.parseLong(replica.queryValue("SELECT COUNT(*) FROM h.t")) >= rows) {
                return;
            }
            if (System.nanoTime() > deadline) {
                fail("the replica did not reach " + rows + " rows: " + replica.replicaStatus());
            }
            Thread.sleep(50);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Closes what the test started, last first. */
    private static final class Closer implements AutoCloseable {
        private final java.util.ArrayDeque<AutoCloseable> open = new java.util.ArrayDeque<>();

        <T extends AutoCloseable> T add(T c) {
            open.push(c);
            return c;
        }

        @Override
        public void close() throws Exception {
            Exception first = null;
            while (!open.isEmpty()) {
                try {
                    open.pop().close();
                } catch (Exception e) {
                    if (first == null) {
                        first = e;
                    }
                }
            }
            if (first != null) {
                throw first;
            }
        }
    }

    /**
     * The server logs every refused session at INFO (right for operations); 100,000 of them to the test console
     * would cost more than the inputs. WARN and above still show.
     */
    private static void quietServerLogs() {
        for (String name : List.of("dev.binlogproxy.downstream", "dev.binlogproxy.protocol", "io.netty")) {
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(name))
                    .setLevel(ch.qos.logback.classic.Level.WARN);
        }
    }

    /** One line per input class that failed: how many, and the first failure in full. */
    private static String firstOfEachKind(List<String> failures) {
        java.util.Map<String, List<String>> byKind = new java.util.LinkedHashMap<>();
        java.util.regex.Pattern kind = java.util.regex.Pattern.compile("input #\\d+ (\\w+) of seed");
        for (String f : failures) {
            java.util.regex.Matcher m = kind.matcher(f);
            byKind.computeIfAbsent(m.find() ? m.group(1) : "other", k -> new ArrayList<>()).add(f);
        }
        StringBuilder b = new StringBuilder();
        byKind.forEach((k, list) -> b.append(list.size()).append(" x ").append(k).append(": ").append(list.get(0))
                .append('\n'));
        return b.toString();
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
                    for (long i; (i = next.getAndIncrement()) < inputs && failures.size() < 200; ) {
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
