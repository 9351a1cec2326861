package dev.binlogproxy.bench;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.proxy.config.ProxyConfig;
import dev.binlogproxy.proxy.config.Secret;
import dev.binlogproxy.proxy.metrics.ProxyMetrics;
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
 * proxy in write mode, (d) the proxy in fsync mode. For each, N single-row autocommit inserts from one client;
 * the result is the delta of Rpl_semi_sync_master_tx_wait_time / tx_waits (microseconds per commit) and the
 * client's mean commit time. Ratios: proxy write / default replica, proxy fsync / durable replica.
 *
 * <p>Usage: {@code bench/run-semisync.sh [commits]} (default 3000).
 */
public final class SemiSyncAckBench {
    private static final String USER = "repl";
    private static final String PASSWORD = "bench-pw";
    /** Commits before the measurement, for each configuration alike: enough for the JIT to compile the proxy's path. */
    private static final int WARM_UP = Integer.getInteger("bench.warmUpCommits", 2000);

    record Result(double ackWaitMicros, double commitMicros, long waits, long noTx, Probes probes) {
        Result(double ackWaitMicros, double commitMicros, long waits, long noTx) {
            this(ackWaitMicros, commitMicros, waits, noTx, null);
        }

        Result with(Probes p) {
            return new Result(ackWaitMicros, commitMicros, waits, noTx, p);
        }
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
        Map<String, Result> results = new LinkedHashMap<>();
        results.put("MariaDB replica (default)", withReplica(commits, false));
        results.put("MariaDB replica, sync_relay_log=1", withReplica(commits, true));
        results.put("proxy, durability write", withProxy(commits, Durability.WRITE));
        results.put("proxy, durability fsync", withProxy(commits, Durability.FSYNC));

        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%nSemi-sync ack wait, master-measured, %d single-row commits each%n%-36s %14s %14s %8s %6s%n",
                commits, "only semi-sync replica", "ack wait us", "commit us", "waits", "no_tx"));
        results.forEach((k, r) -> out.append(String.format(Locale.ROOT, "%-36s %14.1f %14.1f %8d %6d%n", k,
                r.ackWaitMicros(), r.commitMicros(), r.waits(), r.noTx())));
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
        Result base = results.get("MariaDB replica (default)");
        Result durable = results.get("MariaDB replica, sync_relay_log=1");
        out.append(String.format(Locale.ROOT, "ratio proxy write / default replica: %.2f (target <= 0.35)%n",
                results.get("proxy, durability write").ackWaitMicros() / base.ackWaitMicros()));
        out.append(String.format(Locale.ROOT, "ratio proxy fsync / durable replica: %.2f (target <= 0.25)%n",
                results.get("proxy, durability fsync").ackWaitMicros() / durable.ackWaitMicros()));
        System.out.print(out);
        Path summary = Path.of(System.getProperty("bench.summary", "bench/target/semisync-summary.txt"));
        Files.createDirectories(summary.toAbsolutePath().getParent());
        Files.writeString(summary, out.toString());
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
                return measure(master, commits, () -> { });
            }
        }
    }

    private static Result withProxy(int commits, Durability durability) throws Exception {
        Path dir = Files.createTempDirectory("semisync-bench-archive");
        try (DbServer master = DbServer.start(masterOptions());
             BinlogArchive archive = BinlogArchive.open(dir, durability)) {
            master.createReplicationUser(USER, PASSWORD);
            UpstreamSettings s = new UpstreamSettings("127.0.0.1", master.port(), USER, new Secret(PASSWORD), 9500,
                    true, Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(50),
                    Duration.ofSeconds(1), null, ProxyConfig.TlsMode.DISABLED, null);
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (MirrorService mirror = MirrorService.start(s, archive, new ProxyMetrics(registry))) {
                awaitClient(master);
                Probes[] before = new Probes[1];
                Result r = measure(master, commits, () -> before[0] = Probes.of(registry));
                return r.with(Probes.of(registry).minus(before[0]));
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
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

    private static Result measure(DbServer master, int commits, Runnable atStart) throws Exception {
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
            long start = System.nanoTime();
            for (int i = 0; i < commits; i++) {
                ps.setInt(1, i);
                ps.setInt(2, i);
                ps.executeUpdate();
            }
            long elapsed = System.nanoTime() - start;
            long dWait = status(master, "Rpl_semi_sync_master_tx_wait_time") - waitTime;
            long dWaits = status(master, "Rpl_semi_sync_master_tx_waits") - waits;
            return new Result(dWaits == 0 ? Double.NaN : (double) dWait / dWaits, elapsed / 1e3 / commits, dWaits,
                    status(master, "Rpl_semi_sync_master_no_tx") - noTx);
        }
    }

    private static long status(DbServer master, String name) {
        return Long.parseLong(master.globalStatus(name));
    }
}
