package dev.binlogproxy.proxy;

import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.archive.MasterEpoch;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.failover.FailoverMode;
import dev.binlogproxy.failover.FailoverReport;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.Flavor;
import dev.binlogproxy.testkit.ServerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PITR across a failover: the backup is taken on the first master, which is then killed; the proxy promotes a
 * candidate and the archive continues in the new master's files (its next epoch). The mistake happens on the new
 * master. The range from the backup's coordinates (in the dead master's files) to just before the mistake (in the
 * new master's) replays as any other: exported and piped through mariadb-binlog, and read from the proxy with
 * every file named and --stop-position. The restored tables equal the new master's just before the mistake.
 * MariaDB only: the failover tests run MySQL 8.0.15 without semi-sync, and the restore path is the same.
 */
class PitrAcrossFailoverTest {
    @TempDir
    Path dir;

    @Test
    void aRangeFromTheDeadMastersFilesIntoTheNewMastersRestoresAsAnyOther() throws Exception {
        try (FailoverHarness h = FailoverHarness.start(Flavor.MARIADB, dir, 1, FailoverMode.AUTO,
                Duration.ofSeconds(1), null)) {
            DbServer candidate = h.candidates.get(0);
            // the harness's servers have the default 16 MB; the 17 MB row needs more (new connections see it)
            for (DbServer s : List.of(h.master, candidate)) {
                s.execute("SET GLOBAL max_allowed_packet = " + (256 << 20));
            }
            Pitr.seed(h.master);
            Pitr.Backup backup = Pitr.dump(h.master, dir);
            Pitr.changes(h.master, 0);
            awaitArchived(h, h.master);
            String oldLast = h.master.masterStatus().file();
            h.master.kill9();
            FailoverReport r = h.awaitFailover(Duration.ofSeconds(60));
            assertEquals(FailoverReport.Outcome.COMMITTED, r.outcome(), r.describe());

            Pitr.changes(candidate, 1000);
            List<String> beforeMistake = Pitr.checksums(candidate);
            Instant t1 = Pitr.nextSecond();
            candidate.execute("DROP TABLE shop.orders");
            String mistake = Pitr.lastGtid(candidate);
            Pitr.laterWrites(candidate);
            awaitArchived(h, candidate);

            Path archive = dir.resolve("archive");
            // the new master's GTID_LIST holds both masters' GTIDs of domain 0: the proxy answers as the master
            try (var c = ServeHarness.connect(h.proxyPort(), ServeHarness.REPL, ServeHarness.REPL_PW);
                 var rs = c.createStatement().executeQuery("SELECT @@GLOBAL.gtid_binlog_pos")) {
                assertTrue(rs.next());
                assertEquals(candidate.queryValue("SELECT @@GLOBAL.gtid_binlog_pos"), rs.getString(1));
            }
            List<MasterEpoch> epochs = h.proxy.archive().epochs();
            assertEquals(2, epochs.size(), epochs.toString());
            String firstNew = epochs.get(1).firstFile().orElseThrow();
            String found = Pitr.cli("find", "--archive", archive.toString(), "--gtid", mistake);
            BinlogPosition stop = Pitr.positionAfter(found, "transaction:");
            assertEquals(stop, Pitr.positionAfter(Pitr.cli("find", "--archive", archive.toString(), "--datetime",
                    t1.toString()), "position:"));
            assertTrue(stop.file().compareTo(firstNew) >= 0, stop + " should be in the new master's files");
            List<String> range = h.proxy.archive().files().stream().map(ArchivedFile::name)
                    .filter(f -> f.compareTo(backup.coordinates().file()) >= 0 && f.compareTo(stop.file()) <= 0)
                    .toList();
            assertTrue(range.contains(oldLast) && range.contains(firstNew), "the range should cross the epochs ("
                    + oldLast + " -> " + firstNew + "): " + range);

            try (DbServer restore = DbServer.start(ServerOptions.mariadb().maxAllowedPacket(256L << 20).build())) {
                Pitr.restoreBackup(restore, backup, dir);
                Path out = dir.resolve("export");
                Pitr.cli("export", "--archive", archive.toString(), "--out", out.toString(), "--start-file",
                        backup.coordinates().file(), "--start-position", String.valueOf(backup.coordinates().offset()),
                        "--stop-datetime", t1.toString());
                Pitr.apply(restore, "mariadb-binlog --start-position=" + backup.coordinates().offset() + " "
                        + Pitr.files(range, out), dir, "export-replay");
                assertEquals(beforeMistake, Pitr.checksums(restore), "export across the epochs");

                Pitr.restoreBackup(restore, backup, dir);
                Pitr.apply(restore, Pitr.remote(h.proxyPort()) + " --start-position=" + backup.coordinates().offset()
                        + " --stop-position=" + stop.offset() + " " + Pitr.files(range, null), dir, "remote");
                assertEquals(beforeMistake, Pitr.checksums(restore), "mariadb-binlog -R across the epochs");
            }
        }
    }

    /** Waits until the archive holds what {@code master} has written so far. */
    private static void awaitArchived(FailoverHarness h, DbServer master) throws InterruptedException {
        var at = master.masterStatus();
        BinlogPosition target = new BinlogPosition(at.file(), at.position());
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (h.proxy.archive().resumePosition().map(p -> p.compareTo(target) < 0).orElse(true)) {
            assertTrue(System.nanoTime() < deadline, "the archive did not reach " + target + ": "
                    + h.proxy.mirror().status());
            Thread.sleep(20);
        }
    }
}
