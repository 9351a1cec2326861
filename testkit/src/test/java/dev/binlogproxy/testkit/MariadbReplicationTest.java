package dev.binlogproxy.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** MariaDB to MariaDB with slave_pos GTIDs and semi-sync, through the JUnit extension. */
class MariadbReplicationTest {

    @RegisterExtension
    static final RealServer master = RealServer.mariadb().semiSyncMaster(true).build();

    @RegisterExtension
    static final RealServer replica = RealServer.mariadb().semiSyncSlave(true).build();

    @Test
    void rowWrittenOnMasterAppearsOnReplicaWithSemiSyncAck() throws InterruptedException {
        DbServer m = master.server();
        DbServer r = replica.server();
        assertNotEquals(m.port(), r.port());
        m.createReplicationUser("repl", "pw");
        r.replicateFrom(m, "repl", "pw", true);
        Map<String, String> status = r.replicaStatus();
        assertEquals("Slave_Pos", status.get("Using_Gtid"));
        // Writes before the replica's semi-sync handshake would wait out rpl_semi_sync_master_timeout (10 s).
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!"1".equals(status(m, "Rpl_semi_sync_master_clients"))) {
            assertTrue(System.nanoTime() < deadline, "semi-sync replica never connected: " + r.replicaStatus());
            Thread.sleep(20);
        }

        m.execute("CREATE DATABASE shop", "CREATE TABLE shop.orders (id INT PRIMARY KEY)",
                "INSERT INTO shop.orders VALUES (7)");
        r.waitForReplicaCaughtUp(m, Duration.ofSeconds(30));

        assertEquals(List.of(List.of("7")), r.query("SELECT id FROM shop.orders"));
        assertEquals(m.queryValue("SELECT @@gtid_binlog_pos"), r.queryValue("SELECT @@gtid_slave_pos"));
        // The INSERT waited for the replica's ack instead of timing out into asynchronous mode.
        assertEquals("ON", status(m, "Rpl_semi_sync_master_status"));
        assertTrue(Long.parseLong(status(m, "Rpl_semi_sync_master_yes_tx")) >= 1);
        assertEquals("0", status(m, "Rpl_semi_sync_master_no_tx"));
    }

    private static String status(DbServer server, String variable) {
        return server.globalStatus(variable);
    }
}
