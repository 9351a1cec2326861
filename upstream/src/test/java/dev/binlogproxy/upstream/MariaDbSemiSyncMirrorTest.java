package dev.binlogproxy.upstream;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real MariaDB 10.11 master with the proxy as its only semi-sync replica: the archive is byte-identical to the
 * master's binlogs (several files, a row event over 16 MB, XA, DDL) and the master counts every transaction as
 * acknowledged (Rpl_semi_sync_master_status stays ON, yes_tx = committed, no_tx = 0).
 */
class MariaDbSemiSyncMirrorTest {
    private static final int XA_PREPARES = 1;

    @TempDir
    Path dir;

    @Test
    void mirrorIsByteIdenticalAndAcksEveryTransaction() throws Exception {
        ServerOptions options = ServerOptions.mariadb().semiSyncMaster(true).maxAllowedPacket(64L << 20)
                .maxBinlogSize(1L << 20).extraFlag("--rpl-semi-sync-master-timeout=10000").build();
        try (DbServer master = DbServer.start(options);
             BinlogArchive archive = MirrorHarness.archive(dir.resolve("archive"), Durability.FSYNC)) {
            master.createReplicationUser(MirrorHarness.USER, MirrorHarness.PASSWORD);
            try (MirrorService mirror = MirrorService.start(MirrorHarness.settings(master, 9001, true), archive,
                    MirrorHarness.metrics())) {
                awaitSemiSyncClient(master);
                int committed = workload(master);
                String counters = master.query("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_%'").toString();
                assertEquals("ON", MirrorHarness.statusText(master, "Rpl_semi_sync_master_status"), counters);
                // every transaction was flagged and acknowledged
                assertEquals(committed, MirrorHarness.status(master, "Rpl_semi_sync_master_request_ack"), counters);
                assertEquals(committed, MirrorHarness.status(master, "Rpl_semi_sync_master_get_ack"), counters);
                // MariaDB 10.11 flags XA PREPARE and takes its ack but counts no wait for it (seen with the probe
                // in the closing note of the mirror issue): yes_tx counts the other transactions
                assertEquals(committed - XA_PREPARES, MirrorHarness.status(master, "Rpl_semi_sync_master_yes_tx"),
                        counters);
                assertEquals(0, MirrorHarness.status(master, "Rpl_semi_sync_master_no_tx"), counters);
                MirrorHarness.awaitCaughtUp(archive, master, mirror, Duration.ofSeconds(30));
                int files = MirrorHarness.assertByteIdentical(master, dir.resolve("archive"));
                assertTrue(files >= 3, "the workload should rotate: " + files + " files");
            }
        }
    }

    static void awaitSemiSyncClient(DbServer master) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            if (MirrorHarness.status(master, "Rpl_semi_sync_master_clients") == 1) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the proxy never registered as a semi-sync replica");
    }

    /** Returns the number of binlog transactions the clients committed. */
    static int workload(DbServer master) throws Exception {
        int n = 0;
        try (Connection c = master.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE m");
            st.execute("CREATE TABLE m.t (id INT PRIMARY KEY, v VARCHAR(100), b LONGBLOB)");
            n += 2;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO m.t VALUES (?, ?, ?)")) {
                for (int i = 0; i < 300; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, "row " + i);
                    ps.setBytes(3, i % 50 == 0 ? new byte[8000] : null);
                    ps.executeUpdate();
                    n++;
                    if (i == 150) {
                        st.execute("FLUSH BINARY LOGS");
                    }
                }
                st.execute("BEGIN");
                st.execute("UPDATE m.t SET v = 'updated' WHERE id < 100");
                st.execute("DELETE FROM m.t WHERE id >= 250");
                st.execute("COMMIT");
                n++;
                st.execute("XA START 'x1'");
                st.execute("INSERT INTO m.t (id, v) VALUES (1000, 'xa')");
                st.execute("XA END 'x1'");
                st.execute("XA PREPARE 'x1'");
                st.execute("XA COMMIT 'x1'");
                n += 2;
                // a row event larger than 16 MB: the dump splits it over several packets
                byte[] big = new byte[17 << 20];
                new java.util.Random(7).nextBytes(big);
                ps.setInt(1, 2000);
                ps.setString(2, "large");
                ps.setBytes(3, big);
                ps.executeUpdate();
                n++;
                st.execute("ALTER TABLE m.t ADD COLUMN extra INT");
                n++;
            }
        }
        return n;
    }
}
