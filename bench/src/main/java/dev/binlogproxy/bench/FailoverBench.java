package dev.binlogproxy.bench;

import dev.binlogproxy.protocol.auth.PasswordHash;
import dev.binlogproxy.testkit.AckedWriter;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.Ports;
import dev.binlogproxy.testkit.ServerOptions;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.NavigableSet;

/**
 * Failover as users run it: the proxy is {@code bin/binlog-proxy run} with {@code failover.mode: auto},
 * {@code detectTimeout: 1s}; a MariaDB 10.11 master (semi-sync AFTER_SYNC) is killed -9 under a steady write load;
 * a leaf replica reads the proxy by file/position. Per round (fresh servers each):
 * <ul>
 *   <li>{@code failover}: from the kill to the first new-master transaction applied on the leaf, with its parts
 *       (detection: kill to "is dead" in the proxy's log; promotion: to "is the new master"; first event: to the
 *       leaf having a row the client wrote to the new master), and the acknowledged commits the leaf lacks
 *       (must be 0). The client writes to the new master as soon as it is writable (a moved VIP).</li>
 *   <li>{@code switchover}: the write pause the client sees (longest gap between two acknowledged commits) when the
 *       proxy's admin route promotes the candidate.</li>
 * </ul>
 * Published anchors (no same-run anchor exists: nothing else does this): Orchestrator at GitHub 10-13 s, MHA
 * under 30 s. Goals: failover <= 3 s, switchover write pause <= 1 s.
 *
 * <p>Usage: {@code bench/run-failover.sh [failover|switchover] [rounds]}.
 */
