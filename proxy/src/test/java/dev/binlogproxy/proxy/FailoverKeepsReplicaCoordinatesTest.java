package dev.binlogproxy.proxy;

import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.failover.FailoverMode;
import dev.binlogproxy.failover.FailoverReport;
import dev.binlogproxy.testkit.AckedWriter;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.Flavor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The defining promise, against real servers: the master is killed -9 mid-load; the proxy detects it, promotes
 * the candidate (a replica of the proxy), adopts it as the archive's next epoch and follows it. Replicas of the
 * proxy by file/position and by GTID never get a CHANGE MASTER: they read to the end of the old master's last file
 * and go on into the new master's file. A client that recorded every commit that returned OK finds every one of
 * them on every server (MariaDB, semi-sync AFTER_SYNC: 0 lost), none twice, and new writes reach every replica.
 * On MySQL 8.0.15, which ships no semi-sync plugin, the test says so and reports how many acknowledged commits
 * the asynchronous master took with it.
 */
class FailoverKeepsReplicaCoordinatesTest {
    @TempDir
    Path dir;

    @Test
    void mariadbMasterKilledMidLoadLosesNoAcknowledgedTransaction() throws Exception {
        run(Flavor.MARIADB);
    }

    @Test
    void mysqlMasterKilledMidLoadKeepsReplicaCoordinates() throws Exception {
        run(Flavor.MYSQL);
    }

    private void run(Flavor flavor) throws Exception {
        try (FailoverHarness h = FailoverHarness.start(flavor, dir, 1, FailoverMode.AUTO, Duration.ofSeconds(1),
                null)) {
            DbServer candidate = h.candidates.get(0);
            AckedWriter writer = AckedWriter.start(h.master, 0);
            try {
                writer.awaitMore(1500);
                String oldLast = h.master.masterStatus().file();
                if (flavor == Flavor.MARIADB) {
                    assertEquals(0, FailoverHarness.semiSyncStatus(h.master, "Rpl_semi_sync_master_no_tx"));
                }
                long killedAt = System.nanoTime();
                h.master.kill9();

                FailoverReport r = h.awaitFailover(Duration.ofSeconds(60));
                assertEquals(FailoverReport.Outcome.COMMITTED, r.outcome(), r.describe());
                assertEquals("127.0.0.1:" + candidate.port(), r.newMaster(), r.describe());
                long failedOverMs = (System.nanoTime() - killedAt) / 1_000_000;
                // the old master's acknowledged commits: nothing is acknowledged between the kill and the retarget
                long lastOnOldMaster = writer.acknowledged().last();
                writer.retarget(candidate);
                writer.awaitMore(300);
                writer.stop();

                String firstNew = h.proxy.archive().epochs().get(h.proxy.archive().epochs().size() - 1).firstFile()
                        .orElseThrow();
                assertTrue(BinlogPosition.startOf(firstNew).compareTo(BinlogPosition.startOf(oldLast)) > 0,
                        firstNew + " does not follow the old master's " + oldLast);
                for (DbServer replica : h.replicas()) {
                    replica.waitForReplicaCaughtUp(candidate, Duration.ofSeconds(60));
                    h.assertStillOnProxy(replica, firstNew);
                }
                if (flavor == Flavor.MARIADB) {
                    for (DbServer s : List.of(candidate, h.byPosition, h.byGtid)) {
                        FailoverHarness.assertHasEveryAcked(writer, s);
                    }
                    assertEquals("ON", candidate.globalStatus("Rpl_semi_sync_master_status"));
                    assertEquals(0, FailoverHarness.semiSyncStatus(candidate, "Rpl_semi_sync_master_no_tx"));
                    assertTrue(FailoverHarness.semiSyncStatus(candidate, "Rpl_semi_sync_master_yes_tx") >= 300);
                } else {
                    // no semi-sync on 8.0.15: commits the master acknowledged before the proxy had them are gone
                    // with it; report the number, and hold the replicas to agree with each other
                    java.util.Set<Long> present = AckedWriter.idsOn(candidate);
                    java.util.NavigableSet<Long> missing = writer.missingFrom(present);
                    int lost = missing.size();
                    // one writer commits in order, so what the archive lacks can only be the newest commits: a hole
                    // below the newest archived commit would be a lost transaction the archive had acknowledged
                    if (!missing.isEmpty()) {
                        // the newest of the old master's commits that the archive had (ids after the retarget were
                        // written to the new master and say nothing about what the archive lost)
                        long newestKept = present.stream().mapToLong(Long::longValue)
                                .filter(id -> id <= lastOnOldMaster).max().orElse(0);
                        assertTrue(missing.first() > newestKept, "hole at " + missing.first() + " below " + newestKept);
                    }
                    System.out.printf("MySQL 8.0.15 has no semi-sync plugin: the failover gave up %d acknowledged"
                            + " commit(s) of %d (asynchronous replication)%n", lost, writer.acknowledged().size());
                }
                for (DbServer replica : h.replicas()) {
                    assertEquals(candidate.query("CHECKSUM TABLE " + AckedWriter.TABLE),
                            replica.query("CHECKSUM TABLE " + AckedWriter.TABLE), replica.toString());
                }
                h.assertNewEpochByteIdentical(candidate, firstNew);
                System.out.printf("%s: failover committed %d ms after the kill (report: %d ms); %s%n", flavor,
                        failedOverMs, r.took().toMillis(), r.describe().replace('\n', ' '));
            } finally {
                writer.close();
            }
        }
    }
}
