package dev.binlogproxy.proxy;

import dev.binlogproxy.downstream.admin.RegisteredReplica;
import dev.binlogproxy.downstream.ServerSettings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import dev.binlogproxy.testkit.Workload;

/**
 * Real replica IO and SQL threads replicate through the proxy: a master of each flavor, the proxy mirroring it,
 * and a replica of the same flavor whose CHANGE MASTER points at the proxy, by file/position and by GTID. After a
 * varied workload (row changes, rollbacks, savepoints, MyISAM, XA, DDL, large rows, FLUSH BINARY LOGS) every table
 * has the master's CHECKSUM TABLE, Seconds_Behind_Master is back to 0 and no replication thread reported an error.
 */
class ReplicaThroughProxyTest {
    @TempDir
    Path dir;

    @Test
    void mariadbReplicaByFilePosition() throws Exception {
        replicate(ServerOptions.mariadb().maxBinlogSize(1 << 20).build(),
                ServerOptions.mariadb().build(), false, false);
    }

    @Test
    void mariadbReplicaByGtidSlavePosWithSemiSync() throws Exception {
        replicate(ServerOptions.mariadb().maxBinlogSize(1 << 20).build(),
                ServerOptions.mariadb().semiSyncSlave(true).build(), true, true);
    }

    /** Also caching_sha2_password's full path: the IO thread fetches the proxy's RSA key (GET_MASTER_PUBLIC_KEY=1). */
    @Test
    void mysqlReplicaByFilePosition() throws Exception {
        replicate(ServerOptions.mysql().gtid(true).maxBinlogSize(1 << 20).build(),
                ServerOptions.mysql().gtid(true).build(), false, false, true);
    }

    @Test
    void mysqlReplicaByAutoPosition() throws Exception {
        replicate(ServerOptions.mysql().gtid(true).maxBinlogSize(1 << 20).build(),
                ServerOptions.mysql().gtid(true).build(), true, false);
    }

    /** A row event over 16 MB crosses the proxy split into 16 MB - 1 byte packets, as a real master sends it. */
    @Test
    void mariadbReplicaGetsEventsOver16Mb() throws Exception {
        ServerOptions big = ServerOptions.mariadb().maxAllowedPacket(64L << 20).build();
        try (DbServer master = DbServer.start(big)) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            master.execute("CREATE DATABASE big", "CREATE TABLE big.t (id INT PRIMARY KEY, b LONGBLOB)");
            try (ServeHarness proxy = ServeHarness.start(master, dir, 9602, false);
                 DbServer replica = DbServer.start(big)) {
                replica.replicateFrom("127.0.0.1", proxy.port(), ServeHarness.REPL, ServeHarness.REPL_PW, false);
                try (Connection c = master.connect();
                     java.sql.PreparedStatement ps = c.prepareStatement("INSERT INTO big.t VALUES (?, ?)")) {
                    byte[] blob = new byte[20 << 20];
                    new java.util.SplittableRandom(5).nextBytes(blob);
                    for (int i = 1; i <= 2; i++) {
                        ps.setInt(1, i);
                        ps.setBytes(2, blob);
                        ps.executeUpdate();
                    }
                }
                proxy.awaitCaughtUp(Duration.ofSeconds(60));
                replica.waitForReplicaCaughtUp(master, Duration.ofSeconds(120));
                assertEquals(master.query("CHECKSUM TABLE big.t"), replica.query("CHECKSUM TABLE big.t"));
                assertEquals("0", replica.replicaStatus().get("Last_IO_Errno"));
            }
        }
    }

    private void replicate(ServerOptions masterOptions, ServerOptions replicaOptions, boolean useGtid,
                           boolean semiSync) throws Exception {
        replicate(masterOptions, replicaOptions, useGtid, semiSync, false);
    }

    private void replicate(ServerOptions masterOptions, ServerOptions replicaOptions, boolean useGtid,
                           boolean semiSync, boolean fullAuth) throws Exception {
        try (DbServer master = DbServer.start(masterOptions)) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            Workload workload = new Workload(master);
            workload.setUp();
            // a first part before the replica exists, a second one while it streams live
            workload.run(3, 60, 11);
            ServerSettings settings = new ServerSettings("127.0.0.1", 0, null, null, semiSync, ServeHarness.users(),
                    null, null, false, fullAuth);
            try (ServeHarness proxy = ServeHarness.start(master, dir, 9601, semiSync, settings);
                 DbServer replica = DbServer.start(replicaOptions)) {
                replica.replicateFrom("127.0.0.1", proxy.port(), ServeHarness.REPL, ServeHarness.REPL_PW, useGtid);
                workload.run(3, 60, 12);
                proxy.awaitCaughtUp(Duration.ofSeconds(60));
                replica.waitForReplicaCaughtUp(master, Duration.ofSeconds(120));

                for (String table : Workload.TABLES) {
                    assertEquals(master.query("CHECKSUM TABLE " + table), replica.query("CHECKSUM TABLE " + table),
                            table);
                }
                Map<String, String> status = replica.replicaStatus();
                assertEquals("Yes", status.get("Slave_IO_Running"), status.toString());
                assertEquals("Yes", status.get("Slave_SQL_Running"), status.toString());
                assertEquals("0", status.get("Last_IO_Errno"), status.toString());
                assertEquals("0", status.get("Last_SQL_Errno"), status.toString());
                assertEquals(String.valueOf(master.serverId()), status.get("Master_Server_Id"), status.toString());
                awaitZeroLag(replica);
                if (useGtid && replicaOptions.flavor() == dev.binlogproxy.testkit.Flavor.MARIADB) {
                    assertEquals("Slave_Pos", status.get("Using_Gtid"), status.toString());
                }
                if (useGtid && replicaOptions.flavor() == dev.binlogproxy.testkit.Flavor.MYSQL) {
                    assertEquals("1", status.get("Auto_Position"), status.toString());
                }
                // the replica registered: SHOW SLAVE HOSTS on the proxy lists it
                List<RegisteredReplica> registered = proxy.server.replicas();
                assertTrue(registered.stream().anyMatch(r -> r.serverId() == replica.serverId()),
                        registered.toString());
                try (Connection c = proxy.connect(ServeHarness.REPL, ServeHarness.REPL_PW);
                     Statement st = c.createStatement()) {
                    for (String show : List.of("SHOW SLAVE HOSTS", "SHOW REPLICAS")) {
                        try (ResultSet rs = st.executeQuery(show)) {
                            assertTrue(rs.next(), show);
                            assertEquals(String.valueOf(replica.serverId()), rs.getString(1), show);
                            assertEquals(String.valueOf(master.serverId()), rs.getString(4), show);
                        }
                    }
                }
                if (semiSync) {
                    assertEquals("ON", replica.globalStatus("Rpl_semi_sync_slave_status"));
                    assertTrue(proxy.server.acksReceived() > 0, "the semi-sync replica acknowledged nothing");
                }
            }
        }
    }

    private static void awaitZeroLag(DbServer replica) throws InterruptedException {
        String lag = null;
        for (int i = 0; i < 300; i++) {
            lag = replica.replicaStatus().get("Seconds_Behind_Master");
            if ("0".equals(lag)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("Seconds_Behind_Master stayed " + lag);
    }
}
