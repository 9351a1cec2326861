package dev.binlogproxy.bench.serve;

import dev.binlogproxy.bench.BenchResults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import com.github.shyiko.mysql.binlog.BinaryLogClient;
import com.github.shyiko.mysql.binlog.event.EventData;
import com.github.shyiko.mysql.binlog.event.WriteRowsEventData;

import dev.binlogproxy.testkit.BinaryLog;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.MasterStatus;
import dev.binlogproxy.testkit.ServerOptions;

/**
 * Side-by-side benchmarks of the proxy's master side, each against a real MariaDB 10.11 doing the same job in the
 * same run (the anchor), ratios printed:
 *
 * <ul>
 *   <li>{@code fanout [MB] [clients]}: N concurrent {@code mariadb-binlog --read-from-remote-server --raw} reading
 *       a backlog of MB megabytes (default 1024, 8 clients) from the master vs from the proxy; aggregate MB/s.
 *   <li>{@code relay [commits]}: commit on the master until the row is visible on a leaf replica, through a MariaDB
 *       intermediate master (log_slave_updates) vs through the proxy; p50/p99.
 *   <li>{@code tail [sessions] [commits]}: that many mysql-binlog-connector-java sessions tailing the master vs
 *       the proxy; commit to row-event-received latency p50/p99, and the serving process's RSS.
 * </ul>
 *
 * <p>The proxy is the real thing: {@code bin/binlog-proxy run} in a child process ({@link ProxyProcess}).
 * {@code -Dbench.proxy=false} measures the anchors alone. Summary: {@code bench/target/serve-summary.txt}.
 */
public final class ServeBench {

