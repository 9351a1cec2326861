package dev.binlogproxy.upstream;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.client.ConnectionSettings;
import dev.binlogproxy.client.Secret;
import dev.binlogproxy.testkit.AckedWriter;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The mirror stops at a transaction boundary, takes other credentials, and goes on, in the same process, under a
 * semi-sync write load: while paused nothing is written and the master's commits wait for the ack (the proxy is
 * its only semi-sync replica; its timeout is long); after the resume every acknowledged commit is archived, no
 * commit fell back to asynchronous (no_tx 0), and the archive is byte-identical to the master.
 */
class MirrorIsRepointedAtRuntimeTest {
    @TempDir
    Path dir;

    @Test
    void pauseRepointResumeUnderSemiSyncLoad() throws Exception {
        ServerOptions options = ServerOptions.mariadb().semiSyncMaster(true).maxBinlogSize(64 << 10)
                .extraFlag("--rpl-semi-sync-master-timeout=120000").build();
        try (DbServer master = DbServer.start(options);
             BinlogArchive archive = MirrorHarness.archive(dir.resolve("archive"), Durability.FSYNC)) {
            master.createReplicationUser(MirrorHarness.USER, MirrorHarness.PASSWORD);
            master.createReplicationUser("repl2", "other-pw");
            UpstreamSettings first = MirrorHarness.settings(master, 9011, true);
            try (MirrorService mirror = MirrorService.start(first, archive, MirrorHarness.metrics())) {
                MariaDbSemiSyncMirrorTest.awaitSemiSyncClient(master);
                assertThrows(IllegalStateException.class, () -> mirror.repoint(first), "repoint while streaming");
                try (AckedWriter writer = AckedWriter.start(master, 0)) {
                    writer.awaitMore(300);

                    mirror.pause(Duration.ofSeconds(10));
                    assertEquals(MirrorService.State.PAUSED, mirror.state());
                    Optional<BinlogPosition> pausedAt = archive.resumePosition();
                    long ackedAtPause = writer.acknowledged().size();
                    Thread.sleep(500);
                    // paused: nothing archived, and the master's commits wait for the proxy's ack
                    assertEquals(pausedAt, archive.resumePosition());
                    assertTrue(writer.acknowledged().size() <= ackedAtPause + 1,
                            "commits were acknowledged while the only semi-sync replica was paused: " + writer);

                    UpstreamSettings second = first.withConnection(new ConnectionSettings("127.0.0.1", master.port(),
                            "repl2", new Secret("other-pw"), Duration.ofSeconds(5),
                            first.connection().tlsMode(), null));
                    mirror.repoint(second);
                    mirror.resume();
                    writer.awaitMore(300);
                    assertEquals("repl2", mirror.settings().connection().user());
                    assertTrue(master.query("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE user = 'repl2'"
                            + " AND command LIKE 'Binlog Dump%'").get(0).get(0).equals("1"),
                            "the dump does not run as repl2");
                }
                MirrorHarness.awaitCaughtUp(archive, master, mirror, Duration.ofSeconds(30));
                assertEquals(0, MirrorHarness.status(master, "Rpl_semi_sync_master_no_tx"));
                MirrorHarness.assertByteIdentical(master, dir.resolve("archive"));
            }
        }
    }

    @Test
    void aFailedMirrorWaitsAndCanBeRepointedToTheRightMaster() throws Exception {
        try (DbServer master = DbServer.start(ServerOptions.mariadb().build());
             DbServer stranger = DbServer.start(ServerOptions.mariadb().build());
             BinlogArchive archive = MirrorHarness.archive(dir.resolve("archive"), Durability.WRITE)) {
            master.createReplicationUser(MirrorHarness.USER, MirrorHarness.PASSWORD);
            stranger.createReplicationUser(MirrorHarness.USER, MirrorHarness.PASSWORD);
            master.execute("CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY)", "INSERT INTO d.t VALUES (1)");
            UpstreamSettings right = MirrorHarness.settings(master, 9012, false);
            try (MirrorService mirror = MirrorService.start(right, archive, MirrorHarness.metrics())) {
                MirrorHarness.awaitCaughtUp(archive, master, mirror, Duration.ofSeconds(30));
                BinlogPosition before = archive.resumePosition().orElseThrow();
                mirror.pause(Duration.ofSeconds(10));
                mirror.repoint(MirrorHarness.settings(stranger, 9012, false));
                mirror.resume();
                // another master's history is refused and the mirror waits, writing nothing
                assertTrue(mirror.awaitFinished(Duration.ofSeconds(30)), mirror.status());
                assertEquals(MirrorService.State.FAILED, mirror.state());
                assertTrue(mirror.failure().orElseThrow().contains("not the master archived"),
                        mirror.failure().orElseThrow());
                assertEquals(before, archive.resumePosition().orElseThrow());

                mirror.pause(Duration.ofSeconds(10));
                mirror.repoint(right);
                mirror.resume();
                master.execute("INSERT INTO d.t VALUES (2)");
                MirrorHarness.awaitCaughtUp(archive, master, mirror, Duration.ofSeconds(30));
                assertEquals(MirrorService.State.STREAMING, mirror.state());
                MirrorHarness.assertByteIdentical(master, dir.resolve("archive"));
            }
        }
    }
}
