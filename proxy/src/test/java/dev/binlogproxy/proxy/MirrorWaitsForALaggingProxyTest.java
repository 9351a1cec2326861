package dev.binlogproxy.proxy;

import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.client.ConnectionSettings;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import dev.binlogproxy.testkit.Workload;
import dev.binlogproxy.upstream.MirrorHarness;
import dev.binlogproxy.upstream.MirrorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proxy A is moved onto proxy B, a sibling mirror of the same master that is files behind A (its mirror paused
 * while the master rotated). B's binary logs end before A's archive does: that is a lag, not another history, so
 * A waits (reconnecting, saying why, writing nothing) instead of failing, and follows B once B has caught up; A's
 * archive stays byte-identical to the master's.
 */
class MirrorWaitsForALaggingProxyTest {
    @TempDir
    Path dir;

    @Test
    void aSiblingThatIsBehindIsWaitedFor() throws Exception {
        ServerOptions masterOptions = ServerOptions.mariadb().semiSyncMaster(true).maxBinlogSize(64 << 10)
                .extraFlag("--rpl-semi-sync-master-timeout=60000").build();
        try (DbServer master = DbServer.start(masterOptions)) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            Workload w = new Workload(master);
            try (ServeHarness a = ServeHarness.start(master, dir.resolve("a"), 9631, true);
                 ServeHarness b = ServeHarness.start(master, dir.resolve("b"), 9632, true)) {
                w.setUp();
                w.run(2, 20, 61);
                a.awaitCaughtUp(Duration.ofSeconds(60));
                b.awaitCaughtUp(Duration.ofSeconds(60));
                // B stops where it is; A (still a semi-sync replica) goes on through several rotations
                b.mirror.pause(Duration.ofSeconds(10));
                BinlogPosition bEnd = b.archive.resumePosition().orElseThrow();
                w.run(2, 60, 62);
                master.execute("FLUSH BINARY LOGS");
                a.awaitCaughtUp(Duration.ofSeconds(60));
                BinlogPosition aEnd = a.archive.resumePosition().orElseThrow();
                assertTrue(BinlogPosition.compareFiles(aEnd.file(), bEnd.file()) > 0, aEnd + " vs " + bEnd);

                MirrorService mirror = a.mirror;
                mirror.pause(Duration.ofSeconds(10));
                mirror.repoint(mirror.settings().withConnection(ConnectionSettings.plain("127.0.0.1", b.port(),
                        ServeHarness.ADMIN, ServeHarness.ADMIN_PW)));
                mirror.resume();
                // A asks B again and again and says why it waits; it never fails and writes nothing
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (!mirror.status().contains("is a binlog proxy whose binary logs end at " + bEnd.file())) {
                    assertNotEquals(MirrorService.State.FAILED, mirror.state(), mirror.status());
                    assertTrue(System.nanoTime() < deadline, "no wait for B was reported: " + mirror.status());
                    Thread.sleep(20);
                }
                Thread.sleep(1500);
                assertNotEquals(MirrorService.State.FAILED, mirror.state(), mirror.status());
                assertNotEquals(MirrorService.State.STREAMING, mirror.state(), mirror.status());
                assertEquals(aEnd, a.archive.resumePosition().orElseThrow());

                // B catches up from the master; A follows it and then has whatever the master writes next
                b.mirror.resume();
                b.awaitCaughtUp(Duration.ofSeconds(60));
                w.run(2, 20, 63);
                b.awaitCaughtUp(Duration.ofSeconds(60));
                a.awaitCaughtUp(Duration.ofSeconds(60));
                assertEquals(MirrorService.State.STREAMING, mirror.state(), mirror.status());
                assertEquals(b.port(), mirror.settings().connection().port());
                MirrorHarness.assertByteIdentical(master, dir.resolve("a").resolve("archive"));
                assertEquals(0, MirrorHarness.status(master, "Rpl_semi_sync_master_no_tx"));
            }
        }
    }
}