    private static final String USER = ProxyProcess.USER;
    private static final String PASSWORD = ProxyProcess.PASSWORD;
    private static final boolean WITH_PROXY = Boolean.parseBoolean(System.getProperty("bench.proxy", "true"));
    private static final StringBuilder SUMMARY = new StringBuilder();
    /** Held: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
    private static final java.util.logging.Logger CONNECTOR_LOG =
            java.util.logging.Logger.getLogger("com.github.shyiko.mysql.binlog");

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "all";
        // the connector logs every connect at INFO through java.util.logging: 100 sessions, 200 lines
        CONNECTOR_LOG.setLevel(java.util.logging.Level.WARNING);
        out("Serve benchmarks, " + Instant.now() + ", " + Runtime.getRuntime().availableProcessors() + " cpus, load "
                + loadAverage() + (WITH_PROXY ? "" : ", anchors only (bench.proxy=false)"));
        switch (mode) {
            case "fanout" -> fanOut(intArg(args, 1, 1024), intArg(args, 2, 8));
            case "relay" -> relay(intArg(args, 1, 1000));
            case "tail" -> tail(intArg(args, 1, 100), intArg(args, 2, 1000));
            case "all" -> {
                fanOut(intArg(args, 1, 1024), 8);
                relay(1000);
                tail(100, 1000);
            }
            default -> throw new IllegalArgumentException("mode: fanout | relay | tail | all, not " + mode);
        }
        Path summary = Path.of(System.getProperty("bench.summary", "bench/target/serve-summary.txt"));
        Files.createDirectories(summary.toAbsolutePath().getParent());
        Files.writeString(summary, SUMMARY.toString());
    }

    // -----------------------------------------------------------------------------------------------------------
    // fan-out

    static void fanOut(int backlogMb, int clients) throws Exception {
        ServerOptions options = ServerOptions.mariadb().maxBinlogSize(256L << 20)
                .extraFlag("--innodb-flush-log-at-trx-commit=0", "--sync-binlog=0", "--innodb-buffer-pool-size=256M",
                        "--innodb-log-file-size=512M")
                .build();
        try (DbServer master = DbServer.start(options)) {
            master.createReplicationUser(USER, PASSWORD);
            long t0 = System.nanoTime();
            long bytes = writeBacklog(master, (long) backlogMb << 20);
            List<BinaryLog> logs = master.showBinaryLogs();
            out(String.format(Locale.ROOT, "%nfan-out: backlog %d MB in %d files written in %.0f s; %d clients each "
                    + "read all of it", bytes >> 20, logs.size(), (System.nanoTime() - t0) / 1e9, clients));
            String first = logs.get(0).name();
            ProxyProcess proxy = null;
            try {
                if (WITH_PROXY) {
                    proxy = ProxyProcess.start(master, 9601);
                    proxy.awaitMirrored(master, Duration.ofMinutes(10));
                }
                List<Double> m = new ArrayList<>();
                List<Double> p = new ArrayList<>();
                int rounds = Integer.getInteger("bench.rounds", 2);
                for (int round = 0; round < rounds; round++) {
                    m.add(readAll("master", master.port(), master.pid(), first, clients, bytes, master));
                    if (proxy != null) {
                        p.add(readAll("proxy", proxy.port(), proxy.pid(), first, clients, bytes, master));
                    }
                }
                double bestM = m.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
                BenchResults.put("fanout", "clients", clients);
                BenchResults.put("fanout", "backlog_mb", bytes >> 20);
                BenchResults.put("fanout", "master_mb_s", bestM);
                out(String.format(Locale.ROOT, "fan-out master: %s MB/s aggregate (best %.0f)", rounded(m), bestM));
                if (proxy != null) {
                    double bestP = p.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
                    out(String.format(Locale.ROOT, "fan-out proxy:  %s MB/s aggregate (best %.0f), proxy RSS %d MB "
                            + "(peak %d MB; now anonymous %d MB, file pages %d MB)", rounded(p), bestP,
                            proxy.rssKb() >> 10, proxy.hwmKb() >> 10, Procs.statusKb(proxy.pid(), "RssAnon") >> 10,
                            Procs.statusKb(proxy.pid(), "RssFile") >> 10));
                    BenchResults.put("fanout", "proxy_mb_s", bestP);
                    BenchResults.put("fanout", "proxy_rss_mb", proxy.rssKb() >> 10);
                    out(String.format(Locale.ROOT, "fan-out ratio proxy / master (best of each): %.2f (target >= 1.5)",
                            bestP / bestM));
                }
            } finally {
                if (proxy != null) {
                    proxy.close();
                }
            }
        }
    }

    /** Row events of ~1 KB rows, 1000 to a transaction, until the binlogs hold {@code target} bytes. */
    private static long writeBacklog(DbServer master, long target) throws Exception {
        master.execute("CREATE DATABASE f", "CREATE TABLE f.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, b VARBINARY(1000))");
        try (Connection c = master.connect(); Statement s = c.createStatement()) {
            long total = 0;
            for (int i = 0; total < target; i++) {
                s.execute("INSERT INTO f.t (b) SELECT REPEAT(CHAR(65 + seq % 26), 900 + seq % 100) FROM f.seq_1_to_1000");
                if (i % 20 == 0) {
                    total = master.showBinaryLogs().stream().mapToLong(BinaryLog::size).sum();
                }
            }
            s.execute("FLUSH BINARY LOGS");
        }
        return master.showBinaryLogs().stream().mapToLong(BinaryLog::size).sum();
    }

