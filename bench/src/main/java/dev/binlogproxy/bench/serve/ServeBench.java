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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
    /** Relay: SQL connections to the proxy opened before its leaf and held through the run (default 0). */
    private static final int MONITORS = Integer.getInteger("bench.relayMonitors", 0);
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
            case "relay" -> relay(intArg(args, 1, 10_000));
            case "tail" -> tail(intArg(args, 1, 100), intArg(args, 2, 1000));
            case "all" -> {
                fanOut(intArg(args, 1, 1024), 8);
                relay(10_000);
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
                    out(String.format(Locale.ROOT, "fan-out ratio proxy / master (best of each): %.2f"
                            + " (target >= 1.2, issue 12)", bestP / bestM));
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

    /**
     * Three paths from one master to a leaf, measured on the same master in interleaved blocks: the leaf on the
     * master itself (direct: the floor, a leaf's own apply is in every path), through a MariaDB intermediate
     * (log_slave_updates), through the proxy. Only the timed path replicates during its block (the others' replica
     * threads are stopped, so their applies take no CPU from it; the proxy keeps mirroring, a constant in all
     * blocks); blocks rotate so that drift over the run (page cache, JIT, the master's own warm-up) falls on every
     * path alike. Each commit is timed from before the INSERT until the leaf's {@code MASTER_GTID_WAIT} for its GTID
     * returns: the wait is issued before the INSERT, so nothing polls and the end is the leaf's own commit.
     */
    static void relay(int commits) throws Exception {
        int block = Integer.getInteger("bench.relayBlock", Math.min(500, commits));
        out(String.format(Locale.ROOT, "%nrelay latency: %d single-row commits per path (blocks of %d, paths "
                + "interleaved), each timed from before the INSERT on the master until the leaf's MASTER_GTID_WAIT "
                + "for its GTID returns", commits, block));
        List<AutoCloseable> servers = new ArrayList<>();
        try {
            DbServer master = keep(servers, DbServer.start(ServerOptions.mariadb().build()));
            master.createReplicationUser(USER, PASSWORD);
            master.execute("CREATE DATABASE r", "CREATE TABLE r.t (id BIGINT PRIMARY KEY, v VARCHAR(100))");
            List<RelayPath> paths = new ArrayList<>();
            DbServer leafD = keep(servers, DbServer.start(leafOptions()));
            leafD.replicateFrom(master, USER, PASSWORD, false);
            paths.add(new RelayPath("direct", leafD, List.of(leafD)));
            DbServer mid = keep(servers, DbServer.start(ServerOptions.mariadb().build()));
            DbServer leafM = keep(servers, DbServer.start(leafOptions()));
            mid.createReplicationUser(USER, PASSWORD);
            mid.replicateFrom(master, USER, PASSWORD, true);
            mid.waitForReplicaCaughtUp(master, Duration.ofMinutes(1));
            leafM.replicateFrom(mid, USER, PASSWORD, true);
            paths.add(new RelayPath("mariadb", leafM, List.of(mid, leafM)));
            if (WITH_PROXY) {
                ProxyProcess proxy = keep(servers, ProxyProcess.start(master, 9602));
                proxy.awaitMirrored(master, Duration.ofMinutes(1));
                // Monitoring tools' connections that come before the leaf and stay (mysqld_exporter, an
                // orchestrator probe): logged in, querying once, then idle for the whole run.
                for (int i = 0; i < MONITORS; i++) {
                    Connection c = java.sql.DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + proxy.port()
                            + "/?sslMode=DISABLED&allowPublicKeyRetrieval=true", USER, PASSWORD);
                    servers.add(c);
                    try (ResultSet rs = c.createStatement().executeQuery("SHOW MASTER STATUS")) {
                        rs.next();
                    }
                }
                DbServer leafP = keep(servers, DbServer.start(leafOptions()));
                leafP.replicateFrom("127.0.0.1", proxy.port(), USER, PASSWORD, false);
                paths.add(new RelayPath("proxy", leafP, List.of(leafP)));
            }
            for (RelayPath p : paths) {
                p.awaitCaughtUp(master);
                p.stop();
            }
            // The reference: a binlog reader on the master itself, running through every block. A row's latency
            // from its arrival here to the leaf leaves out the master's own commit (an fsync whose time varies
            // more than the hops measured), so the paths compare on what happens after the master sent the event.
            ConcurrentHashMap<Long, Long> sent = new ConcurrentHashMap<>();
            BinaryLogClient reference = new BinaryLogClient("127.0.0.1", master.port(), USER, PASSWORD);
            MasterStatus at = master.masterStatus();
            reference.setServerId(69_999);
            reference.setBinlogFilename(at.file());
            reference.setBinlogPosition(at.position());
            reference.setKeepAlive(false);
            reference.setHeartbeatInterval(0);
            reference.registerEventListener(ev -> {
                if (ev.getData() instanceof WriteRowsEventData w) {
                    long now = System.nanoTime();
                    for (java.io.Serializable[] row : w.getRows()) {
                        sent.put(((Number) row[0]).longValue(), now);
                    }
                }
            });
            reference.connect(10_000);
            servers.add(reference::disconnect);
            try (Connection m = master.connect();
                 PreparedStatement ins = m.prepareStatement("INSERT INTO r.t VALUES (?, 'relay')")) {
                long id = 0;
                // Warm-up, untimed, every path replicating: a proxy just started runs its per-commit code
                // interpreted or in C1 for the first thousands of commits (the JIT counts invocations), and users
                // run it for weeks. Back to back, so it takes seconds, not the paced run's minutes.
                int warmUp = Integer.getInteger("bench.relayWarmUp", 5000);
                for (RelayPath p : paths) {
                    p.start();
                }
                for (int i = 0; i < warmUp; i++) {
                    ins.setLong(1, ++id);
                    ins.executeUpdate();
                }
                for (RelayPath p : paths) {
                    p.awaitCaughtUp(master);
                    p.stop();
                }
                sent.clear(); // the warm-up's rows: never looked up
                for (int done = 0; done < commits; done += block) {
                    int n = Math.min(block, commits - done);
                    for (RelayPath p : paths) {
                        p.start();
                        p.awaitCaughtUp(master);
                        id = p.measure(master, m, ins, sent, id, 20, false); // untimed: the path's threads wake up
                        sent.clear();
                        System.out.printf(Locale.ROOT, "relay block: %s, %d commits from id %d%n", p.name, n, id + 1);
                        id = p.measure(master, m, ins, sent, id, n, true);
                        p.stop();
                    }
                }
            }
            StringBuilder blocks = new StringBuilder("relay p50 from the master's send to the leaf, per block (us):");
            for (RelayPath p : paths) {
                out(String.format(Locale.ROOT, "relay %-8s commit to leaf %s; master's send to leaf %s", p.name + ":",
                        p.all.summary(), p.fromMaster.summary()));
                blocks.append(' ').append(p.name).append(' ').append(rounded(p.blockP50s));
                record("relay", p.name, p.all);
                record("relay", p.name + "_after_send", p.fromMaster);
            }
            out(blocks.toString());
            // What an intermediate adds: its path's latency from the master's send to the leaf, above the leaf's
            // own on the master (the direct path), at the same percentile.
            Latencies direct = paths.get(0).fromMaster;
            Latencies viaMaria = paths.get(1).fromMaster;
            double mHop50 = viaMaria.micros(0.5) - direct.micros(0.5);
            double mHop99 = viaMaria.micros(0.99) - direct.micros(0.99);
            BenchResults.put("relay", "mariadb_hop_p50_us", mHop50);
            BenchResults.put("relay", "mariadb_hop_p99_us", mHop99);
            out(String.format(Locale.ROOT, "relay hop above direct: MariaDB intermediate p50 %+.0f us, p99 %+.0f us",
                    mHop50, mHop99));
            if (WITH_PROXY) {
                Latencies viaProxy = paths.get(2).fromMaster;
                double pHop50 = viaProxy.micros(0.5) - direct.micros(0.5);
                double pHop99 = viaProxy.micros(0.99) - direct.micros(0.99);
                BenchResults.put("relay", "proxy_hop_p50_us", pHop50);
                BenchResults.put("relay", "proxy_hop_p99_us", pHop99);
                out(String.format(Locale.ROOT, "relay hop above direct: proxy p50 %+.0f us, p99 %+.0f us; proxy hop / "
                        + "MariaDB hop: p50 %.2f, p99 %.2f (target <= 0.3 both); commit to leaf, proxy / MariaDB: "
                        + "p50 %.2f, p99 %.2f", pHop50, pHop99, pHop50 / mHop50, pHop99 / mHop99,
                        paths.get(2).all.micros(0.5) / paths.get(1).all.micros(0.5),
                        paths.get(2).all.micros(0.99) / paths.get(1).all.micros(0.99)));
            }
        } finally {
            for (int i = servers.size() - 1; i >= 0; i--) {
                try {
                    servers.get(i).close();
                } catch (Exception e) {
                    out("relay: closing " + servers.get(i) + ": " + e);
                }
            }
        }
    }

    /**
     * The leaves are the instrument, not what is measured: their apply is in every path, so it is made cheap and
     * steady (no fsync per commit, no binlog of their own) to leave the hops above it visible. The master and the
     * MariaDB intermediate keep the server's defaults, as users run them.
     */
    private static ServerOptions leafOptions() {
        return ServerOptions.mariadb().extraFlag("--innodb-flush-log-at-trx-commit=2").extraFlag("--skip-log-bin")
                .build();
    }

    private static <T extends AutoCloseable> T keep(List<AutoCloseable> servers, T server) {
        servers.add(server);
        return server;
    }

    /** One way from the master to a leaf: the replicas to start and stop (upstream first) and the timed leaf. */
    private static final class RelayPath {
        final String name;
        final DbServer leaf;
        final List<DbServer> replicas;
        /** From before the INSERT to the leaf. */
        final Latencies all = new Latencies();
        /** From the row's arrival at the reference reader on the master to the leaf. */
        final Latencies fromMaster = new Latencies();
        final List<Double> blockP50s = new ArrayList<>();

        RelayPath(String name, DbServer leaf, List<DbServer> replicas) {
            this.name = name;
            this.leaf = leaf;
            this.replicas = replicas;
        }

        void start() {
            for (DbServer r : replicas) {
                r.execute("START SLAVE");
            }
        }

        void stop() {
            for (int i = replicas.size() - 1; i >= 0; i--) {
                replicas.get(i).execute("STOP SLAVE");
            }
        }

        void awaitCaughtUp(DbServer master) throws Exception {
            String pos = master.queryValue("SELECT @@gtid_binlog_pos");
            String got = leaf.queryValue("SELECT MASTER_GTID_WAIT('" + pos + "', 120)");
            if (!"0".equals(got)) {
                throw new IOException(name + ": the leaf did not reach " + pos + " within 120 s: " + leaf.replicaStatus());
            }
        }

        /**
         * {@code n} single-row commits 2-8 ms apart; with {@code timed}, each from before its INSERT until the
         * leaf's wait for its GTID returns. The wait is sent during the pause before the INSERT, on a thread of
         * its own, so it is parked in the leaf when the commit starts. The GTIDs are predicted (one writer, one
         * domain) and checked against the master after the block.
         */
        long measure(DbServer master, Connection m, PreparedStatement ins, Map<Long, Long> sent, long id, int n,
                     boolean timed)
                throws Exception {
            String pos = master.queryValue("SELECT @@gtid_binlog_pos");
            String[] parts = pos.split("-");
            if (parts.length != 3 || pos.contains(",")) {
                throw new IOException("relay expects one GTID domain on the master, has " + pos);
            }
            String prefix = parts[0] + "-" + parts[1] + "-";
            long seq = Long.parseLong(parts[2]);
            Latencies lat = new Latencies();
            Latencies afterSent = new Latencies();
            ExecutorService waiter = Executors.newSingleThreadExecutor(
                    r -> new Thread(r, "relay-wait-" + name));
            try (Connection l = leaf.connect();
                 PreparedStatement wait = l.prepareStatement("SELECT MASTER_GTID_WAIT(?, 30)")) {
                for (int i = 0; i < n; i++) {
                    String gtid = prefix + (++seq);
                    Future<Long> reached = waiter.submit(() -> {
                        wait.setString(1, gtid);
                        try (ResultSet rs = wait.executeQuery()) {
                            long at = System.nanoTime();
                            if (!rs.next() || rs.getInt(1) != 0) {
                                throw new IOException(name + ": " + gtid + " not on the leaf within 30 s: "
                                        + leaf.replicaStatus());
                            }
                            return at;
                        }
                    });
                    LockSupport.parkNanos(2_000_000 + (i % 7) * 1_000_000L); // 2-8 ms apart: not a batch
                    ins.setLong(1, ++id);
                    long t0 = System.nanoTime();
                    ins.executeUpdate();
                    long t1 = reached.get(40, TimeUnit.SECONDS);
                    if (t1 < t0) {
                        throw new IOException(name + ": the wait for " + gtid + " returned before its commit began");
                    }
                    if (timed) {
                        lat.add(t1 - t0);
                        Long tSent = null;
                        for (int spin = 0; tSent == null && spin < 20_000; spin++) {
                            tSent = sent.remove(id);
                            if (tSent == null) {
                                LockSupport.parkNanos(50_000);
                            }
                        }
                        if (tSent == null) {
                            throw new IOException("the reference reader never saw row " + id);
                        }
                        afterSent.add(t1 - tSent);
                    }
                }
            } finally {
                waiter.shutdownNow();
            }
            String now = master.queryValue("SELECT @@gtid_binlog_pos");
            if (!now.equals(prefix + seq)) {
                throw new IOException("relay: the master is at " + now + ", expected " + prefix + seq
                        + " (another writer?)");
            }
            if (timed) {
                all.addAll(lat);
                fromMaster.addAll(afterSent);
                blockP50s.add(afterSent.micros(0.5));
            }
            return id;
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
