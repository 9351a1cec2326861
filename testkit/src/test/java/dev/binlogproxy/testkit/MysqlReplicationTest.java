package dev.binlogproxy.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** MySQL to MySQL with GTID auto-positioning, through the JUnit extension. */
class MysqlReplicationTest {

    @RegisterExtension
    static final RealServer master = RealServer.mysql().build();

    @RegisterExtension
    static final RealServer replica = RealServer.mysql().build();

    @Test
    void twoInstancesHaveTheirOwnIdentity() {
        DbServer m = master.server();
        DbServer r = replica.server();
        assertNotEquals(m.serverUuid(), r.serverUuid());
        assertNotEquals(m.port(), r.port());
        assertNotEquals(m.serverId(), r.serverId());
        assertNotEquals(m.instanceDir(), r.instanceDir());
        assertNotEquals(m.pid(), r.pid());
    }

    @Test
    void rowWrittenOnMasterAppearsOnReplica() {
        DbServer m = master.server();
        DbServer r = replica.server();
        m.createReplicationUser("repl", "s3cret'\\pw"); // caching_sha2_password, and a password that needs quoting
        r.replicateFrom(m, "repl", "s3cret'\\pw", true);

        m.execute("CREATE DATABASE shop", "CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(20))",
                "INSERT INTO shop.orders VALUES (1, 'book'), (2, NULL)");
        r.waitForReplicaCaughtUp(m, Duration.ofSeconds(30));

        assertEquals(List.of(List.of("1", "book"), Arrays.asList("2", null)),
                r.query("SELECT id, item FROM shop.orders ORDER BY id"));
        Map<String, String> status = r.replicaStatus();
        assertEquals("1", status.get("Auto_Position"));
        assertEquals("Yes", status.get("Slave_IO_Running"));
        assertEquals(m.queryValue("SELECT @@gtid_executed"), status.get("Executed_Gtid_Set"));
    }

    @Test
    void replicationErrorsAreReportedNotWaitedOut() {
        DbServer m = master.server();
        DbServer r = replica.server();
        m.createReplicationUser("repl_err", "pw");
        r.replicateFrom(m, "repl_err", "pw", true);
        m.execute("CREATE DATABASE IF NOT EXISTS clash");
        r.waitForReplicaCaughtUp(m, Duration.ofSeconds(30));
        // A table that exists only on the replica makes the master's CREATE TABLE fail there.
        r.execute("SET SESSION sql_log_bin = 0", "CREATE TABLE clash.t (id INT)");
        m.execute("CREATE TABLE clash.t (id INT)");
        long started = System.nanoTime();
        TestkitException e = assertThrows(TestkitException.class,
                () -> r.waitForReplicaCaughtUp(m, Duration.ofSeconds(60)));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        assertTrue(System.nanoTime() - started < Duration.ofSeconds(30).toNanos());
        // Leave the pair usable for the other tests, whatever their order.
        r.execute("SET SESSION sql_log_bin = 0", "DROP TABLE clash.t", "START SLAVE SQL_THREAD");
        r.waitForReplicaCaughtUp(m, Duration.ofSeconds(30));
    }
}
