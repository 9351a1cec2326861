package dev.binlogproxy.upstream;

import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.testkit.BinaryLog;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.Flavor;
import dev.binlogproxy.testkit.ServerOptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * upstream.start.gtid on an empty archive, against a real master of each flavor with three binlog files: the
 * mirror starts at position 4 of the first file holding a transaction after the given GTIDs, keeps whole
 * byte-identical files from there, and refuses to start when the master purged transactions after the GTIDs.
 */
class GtidStartTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void startsAtTheFirstFileHoldingATransactionAfterTheGtids(Flavor flavor) throws Exception {
        ServerOptions options = flavor == Flavor.MYSQL ? ServerOptions.mysql().gtid(true).build()
                : ServerOptions.mariadb().build();
        try (DbServer master = DbServer.start(options)) {
            master.createReplicationUser(MirrorHarness.USER, MirrorHarness.PASSWORD);
            master.execute("CREATE DATABASE g", "CREATE TABLE g.t (id INT PRIMARY KEY)");
            String afterTable = executed(master);
            inserts(master, 0, 5);
            String endOfFirst = executed(master);
            master.execute("FLUSH BINARY LOGS");
            inserts(master, 10, 2);
            String midSecond = executed(master);
            inserts(master, 12, 3);
            master.execute("FLUSH BINARY LOGS");
            inserts(master, 20, 5);
            String all = executed(master);
            List<BinaryLog> logs = master.showBinaryLogs();
            assertEquals(3, logs.size(), logs.toString());

            assertEquals(logs.get(1).name(), mirrorFrom(master, midSecond, "mid"), "inside the second file");
            assertEquals(logs.get(1).name(), mirrorFrom(master, endOfFirst, "end1"), "all of the first file");
            assertEquals(logs.get(2).name(), mirrorFrom(master, all, "all"), "everything: the newest file");

            // the archives are whole files, byte-identical to the master's, once the master keeps only those
            master.execute("PURGE BINARY LOGS TO '" + logs.get(1).name() + "'");
            MirrorHarness.assertByteIdentical(master, dir.resolve("mid"));
            MirrorHarness.assertByteIdentical(master, dir.resolve("end1"));

            // transactions after afterTable are gone with the first file: no start without a gap
            try (BinlogArchive archive = BinlogArchive.open(dir.resolve("gap"), Durability.FSYNC);
                 MirrorService mirror = MirrorService.start(
                         MirrorHarness.settings(master, 9601, false).withStartGtid(afterTable), archive,
                         MirrorHarness.metrics())) {
                assertTrue(mirror.awaitFinished(Duration.ofSeconds(30)), mirror.status());
                assertEquals(MirrorService.State.FAILED, mirror.state(), mirror.status());
                assertTrue(mirror.failure().orElseThrow().contains("purged"), mirror.status());
                assertTrue(archive.files().isEmpty(), archive.files().toString());
            }
        }
    }

    /** Mirrors into a fresh archive with start.gtid and returns the archive's oldest file. */
    private String mirrorFrom(DbServer master, String gtid, String name) throws Exception {
        try (BinlogArchive archive = BinlogArchive.open(dir.resolve(name), Durability.FSYNC);
             MirrorService mirror = MirrorService.start(MirrorHarness.settings(master, 9600, false)
                     .withStartGtid(gtid), archive, MirrorHarness.metrics())) {
            MirrorHarness.awaitCaughtUp(archive, master, mirror, Duration.ofSeconds(30));
            List<ArchivedFile> files = archive.files();
            return files.get(0).name();
        }
    }

    private static void inserts(DbServer master, int from, int n) {
        for (int i = from; i < from + n; i++) {
            master.execute("INSERT INTO g.t VALUES (" + i + ")");
        }
    }

    /** What the master has executed, as start.gtid takes it: MySQL's GTID set, MariaDB's binlog GTID position. */
    private static String executed(DbServer master) {
        return master.flavor() == Flavor.MYSQL
                ? master.queryValue("SELECT @@GLOBAL.gtid_executed").replace("\n", "")
                : master.queryValue("SELECT @@GLOBAL.gtid_binlog_pos");
    }
}