    /** Aggregate MB/s of {@code clients} concurrent mariadb-binlog -R --raw reading every file to the end. */
    private static double readAll(String what, int port, long serverPid, String firstFile, int clients,
                                  long expectBytes, DbServer master) throws Exception {
        Path base = Files.createTempDirectory(Path.of(System.getProperty("bench.fanoutDir", "/dev/shm")),
                "serve-fanout");
        try {
            List<Process> ps = new ArrayList<>();
            double[] cpuBefore = Procs.cpuSplit(serverPid);
            double clientsBefore = Procs.reapedChildrenCpuSeconds();
            long[] machineBefore = Procs.machineJiffies();
            long start = System.nanoTime();
            for (int i = 0; i < clients; i++) {
                Path dir = Files.createDirectory(base.resolve("c" + i));
                ps.add(new ProcessBuilder("mariadb-binlog", "--read-from-remote-server", "--raw", "--host=127.0.0.1",
                        "--port=" + port, "--user=" + USER, "--password=" + PASSWORD, "--skip-ssl",
                        "--result-file=" + dir + "/", "--to-last-log", firstFile)
                        .redirectErrorStream(true).redirectOutput(base.resolve("c" + i + ".log").toFile()).start());
            }
            for (int i = 0; i < ps.size(); i++) {
                if (!ps.get(i).waitFor(30, TimeUnit.MINUTES) || ps.get(i).exitValue() != 0) {
                    throw new IOException("mariadb-binlog from the " + what + " failed: "
                            + Files.readString(base.resolve("c" + i + ".log")));
                }
            }
            double secs = (System.nanoTime() - start) / 1e9;
            // the serving process's CPU per GB served: on a shared 2-core box, what the server leaves the clients
            double[] cpuAfter = Procs.cpuSplit(serverPid);
            double user = cpuAfter[0] - cpuBefore[0];
            double sys = cpuAfter[1] - cpuBefore[1];
            double cpu = user + sys;
            // the clients' own CPU (they are reaped by now) and how busy the whole machine was: if the cores were
            // saturated, CPU per byte decides; if not, something waits
            double clientsCpu = Procs.reapedChildrenCpuSeconds() - clientsBefore;
            long[] machineAfter = Procs.machineJiffies();
            double busy = machineAfter[1] == machineBefore[1] ? 0
                    : (double) (machineAfter[0] - machineBefore[0]) / (machineAfter[1] - machineBefore[1]);
            long read = 0;
            for (int i = 0; i < clients; i++) {
                long mine = size(base.resolve("c" + i));
                // the master's active file grows by nothing here; the proxy's copy is the same bytes
                if (mine < expectBytes) {
                    throw new IOException("client " + i + " of the " + what + " read " + mine + " of " + expectBytes
                            + " bytes: " + Files.readString(base.resolve("c" + i + ".log")));
                }
                read += mine;
            }
            // what the first client wrote must be the master's files, byte for byte (after the timing); all but the
            // active one, whose FORMAT_DESCRIPTION a dump sends with the in-use flag cleared
            List<BinaryLog> logs = master.showBinaryLogs();
            for (BinaryLog l : logs.subList(0, logs.size() - 1)) {
                Path got = base.resolve("c0").resolve(l.name());
                if (Files.mismatch(got, master.binlogFile(l.name())) != -1) {
                    throw new IOException(what + ": " + got + " differs from the master's " + l.name());
                }
            }
            double mbs = read / 1048576.0 / secs;
            double gb = read / 1073741824.0;
            out(String.format(Locale.ROOT, "  %-6s %d clients: %d MB in %.2f s = %.0f MB/s; server CPU %.2f s "
                    + "(%.2f s/GB: user %.2f, system %.2f), clients CPU %.2f s (%.2f s/GB), machine %.0f%% busy",
                    what, clients, read >> 20, secs, mbs, cpu, cpu / gb, user / gb, sys / gb, clientsCpu,
                    clientsCpu / gb, busy * 100));
            return mbs;
        } finally {
            deleteTree(base);
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // relay latency

    static void relay(int commits) throws Exception {
        out(String.format(Locale.ROOT, "%nrelay latency: %d single-row commits on the master, each timed until "
                + "the row is visible on the leaf replica", commits));
        try (DbServer master = DbServer.start(ServerOptions.mariadb().build())) {
            master.createReplicationUser(USER, PASSWORD);
            master.execute("CREATE DATABASE r", "CREATE TABLE r.t (id BIGINT PRIMARY KEY, v VARCHAR(100))");
            // The floor any intermediate adds to: the same leaf replicating from the master itself. What an
            // intermediate costs is its latency above this (a leaf's own apply is in every path).
            Latencies direct;
            try (DbServer leaf = DbServer.start(ServerOptions.mariadb().build())) {
                leaf.replicateFrom(master, USER, PASSWORD, false);
                leaf.waitForReplicaCaughtUp(master, Duration.ofMinutes(1));
                direct = measureRelay(master, leaf, commits, commits * 2L);
            }
            out("relay direct (leaf on the master): " + direct.summary());
            Latencies viaMaria;
            try (DbServer mid = DbServer.start(ServerOptions.mariadb().build());
                 DbServer leaf = DbServer.start(ServerOptions.mariadb().build())) {
                mid.createReplicationUser(USER, PASSWORD);
                mid.replicateFrom(master, USER, PASSWORD, true);
                mid.waitForReplicaCaughtUp(master, Duration.ofMinutes(1));
                leaf.replicateFrom(mid, USER, PASSWORD, true);
                leaf.waitForReplicaCaughtUp(mid, Duration.ofMinutes(1));
                viaMaria = measureRelay(master, leaf, commits, 0);
            }
            out("relay via MariaDB intermediate: " + viaMaria.summary());
            record("relay", "direct", direct);
            record("relay", "mariadb", viaMaria);
            if (!WITH_PROXY) {
                return;
            }
            Latencies viaProxy;
            try (ProxyProcess proxy = ProxyProcess.start(master, 9602);
                 DbServer leaf = DbServer.start(ServerOptions.mariadb().build())) {
                proxy.awaitMirrored(master, Duration.ofMinutes(1));
                leaf.replicateFrom("127.0.0.1", proxy.port(), USER, PASSWORD, false);
                awaitRows(leaf, commits, Duration.ofMinutes(1));
                viaProxy = measureRelay(master, leaf, commits, commits);
            }
            out("relay via proxy:                " + viaProxy.summary());
            record("relay", "proxy", viaProxy);
            out(String.format(Locale.ROOT, "relay ratio proxy / MariaDB: p50 %.2f, p99 %.2f (target p99 <= 0.5)",
                    viaProxy.micros(0.5) / viaMaria.micros(0.5), viaProxy.micros(0.99) / viaMaria.micros(0.99)));
            out(String.format(Locale.ROOT, "relay floor: direct / MariaDB p99 %.2f (no intermediate can take the ratio "
                    + "below this); hop above direct, p50: proxy %+.0f us, MariaDB %+.0f us; p99: proxy %+.0f us, "
                    + "MariaDB %+.0f us", direct.micros(0.99) / viaMaria.micros(0.99),
                    viaProxy.micros(0.5) - direct.micros(0.5), viaMaria.micros(0.5) - direct.micros(0.5),
                    viaProxy.micros(0.99) - direct.micros(0.99), viaMaria.micros(0.99) - direct.micros(0.99)));
        }
    }

    private static Latencies measureRelay(DbServer master, DbServer leaf, int commits, long firstId)
            throws Exception {
        Latencies lat = new Latencies();
        try (Connection m = master.connect(); Connection l = leaf.connect();
             PreparedStatement ins = m.prepareStatement("INSERT INTO r.t VALUES (?, 'relay')");
             PreparedStatement seen = l.prepareStatement("SELECT 1 FROM r.t WHERE id = ?")) {
            int warmup = 50;
            for (int i = 0; i < commits + warmup; i++) {
                long id = firstId * 2 + i + (i < warmup ? 1_000_000 : 0);
                ins.setLong(1, id);
                seen.setLong(1, id);
                long t0 = System.nanoTime();
                ins.executeUpdate();
                long deadline = t0 + TimeUnit.SECONDS.toNanos(30);
                while (true) {
                    try (ResultSet rs = seen.executeQuery()) {
                        if (rs.next()) {
                            break;
                        }
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IOException("row " + id + " not on the leaf within 30 s: " + leaf.replicaStatus());
                    }
                    LockSupport.parkNanos(50_000);
                }
                if (i >= warmup) {
                    lat.add(System.nanoTime() - t0);
                }
                LockSupport.parkNanos(2_000_000 + (i % 7) * 1_000_000L); // 2-8 ms apart: not a batch
            }
        }
        return lat;
    }

    private static void awaitRows(DbServer leaf, int rows, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (Long.parseLong(leaf.queryValue("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='r'"))
                == 0 || Long.parseLong(leaf.queryValue("SELECT COUNT(*) FROM r.t")) < rows) {
            if (System.nanoTime() > deadline) {
                throw new IOException("leaf did not catch up: " + leaf.replicaStatus());
            }
            Thread.sleep(50);
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // tailing sessions

    static void tail(int sessions, int commits) throws Exception {
        out(String.format(Locale.ROOT, "%ntail: %d mysql-binlog-connector-java sessions tailing, %d single-row "
                + "commits 2-8 ms apart after %d untimed warm-up commits; latency = commit start to the row event at "
                + "each session", sessions, commits, Integer.getInteger("bench.tailWarmUp", 300)));
        try (DbServer master = DbServer.start(ServerOptions.mariadb().extraFlag("--max-connections=500").build())) {
            master.createReplicationUser(USER, PASSWORD);
            master.execute("CREATE DATABASE tl", "CREATE TABLE tl.t (id BIGINT PRIMARY KEY, v VARCHAR(100))");
            long masterRssBefore = Procs.statusKb(master.pid(), "VmRSS");
            TailResult m = tailSessions(master, master.port(), sessions, commits, 0, master.pid());
            out(String.format(Locale.ROOT, "tail master: %s; mysqld RSS %d MB -> %d MB with the sessions, %d threads",
                    m.lat.summary(), masterRssBefore >> 10, m.rssKb >> 10, m.threads));
            record("tail", "master", m.lat);
            BenchResults.put("tail", "sessions", sessions);
            BenchResults.put("tail", "master_rss_mb", m.rssKb >> 10);
            if (!WITH_PROXY) {
                return;
            }
            try (ProxyProcess proxy = ProxyProcess.start(master, 9603)) {
                proxy.awaitMirrored(master, Duration.ofMinutes(1));
                long idle = proxy.rssKb();
                TailResult p = tailSessions(master, proxy.port(), sessions, commits, commits * 10L, proxy.pid());
                out(String.format(Locale.ROOT, "tail proxy:  %s; proxy RSS %d MB idle -> %d MB with the sessions "
                        + "(peak %d MB, target <= 300), %d threads with the sessions", p.lat.summary(), idle >> 10,
                        p.rssKb >> 10, proxy.hwmKb() >> 10, p.threads));
                record("tail", "proxy", p.lat);
                BenchResults.put("tail", "proxy_rss_mb", p.rssKb >> 10);
                BenchResults.put("tail", "proxy_rss_idle_mb", idle >> 10);
                out(String.format(Locale.ROOT, "tail ratio proxy / master: p50 %.2f, p99 %.2f",
                        p.lat.micros(0.5) / m.lat.micros(0.5), p.lat.micros(0.99) / m.lat.micros(0.99)));
            }
        }
    }

    record TailResult(Latencies lat, long rssKb, long threads) {
    }

    private static TailResult tailSessions(DbServer master, int port, int sessions, int commits, long firstId,
                                           long servingPid) throws Exception {
        MasterStatus at = master.masterStatus();
        ConcurrentHashMap<Long, Long> committedAt = new ConcurrentHashMap<>();
        Latencies lat = new Latencies();
        long lastId = firstId + commits - 1;
        CountDownLatch allSawLast = new CountDownLatch(sessions);
        AtomicLong errors = new AtomicLong();
        List<BinaryLogClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < sessions; i++) {
                BinaryLogClient c = new BinaryLogClient("127.0.0.1", port, USER, PASSWORD);
                c.setServerId(70_000 + firstId + i);
                c.setBinlogFilename(at.file());
                c.setBinlogPosition(at.position());
                c.setKeepAlive(false);
                c.setHeartbeatInterval(0);
                c.registerEventListener(ev -> {
                    EventData d = ev.getData();
                    if (d instanceof WriteRowsEventData w) {
                        long now = System.nanoTime();
                        for (java.io.Serializable[] row : w.getRows()) {
                            long id = ((Number) row[0]).longValue();
                            Long t = committedAt.get(id);
                            if (t != null) {
                                lat.add(now - t);
                            }
                            if (id == lastId) {
                                allSawLast.countDown();
                            }
                        }
                    }
                });
                c.registerLifecycleListener(new BinaryLogClient.AbstractLifecycleListener() {
                    @Override
                    public void onCommunicationFailure(BinaryLogClient client, Exception ex) {
                        errors.incrementAndGet();
                        System.err.println("session " + client.getServerId() + ": " + ex);
                    }
                });
                c.connect(10_000);
                clients.add(c);
            }
            long rss = Procs.statusKb(servingPid, "VmRSS");
            long threads = Procs.threads(servingPid);
            try (Connection m = master.connect();
                 PreparedStatement ins = m.prepareStatement("INSERT INTO tl.t VALUES (?, 'tail')")) {
                // Warm-up, the same for both servers and not timed (ids past the measured range): a JVM that has
                // just started spends more of the two cores compiling than serving (a perf profile of the proxy
                // during an unwarmed run: the C2 compiler thread took more samples than the event loops).
                int warmUp = Integer.getInteger("bench.tailWarmUp", 300);
                for (int i = 0; i < warmUp; i++) {
                    ins.setLong(1, firstId + commits + i);
                    ins.executeUpdate();
                    LockSupport.parkNanos(2_000_000 + (i % 7) * 1_000_000L);
                }
                for (int i = 0; i < commits; i++) {
                    long id = firstId + i;
                    committedAt.put(id, System.nanoTime());
                    ins.setLong(1, id);
                    ins.executeUpdate();
                    LockSupport.parkNanos(2_000_000 + (i % 7) * 1_000_000L);
                    if (i % 100 == 0) {
                        rss = Math.max(rss, Procs.statusKb(servingPid, "VmRSS"));
                        threads = Math.max(threads, Procs.threads(servingPid));
                    }
                }
            }
            if (!allSawLast.await(2, TimeUnit.MINUTES)) {
                throw new IOException(allSawLast.getCount() + " of " + sessions + " sessions never got the last row");
            }
            rss = Math.max(rss, Procs.statusKb(servingPid, "VmRSS"));
            if (lat.size() != (long) sessions * commits) {
                throw new IOException("got " + lat.size() + " row events, expected " + (long) sessions * commits);
            }
            if (errors.get() > 0) {
                throw new IOException(errors.get() + " session failures");
            }
            return new TailResult(lat, rss, threads);
        } finally {
            for (BinaryLogClient c : clients) {
                try {
                    c.disconnect();
                } catch (IOException ignored) {
                    // the run is over
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------------------------------

    private static List<Long> rounded(List<Double> v) {
        return v.stream().map(Math::round).toList();
    }

    /** A series' p50 / p99 and its samples, for bench/run-all.sh's table and plots. */
    private static void record(String bench, String series, Latencies lat) {
        BenchResults.put(bench, series + "_p50_us", lat.micros(0.5));
        BenchResults.put(bench, series + "_p99_us", lat.micros(0.99));
        BenchResults.samples(bench, series, lat.snapshot());
    }

    private static int intArg(String[] args, int i, int dflt) {
        return args.length > i ? Integer.parseInt(args[i]) : dflt;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    private static void out(String line) {
        System.out.println(line);
        SUMMARY.append(line).append('\n');
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
