package dev.binlogproxy.proxy.cli;

import dev.binlogproxy.archive.ArchiveExport;
import dev.binlogproxy.archive.ArchiveExport.Start;
import dev.binlogproxy.archive.ArchiveExport.Stop;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.upstream.MirrorHarness;
import dev.binlogproxy.upstream.MirrorService;
import dev.binlogproxy.testkit.Flavor;
import dev.binlogproxy.testkit.ServerOptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Point-in-time recovery from an archive mirrored from a real master: a range is exported, {@code mariadb-binlog}
 * turns the export into SQL, the {@code mariadb} client applies it to a fresh server holding the start point's
 * data, and every table then has the master's CHECKSUM TABLE at the stop point. Three ranges per flavor: start
 * position to stop time, start GTID to stop GTID, start time to stop GTID (the last through the CLI). The workload
 * rotates (FLUSH and size), so ranges span files and the last exported file is cut.
 */
class ExportPitrTest {
    private static final String[] TABLES = {"k.t", "k.u"};

    /**
     * mariadb-binlog decodes MySQL 8.0.15's binlogs, but the first SET of its output names two session variables
     * MySQL does not have; everything else it prints for this workload MySQL applies as it is.
     */
    private static final String MYSQL_FILTER =
            " | sed -E 's/, @@session\\.(check_constraint_checks|system_versioning_insert_history)=[0-9]+//g'";

    @TempDir
    Path dir;

    /** What phase 1 leaves: replayed on the restore server as the "backup" taken at the start point. */
    private static final String[] PHASE1 = {
            "CREATE DATABASE k",
            "CREATE TABLE k.t (id INT PRIMARY KEY, v VARCHAR(100), n BIGINT)",
            "INSERT INTO k.t VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3)",
    };

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void exportedRangeRestoresTheMastersStateAtTheStopPoint(Flavor flavor) throws Exception {
        ServerOptions options = flavor == Flavor.MYSQL
                ? ServerOptions.mysql().gtid(true).maxBinlogSize(64 * 1024).build()
                : ServerOptions.mariadb().maxBinlogSize(64 * 1024).build();
        Path archiveDir = dir.resolve("archive");
        try (DbServer master = DbServer.start(options);
             BinlogArchive archive = BinlogArchive.open(archiveDir, Durability.FSYNC)) {
            master.createReplicationUser(MirrorHarness.USER, MirrorHarness.PASSWORD);
            BinlogPosition startPos;
            String startGtid;
            Instant startTime;
            String stopGtid;
            List<String> atStop;
            Instant stopTime;
            try (MirrorService mirror = MirrorService.start(MirrorHarness.settings(master, 9400, false), archive,
                    MirrorHarness.metrics())) {
                master.execute(PHASE1);
                startPos = MirrorHarness.masterEnd(master);
                startGtid = lastGtid(master);
                startTime = nextSecond();

                phase(master, 0); // phase 2: the range
                stopGtid = lastGtid(master);
                atStop = checksums(master);
                stopTime = nextSecond();

                phase(master, 1000); // phase 3: after the stop point, must not be replayed
                assertNotEquals(atStop, checksums(master), "phase 3 must change the tables");
                MirrorHarness.awaitCaughtUp(archive, master, mirror, Duration.ofSeconds(60));
            }
            assertTrue(archive.files().size() >= 4, "the workload should rotate: " + archive.files());

            // mariadb-binlog does not turn MySQL GTID events into SET GTID_NEXT, and MySQL then applies the
            // events as anonymous transactions, which gtid_mode=ON refuses: the MySQL restore target runs without
            try (DbServer restore = DbServer.start(flavor == Flavor.MYSQL ? ServerOptions.mysql().gtid(false).build()
                    : ServerOptions.mariadb().build())) {
                ArchiveExport.Result byPosition = ArchiveExport.export(archiveDir, new Start.At(startPos),
                        new Stop.BeforeTime(stopTime), dir.resolve("out-pos"));
                assertTrue(byPosition.files().size() >= 2, "the range should span files: " + byPosition);
                assertTrue(byPosition.files().get(byPosition.files().size() - 1).cut(), byPosition.toString());
                assertPrefixes(archiveDir, dir.resolve("out-pos"), byPosition);
                restoreAndCompare(restore, dir.resolve("out-pos"), byPosition, atStop, "start position, stop time");

                ArchiveExport.Result byGtid = ArchiveExport.export(archiveDir,
                        new Start.AfterGtid(ArchiveExport.parseGtid(startGtid)),
                        new Stop.AfterGtid(ArchiveExport.parseGtid(stopGtid)), dir.resolve("out-gtid"));
                assertEquals(startPos, byGtid.startPosition(), "the transaction after the start GTID");
                restoreAndCompare(restore, dir.resolve("out-gtid"), byGtid, atStop, "start GTID, stop GTID");

                Path cliOut = dir.resolve("out-cli");
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                PrintStream saved = System.out;
                int exit;
                System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
                try {
                    exit = BinlogProxyCli.run("export", "--archive", archiveDir.toString(), "--out", cliOut.toString(),
                            "--start-datetime", startTime.toString(), "--stop-gtid", stopGtid);
                } finally {
                    System.setOut(saved);
                }
                String printed = buf.toString(StandardCharsets.UTF_8);
                assertEquals(0, exit, printed);
                assertTrue(printed.contains("replay: mariadb-binlog --start-position=" + startPos.offset()), printed);
                assertTrue(printed.contains("range " + startPos + " .. " + byGtid.end()), printed);
                restoreAndCompare(restore, cliOut, byGtid, atStop, "CLI: start time, stop GTID");

                // ranges that cannot be exported say why, and write nothing
                String unknown = flavor == Flavor.MYSQL ? stopGtid.substring(0, 37) + "999999" : "0-1-999999";
                ArchiveExport.ExportException notFound = assertThrows(ArchiveExport.ExportException.class,
                        () -> ArchiveExport.export(archiveDir, new Start.At(startPos),
                                new Stop.AfterGtid(ArchiveExport.parseGtid(unknown)), dir.resolve("out-bad1")));
                assertTrue(notFound.getMessage().startsWith("stop GTID " + unknown + " not found after the start"),
                        notFound.getMessage());
                ArchiveExport.ExportException midEvent = assertThrows(ArchiveExport.ExportException.class,
                        () -> ArchiveExport.export(archiveDir, new Start.At(startPos.withOffset(startPos.offset() + 1)),
                                new Stop.End(), dir.resolve("out-bad2")));
                assertTrue(midEvent.getMessage().contains("is not the start of an event"), midEvent.getMessage());
                assertTrue(Files.notExists(dir.resolve("out-bad1")) && Files.notExists(dir.resolve("out-bad2")));
            }
        }
    }

