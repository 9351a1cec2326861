package dev.binlogproxy.bench;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.bench.serve.Procs;
import dev.binlogproxy.bench.serve.ProxyProcess;
import dev.binlogproxy.client.ConnectionSettings;
import dev.binlogproxy.upstream.MirrorMetrics;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import dev.binlogproxy.upstream.MirrorService;
import dev.binlogproxy.upstream.UpstreamSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Semi-sync ack wait as the master measures it, side by side in one run: a MariaDB 10.11 master whose only
 * semi-sync replica is (a) a real MariaDB replica, (b) the same with sync_relay_log=1 (a durable ack), (c) the
 * proxy in write mode, (d) the proxy in fsync mode, (e) the floor: {@link SemiSyncFloorAcker} over the proxy's
 * Netty client, a replica that does nothing but ack each flagged event the moment it is read. The floor is what the master's own threads, the kernel and the
 * scheduler take; a replica or the proxy can only add to it. For each, N single-row autocommit inserts from one client;
 * the result is the delta of Rpl_semi_sync_master_tx_wait_time / tx_waits (microseconds per commit) and the
 * client's mean commit time. Ratios: proxy write / default replica, proxy fsync / durable replica. The commits
 * are split over {@code -Dbench.rounds} (default 3) rounds that run the configurations in turn, so load from
 * other processes that drifts during the run is shared among them; totals are over all rounds.
 *
 * <p>Usage: {@code bench/run-semisync.sh [commits]} (default 3000); {@code -Dbench.only=floor} runs only the
 * configurations whose name contains the text (a smoke run; the ratios that need a missing one are NaN).
 */
public final class SemiSyncAckBench {
    private static final String USER = "repl";
    private static final String PASSWORD = "bench-pw";
    static final String FLOOR = "floor acker, Netty (ServerConnection)";
    private static final String DEFAULT_REPLICA = "MariaDB replica (default)";
    private static final String DURABLE_REPLICA = "MariaDB replica, sync_relay_log=1";
    /** The proxy as users start it: bin/binlog-proxy run, its own JVM with the launcher's flags. */
    static final String LAUNCHED_WRITE = "proxy launched, durability write";
    static final String LAUNCHED_FSYNC = "proxy launched, durability fsync";
    /**
     * Commits before the measurement, for each configuration alike: 3,000, as issue 12 measures. The JIT is still
     * compiling after it (the launched proxy's C2 thread shows in the thread CPU below), less with every thousand.
     */
    private static final int WARM_UP = Integer.getInteger("bench.warmUpCommits", 3000);

    /** Totals over the measured commits of one or more rounds. */
    record Result(long waitMicros, long waits, long commitNanos, long commits, long noTx, long jvmCpuNanos,
                  long masterCpuNanos, long launchedCpuNanos, Map<String, Long> threadCpuNanos, Probes probes) {
        /** CPU of this JVM (the client, and the proxy or floor acker where they run) per measured commit. */
        double jvmCpuMicros() {
            return jvmCpuNanos / 1e3 / commits;
        }

        double masterCpuMicros() {
            return masterCpuNanos / 1e3 / commits;
        }

        /** CPU of the launched proxy's process per measured commit (0 where there is none). */
        double launchedCpuMicros() {
            return launchedCpuNanos / 1e3 / commits;
        }

        double ackWaitMicros() {
            return waits == 0 ? Double.NaN : (double) waitMicros / waits;
        }

        double commitMicros() {
            return commitNanos / 1e3 / commits;
        }

        private static Map<String, Long> sum(Map<String, Long> a, Map<String, Long> b) {
            Map<String, Long> m = new java.util.TreeMap<>(a);
            b.forEach((k, v) -> m.merge(k, v, Long::sum));
            return m;
        }

        Result with(Probes p) {
            return new Result(waitMicros, waits, commitNanos, commits, noTx, jvmCpuNanos, masterCpuNanos,
                    launchedCpuNanos, threadCpuNanos, p);
        }

        Result plus(Result o) {
            return new Result(waitMicros + o.waitMicros, waits + o.waits, commitNanos + o.commitNanos,
                    commits + o.commits, noTx + o.noTx, jvmCpuNanos + o.jvmCpuNanos,
                    masterCpuNanos + o.masterCpuNanos, launchedCpuNanos + o.launchedCpuNanos,
                    sum(threadCpuNanos, o.threadCpuNanos),
                    probes == null ? o.probes : probes.plus(o.probes));
        }
    }

