package dev.binlogproxy.proxy;

import dev.binlogproxy.testkit.AckedWriter;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.Ports;
import dev.binlogproxy.testkit.ServerOptions;
import dev.binlogproxy.upstream.MirrorHarness;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A flapping master: five kill -9 and restarts, 5 s apart, under load, with a replica behind the proxy (a child
 * {@code binlog-proxy run}). After each restart the proxy is the master's semi-sync replica again within 1 s of the
 * master accepting connections (a master that refuses TCP is asked every 100 ms, whatever the backoff), so
 * semi-sync never falls back between kills (no_tx stays 0 in every life of the master), and the replica ends with
 * every acknowledged row. The times are printed (docs/results.md).
 */
class MasterRestartsAreFollowedWithinASecondTest {
    @TempDir
    Path dir;

    @Test
    void fiveKill9RestartsUnderLoadAreFollowedWithinASecondAndSemiSyncStaysOn() throws Exception {
        flap(5);
    }

    /** The same, longer: {@code mvn verify -DexcludedGroups= -Dgroups=soak -Dflapping.restarts=N} (default 20). */
    @Test
    @Tag("soak")
    void manyKill9RestartsUnderLoad() throws Exception {
        flap(Integer.getInteger("flapping.restarts", 20));
    }

    private void flap(int restarts) throws Exception {
        ServerOptions masterOptions = ServerOptions.mariadb().semiSyncMaster(true).maxBinlogSize(256 << 10)
                .extraFlag("--rpl-semi-sync-master-timeout=10000").build();
        try (DbServer master = DbServer.start(masterOptions);
             DbServer replica = DbServer.start(ServerOptions.mariadb().build())) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            int proxyPort = Ports.free();
            int metricsPort = Ports.free();
            Path config = dir.resolve("proxy.yaml");
            Files.writeString(config, ChildProxy.config(master.port(), dir.resolve("archive"), proxyPort, metricsPort,
                    "", ""));
            Path log = dir.resolve("proxy.log");
            Process proxy = ChildProxy.start(config, log);
            try {
                ChildProxy.awaitSemiSyncClient(master, proxy, log, Duration.ofSeconds(60));
                AckedWriter writer = AckedWriter.start(master, 500);
                replica.replicateFrom("127.0.0.1", proxyPort, ServeHarness.REPL, ServeHarness.REPL_PW, true);
                writer.awaitMore(200);
                List<Long> backMillis = new ArrayList<>();
                for (int i = 0; i < restarts; i++) {
                    Thread.sleep(5000);
                    assertEquals("ON", MirrorHarness.statusText(master, "Rpl_semi_sync_master_status"),
                            "restart " + i + ": semi-sync fell back before the kill");
                    assertEquals(0, MirrorHarness.status(master, "Rpl_semi_sync_master_no_tx"),
                            "restart " + i + ": a commit went without the proxy's ack in this life of the master");
                    master.kill9();
                    master.restart(); // returns once it accepts connections
                    long up = System.nanoTime();
                    ChildProxy.awaitSemiSyncClient(master, proxy, log, Duration.ofSeconds(30));
                    long back = (System.nanoTime() - up) / 1_000_000;
                    backMillis.add(back);
                    assertTrue(back <= 1000, "restart " + i + ": the proxy was back " + back + " ms after the master"
                            + " accepted connections\n" + ChildProxy.logTail(log, 20));
                }
                writer.awaitMore(200);
                assertEquals("ON", MirrorHarness.statusText(master, "Rpl_semi_sync_master_status"));
                assertEquals(0, MirrorHarness.status(master, "Rpl_semi_sync_master_no_tx"));
                writer.stop();
                replica.waitForReplicaCaughtUp(master, Duration.ofSeconds(60));
                assertEquals(AckedWriter.idsOn(master), AckedWriter.idsOn(replica), "the replica diverged");
                assertTrue(writer.missingFrom(AckedWriter.idsOn(replica)).isEmpty());
                Map<String, String> s = replica.replicaStatus();
                assertEquals("0", s.get("Last_IO_Errno"), s.toString());
                assertEquals("0", s.get("Last_SQL_Errno"), s.toString());
                String reconnects = ChildProxy.metric(metricsPort, "binlog_proxy_upstream_reconnects_total");
                String away = ChildProxy.metric(metricsPort, "binlog_proxy_upstream_disconnected_seconds_total");
                System.out.printf("MasterRestartsAreFollowedWithinASecondTest: %d kill -9 restarts, proxy back %s ms"
                                + " after the master accepted connections (max %d), %d commits acknowledged, %d failed"
                                + " during kills; reconnects %s, %s s without upstream%n", restarts, backMillis,
                        backMillis.stream().mapToLong(Long::longValue).max().orElse(0), writer.acknowledged().size(),
                        writer.failedCommits(), reconnects, away);
                assertTrue(reconnects != null && Double.parseDouble(reconnects) >= restarts,
                        "reconnects " + reconnects);
                assertTrue(away != null && Double.parseDouble(away) > 0, "disconnected seconds " + away);
            } finally {
                proxy.destroyForcibly();
                proxy.waitFor();
            }
        }
    }
}