    /** Lets the clock pass a whole second, so that what follows is timestamped at or after the returned time. */
    private static Instant nextSecond() throws InterruptedException {
        Instant boundary = Instant.ofEpochSecond(Instant.now().getEpochSecond() + 1);
        Thread.sleep(Duration.between(Instant.now(), boundary).toMillis() + 150);
        return boundary;
    }

    /** Small transactions, a multi-statement one, DDL, a second table, deletes, a FLUSH and size rotation. */
    private static void phase(DbServer master, int base) throws Exception {
        try (Connection c = master.connect(); Statement st = c.createStatement()) {
            if (base == 0) {
                st.execute("CREATE TABLE k.u (id INT PRIMARY KEY, payload VARCHAR(1000))");
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO k.t (id, v, n) VALUES (?, ?, ?)");
                 PreparedStatement pu = c.prepareStatement("INSERT INTO k.u VALUES (?, REPEAT(?, 900))")) {
                for (int i = 0; i < 150; i++) {
                    ps.setInt(1, base + 10 + i);
                    ps.setString(2, "row " + (base + i));
                    ps.setLong(3, (long) i * i);
                    ps.executeUpdate();
                    pu.setInt(1, base + i);
                    pu.setString(2, Character.toString('a' + i % 26));
                    pu.executeUpdate();
                    if (i == 70) {
                        st.execute("FLUSH BINARY LOGS");
                    }
                }
            }
            st.execute("BEGIN");
            st.execute("UPDATE k.t SET n = n + 7 WHERE id % 3 = 0");
            st.execute("DELETE FROM k.u WHERE id % 5 = 0");
            st.execute("COMMIT");
            if (base == 0) {
                st.execute("ALTER TABLE k.t ADD COLUMN extra VARCHAR(20) DEFAULT 'x'");
            }
            st.execute("UPDATE k.t SET extra = CONCAT('e', id) WHERE id > " + (base + 100));
        }
    }

    private static String lastGtid(DbServer master) {
        if (master.flavor() == Flavor.MARIADB) {
            return master.queryValue("SELECT @@GLOBAL.gtid_binlog_pos"); // one domain, one server: d-s-n
        }
        String executed = master.queryValue("SELECT @@GLOBAL.gtid_executed").replace("\n", "");
        assertTrue(executed.matches("[0-9a-f-]{36}:1-[0-9]+"), executed); // one source, no gaps
        return executed.substring(0, 37) + executed.substring(executed.lastIndexOf('-') + 1);
    }

    private static List<String> checksums(DbServer server) {
        List<String> out = new ArrayList<>();
        for (String t : TABLES) {
            out.add(t + "=" + server.query("CHECKSUM TABLE " + t).get(0).get(1));
        }
        return out;
    }

    /** Each exported file is the archived file's first bytes. */
    private static void assertPrefixes(Path archiveDir, Path out, ArchiveExport.Result r) throws Exception {
        for (ArchiveExport.ExportedFile f : r.files()) {
            byte[] archived = Files.readAllBytes(archiveDir.resolve(f.name()));
            byte[] exported = Files.readAllBytes(out.resolve(f.name()));
            assertEquals(f.length(), exported.length, f.name());
            assertArrayEquals(Arrays.copyOf(archived, exported.length), exported, f.name());
        }
    }

    /**
     * Resets the restore server to the start point (phase 1 replayed), pipes mariadb-binlog's output of the export
     * into the mariadb client, and compares checksums.
     */
    private void restoreAndCompare(DbServer restore, Path out, ArchiveExport.Result r, List<String> expected,
                                   String what) throws Exception {
        restore.execute("DROP DATABASE IF EXISTS k", "RESET MASTER");
        restore.execute(PHASE1);
        List<String> files = new ArrayList<>();
        for (ArchiveExport.ExportedFile f : r.files()) {
            files.add("'" + out.resolve(f.name()) + "'");
        }
        Path log = dir.resolve("replay-" + out.getFileName() + ".log");
        String pipeline = "set -o pipefail; mariadb-binlog --start-position=" + r.startPosition().offset() + " "
                + String.join(" ", files) + (restore.flavor() == Flavor.MYSQL ? MYSQL_FILTER : "")
                + " | mariadb --protocol=TCP --host=127.0.0.1 --port=" + restore.port()
                + " --user=root --skip-ssl";
        Process p = new ProcessBuilder("bash", "-c", pipeline).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        int exit = p.waitFor();
        String output = Files.readString(log);
        assertEquals(0, exit, what + ": " + pipeline + "\n" + output);
        assertEquals(expected, checksums(restore), what + ": restored tables differ from the master's at the stop"
                + " point\n" + output);
    }
}