public final class FailoverBench {
    private static final String USER = "repl";
    private static final String PASSWORD = "bench-pw";
    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    private FailoverBench() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "failover";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        List<double[]> results = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            double[] one = mode.equals("switchover") ? switchoverRound(r) : failoverRound(r);
            results.add(one);
        }
        StringBuilder out = new StringBuilder();
        if (mode.equals("switchover")) {
            out.append(String.format(Locale.ROOT, "%nSwitchover, %d rounds (MariaDB 10.11, proxy via bin/binlog-proxy)%n"
                    + "%-6s %14s %12s %10s%n", rounds, "round", "write pause ms", "proxy ms", "lost"));
            for (int i = 0; i < results.size(); i++) {
                double[] x = results.get(i);
                out.append(String.format(Locale.ROOT, "%-6d %14.0f %12.0f %10.0f%n", i + 1, x[0], x[1], x[2]));
            }
            out.append(String.format(Locale.ROOT, "write pause: median %.0f ms, max %.0f ms (goal <= 1000 ms);"
                    + " acknowledged commits lost: %.0f%n", median(results, 0), max(results, 0), sum(results, 2)));
        } else {
            out.append(String.format(Locale.ROOT, "%nFailover, %d kills (MariaDB 10.11 semi-sync AFTER_SYNC, detectTimeout"
                    + " 1s, proxy via bin/binlog-proxy)%n%-6s %10s %10s %10s %12s %10s %8s%n", rounds, "kill",
                    "total ms", "detect ms", "promote ms", "first evt ms", "acked", "lost"));
            for (int i = 0; i < results.size(); i++) {
                double[] x = results.get(i);
                out.append(String.format(Locale.ROOT, "%-6d %10.0f %10.0f %10.0f %12.0f %10.0f %8.0f%n", i + 1, x[0],
                        x[1], x[2], x[3], x[4], x[5]));
            }
            BenchResults.put("failover", "rounds", rounds);
            BenchResults.put("failover", "total_median_ms", median(results, 0));
            BenchResults.put("failover", "total_max_ms", max(results, 0));
            BenchResults.put("failover", "detect_median_ms", median(results, 1));
            BenchResults.put("failover", "promote_median_ms", median(results, 2));
            BenchResults.put("failover", "lost", sum(results, 5));
            out.append(String.format(Locale.ROOT, "kill -9 to the first new-master transaction on the leaf: median %.0f"
                            + " ms, max %.0f ms (goal <= 3000 ms; anchors: Orchestrator at GitHub 10-13 s, MHA < 30 s);"
                            + " parts (median): detection %.0f ms, promotion %.0f ms, first event %.0f ms;"
                            + " acknowledged commits lost: %.0f of %.0f%n", median(results, 0), max(results, 0),
                    median(results, 1), median(results, 2), median(results, 3), sum(results, 5), sum(results, 4)));
        }
        out.append("load average at the end: ").append(Files.readString(Path.of("/proc/loadavg")).trim())
                .append('\n');
        System.out.print(out);
        Path summary = Path.of(System.getProperty("bench.summary", "bench/target/failover-summary.txt"));
        Files.createDirectories(summary.toAbsolutePath().getParent());
        Files.writeString(summary, out.toString());
    }

    /** {total, detect, promote, first event, acked, lost} in ms / counts. */
    private static double[] failoverRound(int round) throws Exception {
        try (Topology t = Topology.start()) {
            AckedWriter writer = AckedWriter.start(t.master, 0);
            try {
                writer.awaitMore(2000);
                t.leaf.waitForReplicaCaughtUp(t.master, Duration.ofSeconds(60));
                long killMillis = System.currentTimeMillis();
                long killNanos = System.nanoTime();
                t.master.kill9();
                writer.retarget(t.candidate); // the application's VIP moves: it writes wherever it can
                long firstNewId = waitForFirstNewMasterCommit(writer);
                long appliedNanos = waitForRow(t.leaf, firstNewId);
                writer.stop();
                double total = (appliedNanos - killNanos) / 1e6;
                double dead = logMillis(t.log, "is dead", killMillis) - killMillis;
                double promoted = logMillis(t.log, "is the new master", killMillis) - killMillis;
                t.leaf.waitForReplicaCaughtUp(t.candidate, Duration.ofSeconds(60));
                NavigableSet<Long> missing = writer.missingFrom(AckedWriter.idsOn(t.leaf));
                System.out.printf(Locale.ROOT, "round %d: total %.0f ms (detect %.0f, promote %.0f, first event %.0f),"
                                + " %d acknowledged, %d missing on the leaf%n", round + 1, total, dead,
                        promoted - dead, total - promoted, writer.acknowledged().size(), missing.size());
                return new double[] {total, dead, promoted - dead, total - promoted, writer.acknowledged().size(),
                        missing.size()};
            } finally {
                writer.close();
            }
        }
    }

    /** {write pause, proxy's own time, lost}. */
    private static double[] switchoverRound(int round) throws Exception {
        try (Topology t = Topology.start()) {
            AckedWriter writer = AckedWriter.start(t.master, 0);
            try {
                writer.awaitMore(2000);
                long gapBefore = writer.longestGapNanos();
                long t0 = System.nanoTime();
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + t.adminPort + "/switchover?to=127.0.0.1:" + t.candidate.port()))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                double proxyMs = (System.nanoTime() - t0) / 1e6;
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("switchover refused: " + r.body());
                }
                writer.retarget(t.candidate);
                writer.awaitMore(1000);
                writer.stop();
                t.leaf.waitForReplicaCaughtUp(t.candidate, Duration.ofSeconds(60));
                int lost = writer.missingFrom(AckedWriter.idsOn(t.leaf)).size();
                double pause = Math.max(writer.longestGapNanos(), gapBefore) / 1e6;
                System.out.printf(Locale.ROOT, "round %d: write pause %.0f ms, proxy %.0f ms, %d lost%n", round + 1,
                        pause, proxyMs, lost);
                return new double[] {pause, proxyMs, lost};
            } finally {
                writer.close();
            }
        }
    }

    /**
     * The first id the client got acknowledged by the new master: the old master is dead, so any commit acknowledged
     * after the ones it had acknowledged (all recorded once the kill has been through for a moment) is the new one's.
     */
    private static long waitForFirstNewMasterCommit(AckedWriter writer) throws Exception {
        Thread.sleep(50);
        NavigableSet<Long> old = writer.acknowledged();
        long before = old.isEmpty() ? 0 : old.last();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            Long first = writer.acknowledged().higher(before);
            if (first != null) {
                return first;
            }
            Thread.sleep(1);
        }
        throw new IllegalStateException("the new master never acknowledged a write: " + writer);
    }

    private static long waitForRow(DbServer leaf, long id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!leaf.query("SELECT 1 FROM " + AckedWriter.TABLE + " WHERE id = " + id).isEmpty()) {
                return System.nanoTime();
            }
            Thread.sleep(1);
        }
        throw new IllegalStateException("the leaf never applied id " + id);
    }

    /** The wall-clock time of the first proxy log line after {@code after} that contains {@code text}. */
    private static double logMillis(Path log, String text, long after) throws IOException {
        long midnight = java.time.LocalDate.now().atStartOfDay(java.time.ZoneId.systemDefault()).toInstant()
                .toEpochMilli();
        for (String line : Files.readAllLines(log)) {
            if (line.contains(text) && line.length() > 12) {
                long ms = midnight + LocalTime.parse(line.substring(0, 12), LOG_TIME).toNanoOfDay() / 1_000_000;
                if (ms >= after - 1000) {
                    return ms;
                }
            }
        }
        throw new IllegalStateException("no '" + text + "' in " + log);
    }

    private static double median(List<double[]> rs, int i) {
        double[] v = rs.stream().mapToDouble(r -> r[i]).sorted().toArray();
        return v.length == 0 ? Double.NaN : v[v.length / 2];
    }

    private static double max(List<double[]> rs, int i) {
        return rs.stream().mapToDouble(r -> r[i]).max().orElse(Double.NaN);
    }

    private static double sum(List<double[]> rs, int i) {
        return rs.stream().mapToDouble(r -> r[i]).sum();
    }

    /** Master, candidate, leaf, and the proxy as {@code bin/binlog-proxy run} with failover auto. */
    private static final class Topology implements AutoCloseable {
        final DbServer master;
        final DbServer candidate;
        final DbServer leaf;
        final Process proxy;
        final Path log;
        final int adminPort;

        private Topology(DbServer master, DbServer candidate, DbServer leaf, Process proxy, Path log, int adminPort) {
            this.master = master;
            this.candidate = candidate;
            this.leaf = leaf;
            this.proxy = proxy;
            this.log = log;
            this.adminPort = adminPort;
        }

        static Topology start() throws Exception {
            DbServer master = DbServer.start(ServerOptions.mariadb().semiSyncMaster(true).maxBinlogSize(1 << 20)
                    .extraFlag("--rpl-semi-sync-master-timeout=60000")
                    .extraFlag("--rpl-semi-sync-master-wait-point=AFTER_SYNC").build());
            DbServer candidate = DbServer.start(ServerOptions.mariadb().maxBinlogSize(1 << 20).build());
            DbServer leaf = DbServer.start(ServerOptions.mariadb().build());
            master.createReplicationUser(USER, PASSWORD);
            candidate.createReplicationUser(USER, PASSWORD);
            Path dir = Files.createTempDirectory("failover-bench");
            int port = Ports.free();
            int adminPort = Ports.free();
            PasswordHash hash = PasswordHash.of(PASSWORD);
            Path config = dir.resolve("proxy.yaml");
            Files.writeString(config, """
                    upstream: {host: 127.0.0.1, port: %d, user: %s, password: %s, serverId: 9400, semiSync: true,
                               heartbeat: 250ms, deadMasterTimeout: 2s, tls: {mode: disabled}}
                    archive: {dir: '%s', durability: fsync}
                    server:
                      host: 127.0.0.1
                      port: %d
                      users:
                        %s: {mysqlNativePassword: '%s', permissions: [replication, admin]}
                    metrics: {host: 127.0.0.1, port: %d}
                    failover:
                      mode: auto
                      detectTimeout: 1s
                      probeInterval: 200ms
                      candidates:
                        - {host: 127.0.0.1, port: %d, user: root, password: ''}
                    """.formatted(master.port(), USER, PASSWORD, dir.resolve("archive"), port, USER,
                    hash.nativeText().orElseThrow(), adminPort, candidate.port()));
            Path log = dir.resolve("proxy.log");
            Process proxy = new ProcessBuilder(Path.of("bin/binlog-proxy").toAbsolutePath().toString(), "run",
                    "--config", config.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!"1".equals(master.globalStatus("Rpl_semi_sync_master_clients"))) {
                if (System.nanoTime() > deadline || !proxy.isAlive()) {
                    throw new IllegalStateException("the proxy did not start: " + Files.readString(log));
                }
                Thread.sleep(20);
            }
            candidate.replicateFrom("127.0.0.1", port, USER, PASSWORD, true);
            candidate.execute("SET GLOBAL read_only = ON");
            leaf.replicateFrom("127.0.0.1", port, USER, PASSWORD, master.showBinaryLogs().get(0).name(), 4);
            return new Topology(master, candidate, leaf, proxy, log, adminPort);
        }

        @Override
        public void close() throws Exception {
            proxy.destroy();
            proxy.waitFor();
            leaf.close();
            candidate.close();
            master.close();
        }
    }
}