    /** One configuration: runs {@code commits} measured commits against a fresh master. */
    private interface Setup {
        Result run(int commits) throws Exception;
    }

    /**
     * The proxy's own view of the same acks (its metrics over the measured commits): received to written into the
     * archive, the sync before the acks of one read, and received to the ack handed to the socket. The master's wait
     * minus {@code queued} is what the network, the master's dump thread and its ack receiver take.
     */
    record Probes(Map<String, Window> stages) {
        static final List<String> NAMES = List.of("append", "read_end", "sync", "send", "queued");

        static Probes of(MeterRegistry r) {
            Map<String, Window> m = new LinkedHashMap<>();
            for (String n : NAMES) {
                m.put(n, Window.of(n.equals("queued") ? r.get("binlog_proxy_semisync_ack_latency").timer()
                        : r.get("binlog_proxy_semisync_ack_stage").tag("stage", n).timer()));
            }
            return new Probes(m);
        }

        Probes minus(Probes before) {
            Map<String, Window> m = new LinkedHashMap<>();
            stages.forEach((k, w) -> m.put(k, w.minus(before.stages.get(k))));
            return new Probes(m);
        }

        Probes plus(Probes o) {
            Map<String, Window> m = new LinkedHashMap<>();
            stages.forEach((k, w) -> m.put(k, new Window(w.totalMicros() + o.stages.get(k).totalMicros(),
                    w.count() + o.stages.get(k).count())));
            return new Probes(m);
        }
    }

    /** A timer's total and count; the difference of two is the measured window. */
    record Window(double totalMicros, long count) {
        static Window of(Timer t) {
            return new Window(t.totalTime(TimeUnit.MICROSECONDS), t.count());
        }

        Window minus(Window before) {
            return new Window(totalMicros - before.totalMicros, count - before.count);
        }

        double mean() {
            return count == 0 ? Double.NaN : totalMicros / count;
        }
    }

