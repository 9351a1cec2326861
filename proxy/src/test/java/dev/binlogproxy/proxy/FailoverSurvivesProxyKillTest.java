package dev.binlogproxy.proxy;

import dev.binlogproxy.testkit.AckedWriter;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The proxy (a child JVM running {@code binlog-proxy run}, failover auto) is killed in the middle of a failover,
 * at each step in turn (the test makes it halt there), and started again. The journal it finds makes the restarted
 * proxy finish a failover that had passed the point of no return, or roll back one that had not (the candidate a
 * replica of the proxy again, the archive without the half-adopted epoch) and then fail over afresh. Either way it
 * ends with the candidate promoted, the replica of the proxy on the new master's file without a CHANGE MASTER, and
 * every acknowledged commit on both.
 */
class FailoverSurvivesProxyKillTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"PAUSE_MIRROR:after", "CATCH_UP:after", "STOP_REPLICATION:after",
            "ALIGN_NUMBERING:after", "SEMI_SYNC:after", "ADOPT:after", "REPOINT:before", "REPOINT:after",
            "WRITABLE:after", "FORGET_REPLICATION:after"})
    void aKillAtAnyStepEndsInOneConsistentTopology(String crashAt) throws Exception {
        try (DbServer master = DbServer.start(FailoverHarness.masterOptions(dev.binlogproxy.testkit.Flavor.MARIADB));
             DbServer candidate = DbServer.start(ServerOptions.mariadb().maxBinlogSize(64 << 10).build());
             DbServer replica = DbServer.start(ServerOptions.mariadb().build())) {
            master.createReplicationUser(FailoverHarness.REPL, FailoverHarness.REPL_PW);
            candidate.createReplicationUser(FailoverHarness.REPL, FailoverHarness.REPL_PW);
            int proxyPort = dev.binlogproxy.testkit.Ports.free();
            Path archive = dir.resolve("archive");
            Path config = dir.resolve("proxy.yaml");
            var hash = dev.binlogproxy.protocol.auth.PasswordHash.of(FailoverHarness.REPL_PW);
            Files.writeString(config, """
                    upstream: {host: 127.0.0.1, port: %d, user: %s, password: %s, serverId: 9300, semiSync: true,
                               heartbeat: 250ms, deadMasterTimeout: 2s, reconnect: {initialDelay: 50ms, maxDelay: 500ms}}
                    archive: {dir: '%s', durability: fsync}
                    metrics: {port: 0}
                    server:
                      port: %d
                      users:
                        %s: {mysqlNativePassword: '%s', cachingSha2Password: '%s'}
                    failover:
                      mode: auto
                      detectTimeout: 1s
                      probeInterval: 200ms
                      candidates:
                        - {host: 127.0.0.1, port: %d, user: root, password: ''}
                    """.formatted(master.port(), FailoverHarness.REPL, FailoverHarness.REPL_PW, archive, proxyPort,
                    FailoverHarness.REPL, hash.nativeText().orElseThrow(), hash.sha2Text().orElseThrow(),
                    candidate.port()));
            Process proxy = startProxy(config, crashAt);
            try {
                ChildProxy.awaitSemiSyncClient(master, proxy, dir.resolve("proxy.log"), Duration.ofSeconds(30));
                AckedWriter writer = AckedWriter.start(master, 0);
                candidate.replicateFrom("127.0.0.1", proxyPort, FailoverHarness.REPL, FailoverHarness.REPL_PW, true);
                candidate.execute("SET GLOBAL read_only = ON");
                replica.replicateFrom("127.0.0.1", proxyPort, FailoverHarness.REPL, FailoverHarness.REPL_PW,
                        master.showBinaryLogs().get(0).name(), 4);
                writer.awaitMore(300);
                replica.waitForReplicaCaughtUp(master, Duration.ofSeconds(60));
                candidate.waitForReplicaCaughtUp(master, Duration.ofSeconds(60));
                String oldLast = master.masterStatus().file();
                master.kill9();
                writer.stop();

                // the proxy halts at the step (exit 137), like a kill -9 there
                assertTrue(proxy.waitFor(60, TimeUnit.SECONDS), "the proxy never reached " + crashAt + "\n"
                        + logTail());
                assertEquals(137, proxy.exitValue(), logTail());
                proxy = startProxy(config, null);

                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (!committed(archive)) {
                    assertTrue(System.nanoTime() < deadline, "no committed failover after the restart\n"
                            + journal(archive) + "\n" + logTail());
                    Thread.sleep(100);
                }
                List<String> journal = journal(archive);
                boolean pastNoReturn = crashAt.equals("REPOINT:after") || crashAt.startsWith("WRITABLE")
                        || crashAt.startsWith("FORGET_REPLICATION");
                if (!pastNoReturn) {
                    assertTrue(journal.stream().anyMatch(l -> l.contains("abort") && l.contains("restarted")),
                            "the interrupted failover was not rolled back:\n" + journal);
                }
                assertEquals("0", awaitValue(candidate, "SELECT @@GLOBAL.read_only", "0"));
                candidate.execute("INSERT INTO " + AckedWriter.TABLE + " (id) VALUES (999999999)");
                replica.waitForReplicaCaughtUp(candidate, Duration.ofSeconds(60));
                Map<String, String> s = replica.replicaStatus();
                assertEquals(String.valueOf(proxyPort), s.get("Master_Port"), s.toString());
                assertEquals("0", s.get("Last_IO_Errno"), s.toString());
                assertEquals("0", s.get("Last_SQL_Errno"), s.toString());
                assertTrue(s.get("Master_Log_File").compareTo(oldLast) > 0, s.toString());
                for (DbServer server : List.of(candidate, replica)) {
                    FailoverHarness.assertHasEveryAcked(writer, server);
                    assertTrue(AckedWriter.idsOn(server).contains(999999999L), server.toString());
                }
            } finally {
                proxy.destroyForcibly();
                proxy.waitFor();
            }
        }
    }

    private static String awaitValue(DbServer s, String sql, String want) throws InterruptedException {
        String v = null;
        for (int i = 0; i < 300; i++) {
            v = s.queryValue(sql);
            if (want.equals(v)) {
                return v;
            }
            Thread.sleep(50);
        }
        return v;
    }

    private static boolean committed(Path archive) throws IOException {
        return journal(archive).stream().anyMatch(l -> l.split("\t").length > 1 && l.split("\t")[1].equals("commit"));
    }

    private static List<String> journal(Path archive) throws IOException {
        Path j = archive.resolve("failover.journal");
        return Files.exists(j) ? Files.readAllLines(j) : List.of();
    }

    private String logTail() {
        return ChildProxy.logTail(dir.resolve("proxy.log"), 40);
    }

    private Process startProxy(Path config, String crashAt) throws IOException {
        return crashAt == null ? ChildProxy.start(config, dir.resolve("proxy.log"))
                : ChildProxy.start(config, dir.resolve("proxy.log"), "binlogproxy.failover.crashAt=" + crashAt);
    }
}
