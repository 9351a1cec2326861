package dev.binlogproxy.proxy;

import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.upstream.MirrorHarness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code binlog-proxy run} in a child JVM, as the kill -9 tests need it: its output appended to a log file. */
final class ChildProxy {
    private ChildProxy() {
    }

    /**
     * @param properties extra {@code -D} settings ({@code name=value}) for the child
     */
    static Process start(Path config, Path log, String... properties) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(Arrays.asList(System.getProperty("chronicle.jvm.flags", "").trim().split("\\s+")));
        for (String p : properties) {
            cmd.add("-D" + p);
        }
        cmd.add("-cp");
        // under Surefire java.class.path is only its manifest-only booter jar; this is the real test classpath
        cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        cmd.add("dev.binlogproxy.proxy.cli.BinlogProxyCli");
        cmd.add("run");
        cmd.add("--config");
        cmd.add(config.toString());
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /**
     * A configuration for a child proxy of {@code masterPort} with the test replication account on its server
     * (port {@code serverPort}, 0: any) and metrics on {@code metricsPort}; {@code upstreamExtra} and
     * {@code archiveExtra} are added to those sections ({@code key: value, ...}, may be empty).
     */
    static String config(int masterPort, Path archive, int serverPort, int metricsPort, String upstreamExtra,
                         String archiveExtra) {
        var hash = dev.binlogproxy.protocol.auth.PasswordHash.of(ServeHarness.REPL_PW);
        return """
                upstream: {host: 127.0.0.1, port: %d, user: %s, password: '%s', serverId: 9300, semiSync: true,
                           heartbeat: 500ms, deadMasterTimeout: 3s, reconnect: {initialDelay: 50ms, maxDelay: 2s}%s}
                archive: {dir: '%s', durability: fsync%s}
                metrics: {port: %d}
                server:
                  port: %d
                  users:
                    %s: {mysqlNativePassword: '%s', cachingSha2Password: '%s'}
                """.formatted(masterPort, ServeHarness.REPL, ServeHarness.REPL_PW,
                upstreamExtra.isEmpty() ? "" : ", " + upstreamExtra, archive,
                archiveExtra.isEmpty() ? "" : ", " + archiveExtra, metricsPort, serverPort, ServeHarness.REPL,
                hash.nativeText().orElseThrow(), hash.sha2Text().orElseThrow());
    }

    /** GET of the child's metrics endpoint: the value of one meter line (the first whose name starts so), or null. */
    static String metric(int metricsPort, String name) {
        try {
            var c = java.net.http.HttpClient.newHttpClient();
            var r = c.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + metricsPort
                    + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            for (String line : r.body().split("\n")) {
                if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                    return line.substring(line.lastIndexOf(' ') + 1);
                }
            }
            return null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The last {@code n} lines of the child's log, for a failure message. */
    static String logTail(Path log, int n) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** The proxy's dump is the master's semi-sync replica (polled every 10 ms). */
    static void awaitSemiSyncClient(DbServer master, Process proxy, Path log, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (MirrorHarness.status(master, "Rpl_semi_sync_master_clients") >= 1) {
                    return;
                }
            } catch (RuntimeException e) {
                // the master is still starting
            }
            assertTrue(proxy.isAlive(), "the proxy exited\n" + logTail(log, 30));
            assertTrue(System.nanoTime() < deadline, "the proxy did not become a semi-sync replica within " + timeout
                    + "\n" + logTail(log, 30));
            Thread.sleep(10);
        }
    }
}
