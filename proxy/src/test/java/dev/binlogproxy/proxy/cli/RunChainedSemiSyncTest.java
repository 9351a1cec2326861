package dev.binlogproxy.proxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.binlogproxy.protocol.auth.PasswordHash;
import dev.binlogproxy.proxy.BinlogProxy;
import dev.binlogproxy.proxy.config.ProxyConfig;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;

/**
 * {@code run} with {@code server.semiSync.waitForReplicas: 1}: the config reaches the mirror and the server, the
 * master's acks wait for the real semi-sync replica behind the proxy, and the chain meters show it.
 */
class RunChainedSemiSyncTest {
    @TempDir
    Path dir;

    @Test
    void theConfiguredChainWaitsForTheReplicaAndShowsInTheMetrics() throws Exception {
        try (DbServer master = DbServer.start(ServerOptions.mariadb().semiSyncMaster(true).build())) {
            master.createReplicationUser("repl", "pw-chain");
            master.execute("CREATE DATABASE r", "CREATE TABLE r.t (id INT PRIMARY KEY)");
            PasswordHash hash = PasswordHash.of("pw-chain");
            ProxyConfig cfg = ProxyConfig.parse("""
                    upstream: {host: 127.0.0.1, port: %d, user: repl, password: pw-chain, serverId: 9801,
                               heartbeat: 1s}
                    archive: {dir: '%s'}
                    server:
                      port: 0
                      semiSync: {waitForReplicas: 1, timeout: 2s}
                      users:
                        repl: {mysqlNativePassword: '%s', permissions: [replication]}
                    metrics: {port: 0}
                    """.formatted(master.port(), dir.resolve("archive"), hash.nativeText().orElseThrow()), null);
            try (BinlogProxy proxy = BinlogProxy.start(cfg);
                 DbServer replica = DbServer.start(ServerOptions.mariadb().semiSyncSlave(true).build())) {
                for (int i = 0; i < 300 && proxy.archive().files().isEmpty(); i++) {
                    Thread.sleep(100);
                }
                replica.replicateFrom("127.0.0.1", proxy.server().port(), "repl", "pw-chain", false);
                replica.waitForReplicaCaughtUp(master, Duration.ofSeconds(60));
                awaitGauge(proxy, "binlog_proxy_semisync_chain_on", 1.0);
                double waits0 = proxy.registry().get("binlog_proxy_semisync_chain_waits").counter().count();
                long yes0 = Long.parseLong(master.globalStatus("Rpl_semi_sync_master_yes_tx"));
                long no0 = Long.parseLong(master.globalStatus("Rpl_semi_sync_master_no_tx"));
                try (Connection c = master.connect();
                     PreparedStatement ps = c.prepareStatement("INSERT INTO r.t VALUES (?)")) {
                    for (int i = 1; i <= 50; i++) {
                        ps.setInt(1, i);
                        ps.executeUpdate();
                    }
                }
                assertEquals(50, Long.parseLong(master.globalStatus("Rpl_semi_sync_master_yes_tx")) - yes0);
                assertEquals(no0, Long.parseLong(master.globalStatus("Rpl_semi_sync_master_no_tx")));
                double waits = proxy.registry().get("binlog_proxy_semisync_chain_waits").counter().count() - waits0;
                assertTrue(waits >= 1, "no upstream ack waited for the chain: " + waits);
                String scrape = proxy.registry().scrape();
                for (String meter : new String[] {"binlog_proxy_semisync_chain_waits_total",
                        "binlog_proxy_semisync_chain_timeouts_total", "binlog_proxy_semisync_chain_on",
                        "binlog_proxy_semisync_chain_wait_seconds", "binlog_proxy_semisync_chain_downstream_acks_total"}) {
                    assertTrue(scrape.contains(meter), meter + " missing from the scrape");
                }
                assertTrue(proxy.registry().get("binlog_proxy_semisync_chain_downstream_acks").counter().count() > 0);
            }
        }
    }

    private static void awaitGauge(BinlogProxy proxy, String name, double value) throws InterruptedException {
        double v = Double.NaN;
        for (int i = 0; i < 3000; i++) {
            v = proxy.registry().get(name).gauge().value();
            if (v == value) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(name + " is " + v + ", not " + value);
    }
}
