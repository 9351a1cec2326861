package dev.binlogproxy.upstream;

import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On MariaDB the archive records an empty server_uuid, so server_id and the binlog basename are all the identity a
 * handshake shows. A fresh master that reuses the old one's server_id and was flushed to the archive's file number
 * passes that check; the mirror must still refuse it, because it resumes at the archive's last transaction and the
 * master has to send those bytes again. Refused twice here: while the fresh master's file is shorter than the
 * archive's copy (seen in its binary log list, before any dump), and once it is longer (the bytes differ). Each
 * time the archive is left exactly as it was. The old master afterwards resumes through the same check: the
 * check refuses only another history.
 */
class AnotherMasterWithTheSameIdentityIsRefusedTest {
    private static final int SERVER_ID = 11;

    @TempDir
    Path dir;

    @Test
    void freshMasterReusingTheServerIdAndFileNumberIsRefusedAndTheArchiveIsUnchanged() throws Exception {
        ServerOptions options = ServerOptions.mariadb().serverId(SERVER_ID).build();
        Path archiveDir = dir.resolve("archive");
        try (DbServer old = DbServer.start(options);
             BinlogArchive archive = MirrorHarness.archive(archiveDir, Durability.FSYNC)) {
            old.createReplicationUser(MirrorHarness.USER, MirrorHarness.PASSWORD);
            old.execute("CREATE DATABASE h", "CREATE TABLE h.t (id BIGINT PRIMARY KEY, v VARCHAR(100))");
            for (int i = 1; i <= 3; i++) {
                old.execute("INSERT INTO h.t VALUES (" + i + ", 'old master, before the flush')");
                old.flushBinaryLogs();
            }
            old.execute("INSERT INTO h.t VALUES (100, 'old master, last')", "INSERT INTO h.t VALUES (101, 'x')");
            try (MirrorService mirror = MirrorService.start(MirrorHarness.settings(old, 9501, false), archive,
                    MirrorHarness.metrics())) {
                MirrorHarness.awaitCaughtUp(archive, old, mirror, Duration.ofSeconds(30));
            }
            BinlogPosition end = archive.resumePosition().orElseThrow();
            Map<String, String> before = contents(archive, archiveDir);

            try (DbServer fresh = DbServer.start(options)) {
                fresh.createReplicationUser(MirrorHarness.USER, MirrorHarness.PASSWORD);
                while (BinlogPosition.compareFiles(MirrorHarness.masterEnd(fresh).file(), end.file()) < 0) {
                    fresh.flushBinaryLogs();
                }
                assertEquals(end.file(), MirrorHarness.masterEnd(fresh).file(), "flushed to the archive's number");
                assertTrue(MirrorHarness.masterEnd(fresh).offset() < end.offset(), "shorter than the archive's copy");

                String shorter = refusal(fresh, archive);
                assertTrue(shorter.contains("this master's history differs from the archive at " + end.file()),
                        shorter);
                assertTrue(shorter.contains("the master's " + end.file() + " is "), shorter);
                assertEquals(before, contents(archive, archiveDir), "the archive changed");

                // now the fresh master's file is longer than the archive's copy: the dump starts at the archive's
                // last transaction and what comes differs
                fresh.execute("CREATE DATABASE h", "CREATE TABLE h.t (id BIGINT PRIMARY KEY, v VARCHAR(100))");
                for (int i = 1; MirrorHarness.masterEnd(fresh).offset() < end.offset() + 2000; i++) {
                    fresh.execute("INSERT INTO h.t VALUES (" + i + ", 'fresh master with the old one''s server_id')");
                }
                assertEquals(end.file(), MirrorHarness.masterEnd(fresh).file());
                String longer = refusal(fresh, archive);
                assertTrue(longer.contains("this master's history differs from the archive at " + end.file() + ":"),
                        longer);
                assertEquals(before, contents(archive, archiveDir), "the archive changed");
            }

            // the archive's own master passes the same check and goes on
            old.execute("INSERT INTO h.t VALUES (102, 'old master, after the refusals')");
            try (MirrorService mirror = MirrorService.start(MirrorHarness.settings(old, 9501, false), archive,
                    MirrorHarness.metrics())) {
                MirrorHarness.awaitCaughtUp(archive, old, mirror, Duration.ofSeconds(30));
                assertEquals(MirrorService.State.STREAMING, mirror.state(), mirror.status());
            }
            MirrorHarness.assertByteIdentical(old, archiveDir);
        }
    }

    /** Runs the mirror against {@code master} until it fails; returns why. */
    private static String refusal(DbServer master, BinlogArchive archive) throws Exception {
        try (MirrorService mirror = MirrorService.start(MirrorHarness.settings(master, 9501, false), archive,
                MirrorHarness.metrics())) {
            assertTrue(mirror.awaitFinished(Duration.ofSeconds(30)), "the mirror did not stop: " + mirror.status());
            assertEquals(MirrorService.State.FAILED, mirror.state(), mirror.status());
            return mirror.failure().orElseThrow();
        }
    }

    private static Map<String, String> contents(BinlogArchive archive, Path archiveDir) throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        for (ArchivedFile f : archive.files()) {
            out.put(f.name(), f.size() + " " + MirrorHarness.sha256(Files.readAllBytes(archiveDir.resolve(f.name()))));
        }
        out.put("resume", archive.resumePosition().map(Object::toString).orElse("-"));
        return out;
    }
}
