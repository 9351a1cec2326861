package dev.binlogproxy.proxy;

import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.Flavor;
import dev.binlogproxy.testkit.ServerOptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Point-in-time recovery as DBAs run it, on real servers of both flavors, through the proxy's archive: a logical
 * backup (mariadb-dump with its binlog coordinates) at T0; writes go on (DDL, a row event over 16 MB, rotations);
 * a mistake at T1 (MariaDB: DROP TABLE; MySQL: an UPDATE without WHERE); more writes. {@code binlog-proxy find}
 * says where T1 and the mistake's GTID are. The backup is restored into a fresh server and the archive applied from
 * the backup's coordinates to just before the mistake, three ways: {@code export | mariadb-binlog | mariadb}, and
 * {@code mariadb-binlog --read-from-remote-server} pointed at the proxy with {@code --stop-position} (every file of
 * the range named: the tool applies the position to the last file only) and with {@code --stop-datetime}. Each time
 * the restored tables' CHECKSUM TABLE equals the master's taken just before T1, and the range spans several files.
 *
 * <p>The MySQL 8.0.15 tarball the test kit uses holds only mysqld, so MySQL is restored with MariaDB's tools
 * (mariadb-dump, mariadb-binlog), filtered and into a server with gtid_mode=OFF as docs/operations.md says.
 */
class PitrRestoreTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void backupPlusArchiveUpToTheMistakeEqualsTheMasterJustBeforeIt(Flavor flavor) throws Exception {
        ServerOptions.Builder options = flavor == Flavor.MYSQL ? ServerOptions.mysql().gtid(true)
                : ServerOptions.mariadb();
        try (DbServer master = DbServer.start(options.maxBinlogSize(256 << 10).maxAllowedPacket(256L << 20).build())) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            try (ServeHarness proxy = ServeHarness.start(master, dir, 9500, false)) {
                Pitr.seed(master);
                Pitr.Backup backup = Pitr.dump(master, dir);
                Pitr.changes(master, 0);
                List<String> beforeMistake = Pitr.checksums(master);
                Instant t1 = Pitr.nextSecond();
                if (flavor == Flavor.MARIADB) {
                    master.execute("DROP TABLE shop.orders");
                } else {
                    master.execute("UPDATE shop.customers SET credit = 0");
                }
                String mistake = Pitr.lastGtid(master);
                Pitr.laterWrites(master);
                proxy.awaitCaughtUp(Duration.ofSeconds(60));
                Path archive = dir.resolve("archive");

                // where is the mistake? by GTID and by time, the same transaction
                String byGtid = Pitr.cli("find", "--archive", archive.toString(), "--gtid", mistake);
                BinlogPosition stop = Pitr.positionAfter(byGtid, "transaction:");
                String byTime = Pitr.cli("find", "--archive", archive.toString(), "--datetime", t1.toString());
                assertEquals(stop, Pitr.positionAfter(byTime, "position:"), byTime);
                assertEquals(stop, Pitr.positionAfter(byTime, "after:"), byTime);
                assertTrue(byGtid.contains("replay up to it: --stop-position=" + stop.offset() + " with "
                        + stop.file()), byGtid);
                List<String> range = proxy.archive.files().stream().map(ArchivedFile::name)
                        .filter(f -> f.compareTo(backup.coordinates().file()) >= 0 && f.compareTo(stop.file()) <= 0)
                        .toList();
                assertTrue(range.size() >= 3, "the range should span several files: " + range);

                ServerOptions restoreOptions = (flavor == Flavor.MYSQL ? ServerOptions.mysql().gtid(false)
                        : ServerOptions.mariadb()).maxAllowedPacket(256L << 20).build();
                try (DbServer restore = DbServer.start(restoreOptions)) {
                    // 1. export the range (files cut before T1), replay it locally
                    Pitr.restoreBackup(restore, backup, dir);
                    assertNotEquals(beforeMistake.get(1), "shop.orders="
                            + restore.query("CHECKSUM TABLE shop.orders").get(0).get(1), "the backup alone");
                    Path out = dir.resolve("export");
                    String exported = Pitr.cli("export", "--archive", archive.toString(), "--out", out.toString(),
                            "--start-file", backup.coordinates().file(), "--start-position",
                            String.valueOf(backup.coordinates().offset()), "--stop-datetime", t1.toString());
                    assertTrue(exported.contains(".. " + stop + ":"), exported);
                    Pitr.apply(restore, "mariadb-binlog --start-position=" + backup.coordinates().offset() + " "
                            + Pitr.files(range, out), dir, "export-replay");
                    assertEquals(beforeMistake, Pitr.checksums(restore), "export | mariadb-binlog | mariadb");

                    if (flavor == Flavor.MYSQL) {
                        // mariadb-binlog reads MySQL binlog files, but refuses a MySQL 8 server as a remote master
                        // (the real one as the proxy): remote PITR of MySQL needs MySQL's own mysqlbinlog, not here
                        String refusal = "Master reported unrecognized MariaDB version '8.0.15'";
                        for (int port : new int[] {master.port(), proxy.port()}) {
                            Process p = new ProcessBuilder("bash", "-c", Pitr.remote(port) + " " + range.get(0))
                                    .redirectErrorStream(true).start();
                            String said = new String(p.getInputStream().readAllBytes());
                            assertTrue(p.waitFor() != 0 && said.contains(refusal), port + ": " + said);
                        }
                        return;
                    }
                    // 2. from the proxy, stop position: the tool applies it to the last file named, so name them all
                    Pitr.restoreBackup(restore, backup, dir);
                    Pitr.apply(restore, Pitr.remote(proxy.port()) + " --start-position="
                            + backup.coordinates().offset() + " --stop-position=" + stop.offset() + " "
                            + Pitr.files(range, null), dir, "remote-stop-position");
                    assertEquals(beforeMistake, Pitr.checksums(restore), "mariadb-binlog -R --stop-position");

                    // 3. from the proxy, stop time: through every file to the newest, stopping at T1
                    Pitr.restoreBackup(restore, backup, dir);
                    Pitr.apply(restore, Pitr.remote(proxy.port()) + " --to-last-log --start-position="
                            + backup.coordinates().offset() + " --stop-datetime='" + Pitr.toolsTime(t1) + "' "
                            + backup.coordinates().file(), dir, "remote-stop-datetime");
                    assertEquals(beforeMistake, Pitr.checksums(restore), "mariadb-binlog -R --stop-datetime");
                }
            }
        }
    }
}
