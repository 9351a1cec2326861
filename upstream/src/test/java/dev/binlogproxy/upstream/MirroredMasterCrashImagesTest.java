package dev.binlogproxy.upstream;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.CrashImageCheck;
import dev.binlogproxy.archive.CrashImageRun;
import dev.binlogproxy.archive.CrashLog;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.archive.RecordingFileLayer;
import dev.binlogproxy.archive.RetentionPolicy;
import dev.binlogproxy.archive.UpstreamIdentity;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.MariaGtidEvent;
import dev.binlogproxy.binlog.file.BinlogFileReader;
import dev.binlogproxy.binlog.file.FileEvent;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.testkit.BinaryLog;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crash images (docs/architecture.md, "Crash images") of an archive written by the real mirror of a real MariaDB
 * 10.11 master, semi-synchronously, in fsync mode: rotations (a small max_binlog_size and FLUSH BINARY LOGS), a
 * 17 MB row event (split over dump packets), retention deleting the oldest files while the mirror runs, and an
 * adopt of a second MariaDB master (the mirror paused, the new master flushed past the archive's last file, the
 * archive's next epoch, the mirror repointed). Every commit that returned to the client was acknowledged by the
 * proxy (the master's semi-sync timeout is long, and no transaction went unacknowledged: checked), so each is
 * logged as acknowledged when it returns, by GTID, and placed after the run from the masters' own files (the
 * archive's are byte-identical).
 *
 * <p>Here rather than in binlog-store because the recorder must sit under the real mirror, which lives in this
 * module; the recorder and the checks come from binlog-store's test-jar.
 */
class MirroredMasterCrashImagesTest {
    private static final long SEED = Long.getLong("crash.images.seed", 10_11L);
    private static final int IMAGES = 500;

    @TempDir
    Path dir;

    @Test
    void everyImageOfARealMirroredMasterKeepsEveryAcknowledgedTransaction() throws Exception {
        sweep(IMAGES, SEED);
    }

    /** {@code mvn verify -pl upstream -am -DexcludedGroups= -Dgroups=soak -Dtest=MirroredMaster*}. */
    @Test
    @Tag("soak")
    void manyMoreImages() throws Exception {
        sweep(Integer.getInteger("crash.images.count", 10_000), Long.getLong("crash.images.seed", System.nanoTime()));
    }

    private void sweep(int count, long seed) throws Exception {
        long start = System.nanoTime();
        CrashLog log = record();
        CrashImageCheck.Tally tally = CrashImageRun.run(log, Durability.FSYNC, seed, count, 0.2, 2,
                dir.resolve("images"));
        // The adopt is a few ops of about 1,300: a random sample of 500 missed it about one run in twelve (its
        // images were 0.5% of a 5,000-image soak). Images aimed inside it, besides.
        List<CrashLog.Op> ops = log.ops();
        int adopting = ops.indexOf(new CrashLog.Note(CrashImageCheck.ADOPTING));
        int adopted = ops.indexOf(new CrashLog.Note(CrashImageCheck.ADOPTED));
        assertTrue(adopting >= 0 && adopted > adopting, "the run adopts a second master: " + log.summary());
        List<Integer> inside = new ArrayList<>();
        for (int i = adopting + 1; i <= adopted; i++) {
            inside.add(i);
        }
        CrashImageRun.runAt(log, Durability.FSYNC, seed, inside, 2 * inside.size(), count, 0.2,
                dir.resolve("adopt-images"), tally);
        System.out.printf("crash images MIRRORED_MARIADB FSYNC seed %d: %s; log %s; %.1f s%n", seed, tally,
                log.summary(), (System.nanoTime() - start) / 1e9);
        assertTrue(tally.failures.isEmpty(), () -> "seed " + seed + ": " + tally.failures.size() + " of " + count
                + " images fail, first ones:\n"
                + String.join("\n", tally.failures.subList(0, Math.min(10, tally.failures.size()))));
        assertTrue(tally.acksChecked.get() > 0, tally::toString);
        assertTrue(tally.adoptsPresent.get() + tally.adoptsAbsent.get() > 0, "images cut during the adopt: " + tally);
    }

    private CrashLog record() throws Exception {
        ServerOptions.Builder options = ServerOptions.mariadb().semiSyncMaster(true).maxAllowedPacket(64L << 20)
                .maxBinlogSize(256L << 10).extraFlag("--rpl-semi-sync-master-timeout=60000");
        RecordingFileLayer layer = new RecordingFileLayer(dir.resolve("archive"));
        Map<String, BinlogPosition> ends = new HashMap<>();
        try (DbServer first = DbServer.start(options.serverId(101).build());
             DbServer second = DbServer.start(options.serverId(102).build());
             BinlogArchive archive = layer.openArchive(Durability.FSYNC)) {
            first.createReplicationUser(MirrorHarness.USER, MirrorHarness.PASSWORD);
            second.createReplicationUser(MirrorHarness.USER, MirrorHarness.PASSWORD);
            try (MirrorService mirror = MirrorService.start(MirrorHarness.settings(first, 9001, true), archive,
                    MirrorHarness.metrics())) {
                MariaDbSemiSyncMirrorTest.awaitSemiSyncClient(first);
                layer.note(CrashImageCheck.IDENTITY_RECORDED); // the mirror checks it before its dump starts
                try (Connection c = first.connect(); Statement st = c.createStatement()) {
                    commit(layer, c, "CREATE DATABASE m");
                    commit(layer, c, "CREATE TABLE m.t (id INT PRIMARY KEY, v VARCHAR(100), b LONGBLOB)");
                    inserts(layer, c, "m", 0, 120, 3000);
                    layer.snapshotIndex();
                    st.execute("FLUSH BINARY LOGS");
                    inserts(layer, c, "m", 150, 30, 3000);
                    insertBig(layer, c, "m", 5000); // past max_binlog_size: the master rotates after it
                    inserts(layer, c, "m", 200, 60, 3000);
                    st.execute("FLUSH BINARY LOGS");
                    inserts(layer, c, "m", 300, 30, 3000);
                    MirrorHarness.awaitCaughtUp(archive, first, mirror, Duration.ofSeconds(60));
                    layer.snapshotIndex();
                    List<String> purged = archive.purge(RetentionPolicy.keepAll().withMaxFiles(2));
                    assertTrue(purged.size() >= 2, "retention deletes the oldest files: " + purged);
                    layer.note("purged");
                    inserts(layer, c, "m", 400, 60, 3000);
                }
                MirrorHarness.awaitCaughtUp(archive, first, mirror, Duration.ofSeconds(60));
                layer.snapshotIndex();
                assertEquals(0, MirrorHarness.status(first, "Rpl_semi_sync_master_no_tx"),
                        "every commit was acknowledged by the proxy");

                // the failover's archive steps: pause, the new master's numbering above the archive's, adopt
                mirror.pause(Duration.ofSeconds(10));
                String last = archive.files().get(archive.files().size() - 1).name();
                String firstFile = second.masterStatus().file();
                while (BinlogPosition.compareFiles(firstFile, last) <= 0) {
                    second.flushBinaryLogs();
                    firstFile = second.masterStatus().file();
                }
                layer.note(CrashImageCheck.ADOPTING);
                archive.adopt(UpstreamIdentity.mariadb(second.serverId(), "mysql-bin"), firstFile);
                layer.note(CrashImageCheck.ADOPTED);
                layer.snapshotIndex();
                mirror.repoint(MirrorHarness.settings(second, 9001, true));
                mirror.resume();
                MariaDbSemiSyncMirrorTest.awaitSemiSyncClient(second);
                try (Connection c = second.connect(); Statement st = c.createStatement()) {
                    commit(layer, c, "CREATE DATABASE n");
                    commit(layer, c, "CREATE TABLE n.t (id INT PRIMARY KEY, v VARCHAR(100), b LONGBLOB)");
                    inserts(layer, c, "n", 0, 80, 2000);
                    st.execute("FLUSH BINARY LOGS");
                    inserts(layer, c, "n", 100, 40, 2000);
                }
                MirrorHarness.awaitCaughtUp(archive, second, mirror, Duration.ofSeconds(60));
                assertEquals(0, MirrorHarness.status(second, "Rpl_semi_sync_master_no_tx"));
            }
            layer.snapshotIndex();
            ends.putAll(transactionEnds(first));
            ends.putAll(transactionEnds(second));
        }
        CrashLog log = layer.log();
        log.resolveGtidAcks(g -> {
            BinlogPosition end = ends.get(g);
            return end == null ? null : new CrashLog.Ack(end.file(), end.offset(), false);
        });
        return log;
    }

    /** A single-row insert per transaction, every fifth with a blob, each logged as acknowledged once it returns. */
    private static void inserts(RecordingFileLayer layer, Connection c, String db, int from, int count, int blob)
            throws Exception {
        Random r = new Random(from);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + db + ".t VALUES (?, ?, ?)")) {
            for (int i = from; i < from + count; i++) {
                ps.setInt(1, i);
                ps.setString(2, "row " + i);
                byte[] b = new byte[r.nextInt(blob)];
                r.nextBytes(b);
                ps.setBytes(3, i % 5 == 0 ? b : null);
                ps.executeUpdate();
                acked(layer, c);
            }
        }
    }

    /** A row event over 16 MB: the dump sends it in several packets, the archive writes it straight to the file. */
    private static void insertBig(RecordingFileLayer layer, Connection c, String db, int id) throws Exception {
        byte[] big = new byte[17 << 20];
        new Random(17).nextBytes(big);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + db + ".t VALUES (?, ?, ?)")) {
            ps.setInt(1, id);
            ps.setString(2, "17 MB");
            ps.setBytes(3, big);
            ps.executeUpdate();
        }
        acked(layer, c);
    }

    private static void commit(RecordingFileLayer layer, Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
        acked(layer, c);
    }

    /** The commit returned: the master had the proxy's ack for it. Its GTID says which transaction it was. */
    private static void acked(RecordingFileLayer layer, Connection c) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT @@last_gtid")) {
            rs.next();
            layer.ackedGtid(rs.getString(1));
        }
    }

    /** Every transaction's GTID (domain-server-seq) and where it ends, from the master's own binlog files. */
    private static Map<String, BinlogPosition> transactionEnds(DbServer master) throws Exception {
        Map<String, BinlogPosition> out = new HashMap<>();
        List<BinaryLog> logs = master.showBinaryLogs();
        for (BinaryLog l : logs) {
            try (BinlogFileReader r = BinlogFileReader.open(master.binlogFile(l.name()))) {
                String open = null;
                for (FileEvent fe = r.next(); fe != null; fe = r.next()) {
                    if (fe.event().type() == EventType.MARIA_GTID) {
                        MariaGtidEvent g = MariaGtidEvent.decode(fe.event(), r.checksum());
                        open = g.domainId() + "-" + fe.event().serverId() + "-" + g.seqNo();
                    }
                    if (open != null && fe.role().isBoundaryAfter()) {
                        out.put(open, new BinlogPosition(l.name(), fe.endOffset()));
                        open = null;
                    }
                }
            }
        }
        return out;
    }
}