    public static void main(String[] args) throws Exception {
        int commits = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
        int rounds = Integer.getInteger("bench.rounds", 3);
        Map<String, Setup> setups = new LinkedHashMap<>();
        setups.put(DEFAULT_REPLICA, n -> withReplica(n, false));
        setups.put(DURABLE_REPLICA, n -> withReplica(n, true));
        setups.put("proxy, durability write", n -> withProxy(n, Durability.WRITE));
        setups.put("proxy, durability fsync", n -> withProxy(n, Durability.FSYNC));
        setups.put(FLOOR, n -> withFloor(n, SemiSyncFloorAcker::netty));
        setups.put(LAUNCHED_WRITE, n -> withLaunchedProxy(n, "write"));
        setups.put(LAUNCHED_FSYNC, n -> withLaunchedProxy(n, "fsync"));
        String only = System.getProperty("bench.only"); // a smoke run of some configurations: ratios are NaN
        if (only != null) {
            java.util.regex.Pattern keep = java.util.regex.Pattern.compile(only);
            setups.keySet().removeIf(k -> !keep.matcher(k).find());
        }
        // Round robin, a share of the commits per round: load from other processes drifts over a run, and each
        // configuration should see the same mix of it.
        Map<String, Result> results = new LinkedHashMap<>();
        StringBuilder perRound = new StringBuilder();
        List<Map<String, Result>> roundResults = new java.util.ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            int n = commits / rounds + (round < commits % rounds ? 1 : 0);
            Map<String, Result> these = new LinkedHashMap<>();
            for (Map.Entry<String, Setup> e : setups.entrySet()) {
                Result r = e.getValue().run(n);
                these.put(e.getKey(), r);
                results.merge(e.getKey(), r, Result::plus);
            }
            roundResults.add(these);
            perRound.append(String.format(Locale.ROOT, "round %d (%d commits): ack wait us %s; write/default %.2f,"
                    + " fsync/durable %.2f, floor/default %.2f%n", round + 1, n,
                    these.values().stream().map(r -> String.format(Locale.ROOT, "%.0f", r.ackWaitMicros())).toList(),
                    writeRatio(these), fsyncRatio(these), ratio(these, FLOOR)));
        }

        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
"%nSemi-sync ack wait, master-measured, %d single-row commits each in %d rounds%n%-38s %12s %10s %8s %6s"
                + " %12s %12s %13s%n", commits, rounds, "only semi-sync replica", "ack wait us", "commit us", "waits",
                "no_tx", "jvm cpu us", "master cpu us", "launched cpu us"));
        results.forEach((k, r) -> out.append(String.format(Locale.ROOT,
                "%-38s %12.1f %10.1f %8d %6d %12.1f %12.1f %13.1f%n", k, r.ackWaitMicros(), r.commitMicros(),
                r.waits(), r.noTx(), r.jvmCpuMicros(), r.masterCpuMicros(), r.launchedCpuMicros())));
        out.append(String.format(Locale.ROOT, "proxy probes, mean us: %-14s", "mode"));
        Probes.NAMES.forEach(n -> out.append(String.format(Locale.ROOT, " %9s", n)));
        out.append(String.format(Locale.ROOT, " %8s%n", "acks"));
        results.forEach((k, r) -> {
            if (r.probes() != null) {
                out.append(String.format(Locale.ROOT, "%23s%-14s", "", k.substring(k.lastIndexOf(' ') + 1)));
                r.probes().stages().values().forEach(w -> out.append(String.format(Locale.ROOT, " %9.1f",
                        w.mean())));
                out.append(String.format(Locale.ROOT, " %8d%n", r.probes().stages().get("queued").count()));
            }
        });
        out.append("bench JVM thread CPU per commit, us (threads using >= 2 us):\n");
        results.forEach((k, r) -> {
            out.append(String.format(Locale.ROOT, "  %-38s", k));
            r.threadCpuNanos().forEach((t, n) -> {
                if (n / 1e3 / r.commits() >= 2) {
                    out.append(String.format(Locale.ROOT, " %s=%.1f", t, n / 1e3 / r.commits()));
                }
            });
            out.append('\n');
        });
        out.append(perRound);
        out.append(String.format(Locale.ROOT, "ratio proxy write / default replica: %.2f (target <= 0.35)%n",
                writeRatio(results)));
        out.append(String.format(Locale.ROOT, "ratio proxy fsync / durable replica: %.2f (target <= 0.25)%n",
                fsyncRatio(results)));
        out.append(String.format(Locale.ROOT, "ratio floor / default replica: %.2f; proxy write / floor: %.2f%n",
                ratio(results, FLOOR), writeOverFloor(results)));
        // Load spikes from other processes make single rounds 10x slower; the median of the per-round ratios is
        // what a spike in one round cannot move.
        out.append(String.format(Locale.ROOT, "median of the per-round ratios: write/default %.2f, floor/default %.2f,"
                + " write/floor %.2f%n",
                median(roundResults, r -> writeRatio(r)), median(roundResults, r -> ratio(r, FLOOR)),
                median(roundResults, SemiSyncAckBench::writeOverFloor)));
        out.append(String.format(Locale.ROOT, "launched proxy: write / floor %.2f (target <= 1.15), fsync / durable"
                + " replica %.2f (target <= 0.25); medians of the per-round ratios %.2f, %.2f%n",
                over(results, LAUNCHED_WRITE, FLOOR), over(results, LAUNCHED_FSYNC, DURABLE_REPLICA),
                median(roundResults, r -> over(r, LAUNCHED_WRITE, FLOOR)),
                median(roundResults, r -> over(r, LAUNCHED_FSYNC, DURABLE_REPLICA))));
        out.append(String.format(Locale.ROOT, "load average at the end: %s%n", loadAverage()));
        System.out.print(out);
        BenchResults.put("semisync", "commits", commits);
        results.forEach((k, r) -> BenchResults.put("semisync", key(k), r.ackWaitMicros()));
        setups.keySet().forEach(k -> BenchResults.samples("semisync", key(k).replace("_us", ""), roundResults.stream()
                .mapToLong(rr -> Math.round(rr.get(k).ackWaitMicros() * 1e3)).toArray()));
        Path summary = Path.of(System.getProperty("bench.summary", "bench/target/semisync-summary.txt"));
        Files.createDirectories(summary.toAbsolutePath().getParent());
        Files.writeString(summary, out.toString());
    }

    /** "proxy, durability write" -> proxy_durability_write_us (the master-measured mean ack wait) */
    private static String key(String setup) {
        return setup.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_").replaceAll("^_|_$", "") + "_us";
    }

    private static double writeRatio(Map<String, Result> r) {
        return over(r, "proxy, durability write", DEFAULT_REPLICA);
    }

    private static double fsyncRatio(Map<String, Result> r) {
        return over(r, "proxy, durability fsync", DURABLE_REPLICA);
    }

    private static double ratio(Map<String, Result> r, String name) {
        return over(r, name, DEFAULT_REPLICA);
    }

    /** {@code a}'s ack wait over {@code b}'s; NaN if either was left out. */
    private static double over(Map<String, Result> r, String a, String b) {
        return r.containsKey(a) && r.containsKey(b) ? r.get(a).ackWaitMicros() / r.get(b).ackWaitMicros()
                : Double.NaN;
    }

    private static double writeOverFloor(Map<String, Result> r) {
        return over(r, "proxy, durability write", FLOOR);
    }

    private static double median(List<Map<String, Result>> rounds,
                                 java.util.function.ToDoubleFunction<Map<String, Result>> f) {
        double[] v = rounds.stream().mapToDouble(f).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    /** Opens a floor acker against the master. */
    private interface FloorStart {
        SemiSyncFloorAcker open(String host, int port, String user, String password, long serverId)
                throws java.io.IOException;
    }

    private static Result withFloor(int commits, FloorStart start) throws Exception {
        try (DbServer master = DbServer.start(masterOptions())) {
            master.createReplicationUser(USER, PASSWORD);
            try (SemiSyncFloorAcker acker = start.open("127.0.0.1", master.port(), USER, PASSWORD, 9600)) {
                awaitClient(master);
                Result r = measure(master, commits, () -> { }, -1);
                acker.check();
                if (acker.acks() < commits) {
                    throw new IllegalStateException("the floor acker sent " + acker.acks() + " acks for " + commits
                            + " commits");
                }
                return r;
            }
        }
    }

    private static ServerOptions masterOptions() {
        // semi-sync never falls back within the run (a fallback would show as no_tx > 0)
        return ServerOptions.mariadb().semiSyncMaster(true).extraFlag("--rpl-semi-sync-master-timeout=60000").build();
    }

    private static Result withReplica(int commits, boolean durable) throws Exception {
        try (DbServer master = DbServer.start(masterOptions())) {
            master.createReplicationUser(USER, PASSWORD);
            ServerOptions.Builder replica = ServerOptions.mariadb().semiSyncSlave(true);
            if (durable) {
                replica.extraFlag("--sync-relay-log=1", "--sync-relay-log-info=1", "--sync-master-info=1");
            }
            try (DbServer r = DbServer.start(replica.build())) {
                r.replicateFrom(master, USER, PASSWORD, false);
                awaitClient(master);
                return measure(master, commits, () -> { }, -1);
            }
        }
    }

    private static Result withProxy(int commits, Durability durability) throws Exception {
        Path dir = Files.createTempDirectory("semisync-bench-archive");
        try (DbServer master = DbServer.start(masterOptions());
             BinlogArchive archive = BinlogArchive.open(dir, durability)) {
            master.createReplicationUser(USER, PASSWORD);
            UpstreamSettings s = UpstreamSettings.of(ConnectionSettings.plain("127.0.0.1", master.port(), USER,
                    PASSWORD), 9500, true);
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (MirrorService mirror = MirrorService.start(s, archive, new MirrorMetrics(registry))) {
                awaitClient(master);
                Probes[] before = new Probes[1];
                Result r = measure(master, commits, () -> before[0] = Probes.of(registry), -1);
                return r.with(Probes.of(registry).minus(before[0]));
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * The proxy in its own process, as users start it (a fresh one per round, like every other configuration):
     * what counts, as the in-process one shares this JVM's JIT, heap and threads with the client.
     */
    private static Result withLaunchedProxy(int commits, String durability) throws Exception {
        try (DbServer master = DbServer.start(masterOptions())) {
            master.createReplicationUser(USER, PASSWORD);
            try (ProxyProcess proxy = ProxyProcess.start(master, 9500, true, durability)) {
                awaitClient(master);
                return measure(master, commits, () -> { }, proxy.pid());
            }
        }
    }

    private static void awaitClient(DbServer master) throws InterruptedException {
        for (int i = 0; i < 3000; i++) {
            if (status(master, "Rpl_semi_sync_master_clients") == 1) {
                return;
            }
            Thread.sleep(10);
        }
        throw new IllegalStateException("no semi-sync replica registered within 30 s");
    }

    /** {@code launchedPid}: the launched proxy's process, whose CPU is measured too; -1 for none. */
    private static Result measure(DbServer master, int commits, Runnable atStart, long launchedPid)
            throws Exception {
        master.execute("CREATE DATABASE IF NOT EXISTS b", "CREATE TABLE IF NOT EXISTS b.t (id INT PRIMARY KEY, v INT)");
        // warm-up outside the measurement
        try (Connection c = master.connect();
             PreparedStatement ps = c.prepareStatement("INSERT INTO b.t VALUES (?, ?)")) {
            for (int i = 0; i < WARM_UP; i++) {
                ps.setInt(1, -1 - i);
                ps.setInt(2, i);
                ps.executeUpdate();
            }
            long waitTime = status(master, "Rpl_semi_sync_master_tx_wait_time");
            long waits = status(master, "Rpl_semi_sync_master_tx_waits");
            long noTx = status(master, "Rpl_semi_sync_master_no_tx");
            atStart.run();
            long jvmCpu0 = jvmCpuNanos();
            Map<Long, Long> threads0 = threadCpu();
            long masterCpu0 = cpuNanos(master);
            long launchedCpu0 = cpuNanos(launchedPid);
            Map<String, Long> launchedThreads0 = launchedPid < 0 ? Map.of() : Procs.threadTicks(launchedPid);
            long start = System.nanoTime();
            for (int i = 0; i < commits; i++) {
                ps.setInt(1, i);
                ps.setInt(2, i);
                ps.executeUpdate();
            }
            long elapsed = System.nanoTime() - start;
            long dWait = status(master, "Rpl_semi_sync_master_tx_wait_time") - waitTime;
            long dWaits = status(master, "Rpl_semi_sync_master_tx_waits") - waits;
            long jvmCpu = jvmCpuNanos() - jvmCpu0;
            Map<String, Long> byThread = threadCpuSince(threads0);
            long masterCpu = cpuNanos(master) - masterCpu0;
            long launchedCpu = cpuNanos(launchedPid) - launchedCpu0;
            if (launchedPid >= 0) {
                // the launched proxy's threads, as this JVM's are below: 1 tick = 10 ms
                Procs.threadTicksSince(launchedPid, launchedThreads0).forEach((t, ticks) -> byThread.merge(
                        "launched:" + t, ticks * 10_000_000L, Long::sum));
            }
            return new Result(dWait, dWaits, elapsed, commits, status(master, "Rpl_semi_sync_master_no_tx") - noTx,
                    jvmCpu, masterCpu, launchedCpu, byThread, null);
        }
    }

    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    private static Map<Long, Long> threadCpu() {
        Map<Long, Long> m = new java.util.HashMap<>();
        for (long id : THREADS.getAllThreadIds()) {
            m.put(id, THREADS.getThreadCpuTime(id));
        }
        return m;
    }

    /** CPU of the JVM's threads since {@code before}, by thread kind (the name without its numbers). */
    private static Map<String, Long> threadCpuSince(Map<Long, Long> before) {
        Map<String, Long> m = new java.util.TreeMap<>();
        for (long id : THREADS.getAllThreadIds()) {
            long now = THREADS.getThreadCpuTime(id);
            java.lang.management.ThreadInfo info = THREADS.getThreadInfo(id);
            if (now < 0 || info == null) {
                continue;
            }
            String kind = info.getThreadName().replaceAll("semisync-bench-archive\\d+", "")
                    .replaceAll("[0-9.:]+", "");
            m.merge(kind, now - before.getOrDefault(id, 0L), Long::sum);
        }
        return m;
    }

    private static long jvmCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static long cpuNanos(DbServer server) {
        return cpuNanos(server.pid());
    }

    private static long cpuNanos(long pid) {
        return pid < 0 ? 0 : ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration()).map(Duration::toNanos)
                .orElse(0L);
    }

    private static long status(DbServer master, String name) {
        return Long.parseLong(master.globalStatus(name));
    }
}
