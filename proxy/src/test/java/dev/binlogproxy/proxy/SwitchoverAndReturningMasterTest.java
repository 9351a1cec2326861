package dev.binlogproxy.proxy;

import dev.binlogproxy.failover.FailoverMode;
import dev.binlogproxy.failover.FailoverReport;
import dev.binlogproxy.testkit.AckedWriter;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.Flavor;
import dev.binlogproxy.upstream.MirrorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A planned switchover under a steady write load (MariaDB, semi-sync): the old master goes read-only, its in-flight
 * commits are archived, the candidate is promoted, the old master rejoins as a replica of the proxy; no replica
 * sees an error, no acknowledged commit is lost, and the longest write pause is measured. And a master that comes
 * back after a failover with a transaction the proxy never acknowledged: it is not re-adopted, and the proxy
 * reports the extra transaction and bytes.
 */
class SwitchoverAndReturningMasterTest {
    @TempDir
    Path dir;

    @Test
    void switchoverUnderLoadKeepsEveryReplicaRunning() throws Exception {
        try (FailoverHarness h = FailoverHarness.start(Flavor.MARIADB, dir, 1, FailoverMode.MANUAL,
                Duration.ofSeconds(1), null)) {
            DbServer candidate = h.candidates.get(0);
            AckedWriter writer = AckedWriter.start(h.master, 0);
            try {
                writer.awaitMore(500);
                FailoverReport r = h.proxy.failover().switchover("127.0.0.1", candidate.port(), true, false);
                assertEquals(FailoverReport.Outcome.COMMITTED, r.outcome(), r.describe());
                writer.retarget(candidate);
                writer.awaitMore(500);
                writer.stop();
                for (DbServer s : List.of(candidate, h.byPosition, h.byGtid, h.master)) {
                    if (s != candidate) {
                        s.waitForReplicaCaughtUp(candidate, Duration.ofSeconds(60));
                    }
                    FailoverHarness.assertHasEveryAcked(writer, s);
                }
                String firstNew = h.proxy.archive().epochs().get(1).firstFile().orElseThrow();
                for (DbServer replica : h.replicas()) {
                    h.assertStillOnProxy(replica, firstNew);
                }
                // the old master rejoined as a replica of the proxy, at the new master's first file
                Map<String, String> old = h.master.replicaStatus();
                assertEquals(String.valueOf(h.proxyPort()), old.get("Master_Port"), old.toString());
                assertEquals("Yes", old.get("Slave_SQL_Running"), old.toString());
                assertEquals(0, FailoverHarness.semiSyncStatus(candidate, "Rpl_semi_sync_master_no_tx"));
                // a rejoined old master is a replica: no semi-sync master left on it to stall its applier
                assertEquals("0", h.master.queryValue("SELECT @@GLOBAL.rpl_semi_sync_master_enabled"));
                assertEquals(0, FailoverHarness.semiSyncStatus(h.master, "Rpl_semi_sync_master_no_tx"),
                        "the rejoined old master's applier waited for semi-sync acks");
                assertEquals(null, h.proxy.failover().status().oldMaster(), "a drained old master has nothing to report");
                System.out.printf("switchover: %d ms in the proxy, longest write pause %d ms (%d failed commits"
                                + " while the old master was read-only); %s%n", r.took().toMillis(),
                        writer.longestGapNanos() / 1_000_000, writer.failedCommits(), r.describe().replace('\n', ' '));
            } finally {
                writer.close();
            }
        }
    }

    @Test
    void aReturnedOldMasterIsNotReadoptedAndItsExtraTransactionIsReported() throws Exception {
        try (FailoverHarness h = FailoverHarness.start(Flavor.MARIADB, dir, 1, FailoverMode.AUTO,
                Duration.ofSeconds(1), null)) {
            DbServer candidate = h.candidates.get(0);
            AckedWriter writer = AckedWriter.start(h.master, 0);
            writer.awaitMore(200);
            writer.stop();
            // hold the proxy's acks: the next commit reaches the master's binlog (AFTER_SYNC) and waits for an ack
            // that never comes, then the master dies with it
            h.proxy.mirror().pause(Duration.ofSeconds(10));
            Thread unacked = new Thread(() -> {
                try (Connection c = h.master.connect(); Statement st = c.createStatement()) {
                    st.execute("INSERT INTO " + AckedWriter.TABLE + " (id) VALUES (-1)");
                } catch (Exception expected) {
                    // the master is killed while this commit waits for its ack
                }
            });
            unacked.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (Long.parseLong(h.master.globalStatus("Rpl_semi_sync_master_wait_sessions")) < 1) {
                assertTrue(System.nanoTime() < deadline, "the commit never waited for an ack");
                Thread.sleep(10);
            }
            h.master.kill9();
            unacked.join(10_000);
            h.proxy.mirror().resume();
            FailoverReport r = h.awaitFailover(Duration.ofSeconds(60));
            assertEquals(FailoverReport.Outcome.COMMITTED, r.outcome(), r.describe());

            h.master.restart();
            deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            String finding;
            while ((finding = h.proxy.failover().status().oldMaster()) == null) {
                assertTrue(System.nanoTime() < deadline, "the returned old master was never reported");
                Thread.sleep(100);
            }
            assertTrue(finding.contains("came back with 1 transaction(s)"), finding);
            assertTrue(finding.contains("it is not re-adopted"), finding);
            assertEquals(1.0, h.proxy.registry().get("binlog_proxy_failover_old_master_errant_transactions")
                    .gauge().value());
            // the proxy still follows the new master; the unacknowledged row exists only on the old one
            assertEquals(MirrorService.State.STREAMING, h.proxy.mirror().state());
            assertEquals(candidate.port(), h.proxy.mirror().settings().connection().port());
            assertTrue(AckedWriter.idsOn(h.master).contains(-1L));
            assertTrue(!AckedWriter.idsOn(candidate).contains(-1L));
            FailoverHarness.assertHasEveryAcked(writer, candidate);
        }
    }
}
