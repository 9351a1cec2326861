package dev.binlogproxy.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import dev.binlogproxy.upstream.SemiSyncChain;

/**
 * Chained semi-sync against real servers: a MariaDB 10.11 semi-sync master whose only semi-sync replica is the
 * proxy, and a real MariaDB 10.11 semi-sync replica replicating from the proxy. With waitForReplicas=1 a commit
 * returns to its client only once the downstream replica has the transaction; with the replica stopped, the
 * proxy's chain timeout (below the master's rpl_semi_sync_master_timeout) acks anyway, so the master never
 * falls back to asynchronous itself.
 */
class ChainedSemiSyncTest {
    private static final int COMMITS = 300;
    private static final Duration CHAIN_TIMEOUT = Duration.ofMillis(1000);
    private static final long MASTER_TIMEOUT_MS = 10_000;

    @TempDir
    Path dir;

    @Test
    void commitsReturnOnlyOnceTheDownstreamReplicaHasThemAndFallBackOnTimeout() throws Exception {
        try (DbServer master = DbServer.start(ServerOptions.mariadb().semiSyncMaster(true).build())) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            master.execute("SET GLOBAL rpl_semi_sync_master_timeout = " + MASTER_TIMEOUT_MS,
                    "CREATE DATABASE c", "CREATE TABLE c.t (id INT PRIMARY KEY, v VARCHAR(64))");
            try (ServeHarness proxy = ServeHarness.start(master, dir, 9701, true, ServeHarness.settings(true), 1,
                    CHAIN_TIMEOUT);
                 DbServer replica = DbServer.start(ServerOptions.mariadb().semiSyncSlave(true).build())) {
                awaitStatus(master, "Rpl_semi_sync_master_clients", "1");
                replica.replicateFrom("127.0.0.1", proxy.port(), ServeHarness.REPL, ServeHarness.REPL_PW, false);
                replica.waitForReplicaCaughtUp(master, Duration.ofSeconds(60));
                awaitStatus(replica, "Rpl_semi_sync_slave_status", "ON");
                SemiSyncChain chain = proxy.chain;
                long replicaId = replica.serverId();
                // The schema transactions were flagged while the proxy caught up, before the replica existed: their
                // wait timed out (nobody to ack) and the chain went off until the replica acknowledged them.
                awaitChainOn(chain);
                long timeouts0 = chain.timeoutCount();

                // (1) every commit that returned is already at the downstream replica. no_tx is compared with its
                // value now: the user and schema statements above ran before the proxy connected (no semi-sync
                // replica yet), which the master counts as no_tx.
                long yes0 = status(master, "Rpl_semi_sync_master_yes_tx");
                long no0 = status(master, "Rpl_semi_sync_master_no_tx");
                long waits0 = status(master, "Rpl_semi_sync_master_tx_waits");
                long waitTime0 = status(master, "Rpl_semi_sync_master_tx_wait_time");
                long chainWaits0 = chain.waitCount();
                int sampled = 0;
                try (Connection c = master.connect(); Connection mc = master.connect();
                     PreparedStatement ps = c.prepareStatement("INSERT INTO c.t VALUES (?, 'chained')")) {
                    for (int i = 1; i <= COMMITS; i++) {
                        ps.setInt(1, i);
                        ps.executeUpdate(); // autocommit: returns after the master got the proxy's ack
                        BinlogPosition committed = masterPosition(mc);
                        BinlogPosition acked = chain.ackedPosition(replicaId).orElse(null);
                        assertTrue(acked != null && acked.compareTo(committed) >= 0, "commit " + i
                                + " returned at " + committed + " but the replica had acknowledged only " + acked);
                        if (i % 25 == 0) {
                            Map<String, String> st = replica.replicaStatus();
                            BinlogPosition read = new BinlogPosition(st.get("Master_Log_File"),
                                    Long.parseLong(st.get("Read_Master_Log_Pos")));
                            assertTrue(read.compareTo(committed) >= 0, "commit " + i + " returned at " + committed
                                    + " but the replica had read only to " + read);
                            sampled++;
                        }
                    }
                }
                long yes = status(master, "Rpl_semi_sync_master_yes_tx") - yes0;
                long waits = status(master, "Rpl_semi_sync_master_tx_waits") - waits0;
                long waitTime = status(master, "Rpl_semi_sync_master_tx_wait_time") - waitTime0;
                assertEquals(COMMITS, yes, "yes_tx");
                assertEquals(no0, status(master, "Rpl_semi_sync_master_no_tx"), "no_tx");
                assertEquals(timeouts0, chain.timeoutCount(), "no chain timeout while the replica runs");
                assertTrue(chain.on());
                assertTrue(chain.waitCount() - chainWaits0 >= 1, "the acks never waited for the chain");
                report("chained (waitForReplicas=1)", waits, waitTime, chain.waitCount() - chainWaits0);
                proxyTimers(proxy);

                // (2) the replica stops: a commit waits out the chain timeout, then succeeds; the master stays
                // semi-synchronous (its own timeout is longer)
                replica.execute("STOP SLAVE");
                awaitNoDumps(proxy);
                long t0 = System.nanoTime();
                master.execute("INSERT INTO c.t VALUES (100001, 'replica stopped')");
                long firstMillis = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(timeouts0 + 1, chain.timeoutCount(), "the chain timeout counted");
                assertFalse(chain.on(), "the chain is off after the timeout");
                for (int i = 2; i <= 20; i++) {
                    master.execute("INSERT INTO c.t VALUES (" + (100000 + i) + ", 'replica stopped')");
                }
                assertEquals(timeouts0 + 1, chain.timeoutCount(), "while off, acks do not wait (no further timeouts)");
                assertEquals(no0, status(master, "Rpl_semi_sync_master_no_tx"), "the master never went async");
                assertEquals("ON", master.globalStatus("Rpl_semi_sync_master_status"));
                System.out.printf(Locale.ROOT, "[chained] first commit with the replica stopped: %d ms "
                        + "(chain timeout %d ms); 19 more while the chain is off%n", firstMillis,
                        CHAIN_TIMEOUT.toMillis());

                // the replica comes back, catches up, acknowledges: the chain is on again and covers new commits
                replica.execute("START SLAVE");
                awaitChainOn(chain);
                try (Connection c = master.connect(); Connection mc = master.connect();
                     Statement st = c.createStatement()) {
                    for (int i = 1; i <= 20; i++) {
                        st.executeUpdate("INSERT INTO c.t VALUES (" + (200000 + i) + ", 'back on')");
                        BinlogPosition committed = masterPosition(mc);
                        BinlogPosition acked = chain.ackedPosition(replicaId).orElseThrow();
                        assertTrue(acked.compareTo(committed) >= 0, "after the restart, commit " + i
                                + " returned at " + committed + " before the replica's ack (" + acked + ")");
                    }
                }
                assertEquals(timeouts0 + 1, chain.timeoutCount());
                assertEquals(no0, status(master, "Rpl_semi_sync_master_no_tx"));
                assertEquals(COMMITS + 40, status(master, "Rpl_semi_sync_master_yes_tx") - yes0);
                replica.waitForReplicaCaughtUp(master, Duration.ofSeconds(60));
                assertEquals(master.query("CHECKSUM TABLE c.t"), replica.query("CHECKSUM TABLE c.t"));
                assertTrue(sampled >= COMMITS / 25);
            }
        }
    }

    /** waitForReplicas=2: both replicas behind the proxy have every returned commit; one stopped is not enough. */
    @Test
    void twoReplicasMustBothAcknowledge() throws Exception {
        try (DbServer master = DbServer.start(ServerOptions.mariadb().semiSyncMaster(true).build())) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            master.execute("SET GLOBAL rpl_semi_sync_master_timeout = " + MASTER_TIMEOUT_MS,
                    "CREATE DATABASE c", "CREATE TABLE c.t (id INT PRIMARY KEY, v VARCHAR(64))");
            try (ServeHarness proxy = ServeHarness.start(master, dir, 9703, true, ServeHarness.settings(true), 2,
                    CHAIN_TIMEOUT);
                 DbServer a = DbServer.start(ServerOptions.mariadb().semiSyncSlave(true).build());
                 DbServer b = DbServer.start(ServerOptions.mariadb().semiSyncSlave(true).build())) {
                awaitStatus(master, "Rpl_semi_sync_master_clients", "1");
                for (DbServer r : new DbServer[] {a, b}) {
                    r.replicateFrom("127.0.0.1", proxy.port(), ServeHarness.REPL, ServeHarness.REPL_PW, false);
                }
                for (DbServer r : new DbServer[] {a, b}) {
                    r.waitForReplicaCaughtUp(master, Duration.ofSeconds(60));
                    awaitStatus(r, "Rpl_semi_sync_slave_status", "ON");
                }
                SemiSyncChain chain = proxy.chain;
                awaitChainOn(chain);
                long timeouts0 = chain.timeoutCount();
                long no0 = status(master, "Rpl_semi_sync_master_no_tx");
                try (Connection c = master.connect(); Connection mc = master.connect();
                     PreparedStatement ps = c.prepareStatement("INSERT INTO c.t VALUES (?, 'two')")) {
                    for (int i = 1; i <= 100; i++) {
                        ps.setInt(1, i);
                        ps.executeUpdate();
                        BinlogPosition committed = masterPosition(mc);
                        for (DbServer r : new DbServer[] {a, b}) {
                            BinlogPosition acked = chain.ackedPosition(r.serverId()).orElse(null);
                            assertTrue(acked != null && acked.compareTo(committed) >= 0, "commit " + i
                                    + " returned at " + committed + "; replica " + r.serverId() + " acked " + acked);
                        }
                    }
                }
                assertEquals(timeouts0, chain.timeoutCount());
                // one of two stopped: the other's acks are not enough, the wait times out
                b.execute("STOP SLAVE");
                master.execute("INSERT INTO c.t VALUES (1001, 'one of two')");
                assertEquals(timeouts0 + 1, chain.timeoutCount());
                assertFalse(chain.on());
                assertEquals(no0, status(master, "Rpl_semi_sync_master_no_tx"));
                b.execute("START SLAVE");
                awaitChainOn(chain);
                master.execute("INSERT INTO c.t VALUES (1002, 'two again')");
                assertEquals(timeouts0 + 1, chain.timeoutCount());
                assertEquals(no0, status(master, "Rpl_semi_sync_master_no_tx"));
            }
        }
    }

    /** The anchor for the numbers above: the same commits with the proxy acking on durability alone. */
    @Test
    void ackWaitWithoutTheChain() throws Exception {
        try (DbServer master = DbServer.start(ServerOptions.mariadb().semiSyncMaster(true).build())) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            master.execute("SET GLOBAL rpl_semi_sync_master_timeout = " + MASTER_TIMEOUT_MS,
                    "CREATE DATABASE c", "CREATE TABLE c.t (id INT PRIMARY KEY, v VARCHAR(64))");
            try (ServeHarness proxy = ServeHarness.start(master, dir, 9702, true);
                 DbServer replica = DbServer.start(ServerOptions.mariadb().semiSyncSlave(true).build())) {
                awaitStatus(master, "Rpl_semi_sync_master_clients", "1");
                replica.replicateFrom("127.0.0.1", proxy.port(), ServeHarness.REPL, ServeHarness.REPL_PW, false);
                replica.waitForReplicaCaughtUp(master, Duration.ofSeconds(60));
                awaitStatus(replica, "Rpl_semi_sync_slave_status", "ON");
                long no0 = status(master, "Rpl_semi_sync_master_no_tx");
                long waits0 = status(master, "Rpl_semi_sync_master_tx_waits");
                long waitTime0 = status(master, "Rpl_semi_sync_master_tx_wait_time");
                try (Connection c = master.connect();
                     PreparedStatement ps = c.prepareStatement("INSERT INTO c.t VALUES (?, 'plain')")) {
                    for (int i = 1; i <= COMMITS; i++) {
                        ps.setInt(1, i);
                        ps.executeUpdate();
                    }
                }
                assertEquals(no0, status(master, "Rpl_semi_sync_master_no_tx"));
                report("not chained (waitForReplicas=0)", status(master, "Rpl_semi_sync_master_tx_waits") - waits0,
                        status(master, "Rpl_semi_sync_master_tx_wait_time") - waitTime0, 0);
                proxyTimers(proxy);
                replica.waitForReplicaCaughtUp(master, Duration.ofSeconds(60));
                assertTrue(proxy.server.acksReceived() > 0);
            }
        }
    }

    private static void report(String what, long waits, long waitMicros, long chainWaits) {
        System.out.printf(Locale.ROOT, "[chained] %s: %d commits, master tx_waits %d, avg ack wait %.0f us "
                + "(Rpl_semi_sync_master_tx_wait_time delta %d us), chain waits %d%n", what, COMMITS, waits,
                waits == 0 ? 0.0 : (double) waitMicros / waits, waitMicros, chainWaits);
    }

    /** The proxy's own view: flagged event received to ack flushed, and (chained) durable to acked upstream. */
    private static void proxyTimers(ServeHarness proxy) {
        StringBuilder b = new StringBuilder("[chained]   proxy timers (whole run, mean / max ms):");
        for (String name : new String[] {"binlog_proxy_semisync_ack_latency", "binlog_proxy_semisync_chain_wait"}) {
            io.micrometer.core.instrument.Timer t = proxy.registry.find(name).timer();
            if (t != null) {
                b.append(String.format(Locale.ROOT, " %s n=%d %.2f / %.2f;", name, t.count(),
                        t.mean(java.util.concurrent.TimeUnit.MICROSECONDS) / 1000.0,
                        t.max(java.util.concurrent.TimeUnit.MICROSECONDS) / 1000.0));
            }
        }
        System.out.println(b);
    }

    private static BinlogPosition masterPosition(Connection c) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW MASTER STATUS")) {
            assertTrue(rs.next());
            return new BinlogPosition(rs.getString(1), rs.getLong(2));
        }
    }

    private static long status(DbServer s, String name) {
        return Long.parseLong(s.globalStatus(name));
    }

    private static void awaitStatus(DbServer s, String name, String value) throws InterruptedException {
        String v = null;
        for (int i = 0; i < 1500; i++) {
            v = s.globalStatus(name);
            if (value.equalsIgnoreCase(v)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(name + " is " + v + ", not " + value);
    }

    private static void awaitChainOn(SemiSyncChain chain) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!chain.on() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(chain.on(), "the chain never switched (back) on");
    }

    private static void awaitNoDumps(ServeHarness proxy) throws InterruptedException {
        for (int i = 0; i < 1500; i++) {
            if (proxy.server.runningDumps() == 0) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the stopped replica's dump is still running");
    }
}
