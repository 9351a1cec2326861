package dev.binlogproxy.proxy;

import dev.binlogproxy.archive.ArchiveSettings;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.archive.RetentionPolicy;
import dev.binlogproxy.client.ConnectionSettings;
import dev.binlogproxy.client.Secret;
import dev.binlogproxy.client.TlsMode;
import dev.binlogproxy.failover.FailoverMode;
import dev.binlogproxy.failover.FailoverReport;
import dev.binlogproxy.failover.FailoverSettings;
import dev.binlogproxy.proxy.config.ProxyConfig;
import dev.binlogproxy.proxy.metrics.MetricsSettings;
import dev.binlogproxy.testkit.AckedWriter;
import dev.binlogproxy.testkit.BinaryLog;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.Flavor;
import dev.binlogproxy.testkit.ServerOptions;
import dev.binlogproxy.upstream.ChainSettings;
import dev.binlogproxy.upstream.MirrorHarness;
import dev.binlogproxy.upstream.UpstreamSettings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The failover test bed: a real master, the proxy mirroring it (semi-sync where the flavor has it) with failover
 * configured, candidates replicating from the proxy (log_bin, log_slave_updates, read_only), and plain replicas
 * of the proxy by file/position and by GTID. Servers come from the test kit on free loopback ports.
 */
final class FailoverHarness implements AutoCloseable {
    static final String REPL = ServeHarness.REPL;
    static final String REPL_PW = ServeHarness.REPL_PW;

    final Flavor flavor;
    final DbServer master;
    final List<DbServer> candidates = new ArrayList<>();
    final DbServer byPosition;
    final DbServer byGtid;
    final Path dir;
    BinlogProxy proxy;
    /** The metrics and admin routes' port (GET /status, POST /failover, POST /switchover). */
    int adminPort;
    private final List<AutoCloseable> closers = new ArrayList<>();

    private FailoverHarness(Flavor flavor, DbServer master, DbServer byPosition, DbServer byGtid, Path dir) {
        this.flavor = flavor;
        this.master = master;
        this.byPosition = byPosition;
        this.byGtid = byGtid;
        this.dir = dir;
    }

    /** The master's options: small binlog files, semi-sync (AFTER_SYNC, long timeout) on MariaDB. */
    static ServerOptions masterOptions(Flavor flavor) {
        if (flavor == Flavor.MARIADB) {
            return ServerOptions.mariadb().semiSyncMaster(true).maxBinlogSize(64 << 10)
                    .extraFlag("--rpl-semi-sync-master-timeout=60000")
                    .extraFlag("--rpl-semi-sync-master-wait-point=AFTER_SYNC").build();
        }
        return ServerOptions.mysql().gtid(true).maxBinlogSize(64 << 10).build();
    }

    /**
     * Starts the master, {@code candidateCount} candidates and two replicas, the proxy with {@code failover}
     * (candidates filled in), and points everything at the proxy.
     */
    static FailoverHarness start(Flavor flavor, Path dir, int candidateCount, FailoverMode mode,
                                 Duration detectTimeout, String execBefore) throws Exception {
        return start(flavor, dir, candidateCount, mode, detectTimeout, execBefore, Set.of());
    }

    /**
     * @param withoutReload candidates (by index) whose failover account lacks RELOAD: their FLUSH BINARY LOGS is
     *                      refused
     */
    static FailoverHarness start(Flavor flavor, Path dir, int candidateCount, FailoverMode mode,
                                 Duration detectTimeout, String execBefore, Set<Integer> withoutReload)
            throws Exception {
        DbServer master = DbServer.start(masterOptions(flavor));
        FailoverHarness h = null;
        try {
            master.createReplicationUser(REPL, REPL_PW);
            ServerOptions replicaOptions = flavor == Flavor.MARIADB ? ServerOptions.mariadb().build()
                    : ServerOptions.mysql().gtid(true).build();
            h = new FailoverHarness(flavor, master, DbServer.start(replicaOptions), DbServer.start(replicaOptions),
                    dir);
            for (int i = 0; i < candidateCount; i++) {
                DbServer c = DbServer.start(replicaOptions.toBuilder().maxBinlogSize(64 << 10).build());
                // the proxy's mirror logs in to a promoted candidate as it did to the master
                c.createReplicationUser(REPL, REPL_PW);
                h.candidates.add(c);
            }
            List<ConnectionSettings> cs = new ArrayList<>();
            for (int i = 0; i < h.candidates.size(); i++) {
                DbServer c = h.candidates.get(i);
                String user = "root";
                String pw = "";
                if (withoutReload.contains(i)) {
                    user = "fo";
                    pw = "fo-pw";
                    c.execute("SET sql_log_bin = 0", "CREATE USER 'fo'@'%' IDENTIFIED BY 'fo-pw'",
                            "GRANT SELECT, PROCESS, SUPER, REPLICATION SLAVE ADMIN, REPLICA MONITOR, BINLOG MONITOR,"
                                    + " READ_ONLY ADMIN, REPLICATION CLIENT ON *.* TO 'fo'@'%'");
                }
                cs.add(new ConnectionSettings("127.0.0.1", c.port(), user, new Secret(pw), Duration.ofSeconds(5),
                        TlsMode.DISABLED, null));
            }
            FailoverSettings failover = new FailoverSettings(mode, detectTimeout, Duration.ofMillis(200), cs,
                    execBefore, null, Duration.ofSeconds(20), Duration.ofSeconds(20), 64L << 20,
                    ConnectionSettings.plain("-", 1, REPL, REPL_PW));
            h.startProxy(failover);
            return h;
        } catch (Exception | Error e) {
            if (h != null) {
                h.close();
            } else {
                master.close();
            }
            throw e;
        }
    }

    private void startProxy(FailoverSettings failover) throws Exception {
        adminPort = dev.binlogproxy.testkit.Ports.free();
        boolean semiSync = flavor == Flavor.MARIADB;
        UpstreamSettings upstream = new UpstreamSettings(ConnectionSettings.plain("127.0.0.1", master.port(), REPL,
                REPL_PW), 9901, semiSync, Duration.ofMillis(250), Duration.ofSeconds(2), Duration.ofMillis(50),
                Duration.ofMillis(500), null, null);
        proxy = BinlogProxy.start(new ProxyConfig(upstream,
                new ArchiveSettings(dir.resolve("archive"), Durability.FSYNC, RetentionPolicy.keepAll()),
                ServeHarness.settings(semiSync), ChainSettings.OFF, new MetricsSettings("127.0.0.1", adminPort),
                failover));
        // replicas start once the proxy holds the master's first file (the first dump needs it)
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (proxy.archive().files().isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "the proxy mirrored nothing: " + proxy.mirror().status());
            Thread.sleep(20);
        }
        int port = proxy.server().port();
        for (DbServer c : candidates) {
            c.replicateFrom("127.0.0.1", port, REPL, REPL_PW, true);
            c.execute("SET GLOBAL read_only = ON");
        }
        String first = master.showBinaryLogs().get(0).name();
        byPosition.replicateFrom("127.0.0.1", port, REPL, REPL_PW, first, 4);
        byGtid.replicateFrom("127.0.0.1", port, REPL, REPL_PW, true);
    }

    int proxyPort() {
        return proxy.server().port();
    }

    /** Waits for the failover the proxy runs by itself; returns its report. */
    FailoverReport awaitFailover(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            FailoverReport r = proxy.failover().status().last();
            if (r != null) {
                return r;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no failover within " + timeout + ": " + proxy.failover().status() + "; mirror "
                + proxy.mirror().status());
    }

    /** Every replica of the proxy (candidates that were not promoted included). */
    List<DbServer> replicas() {
        List<DbServer> all = new ArrayList<>(List.of(byPosition, byGtid));
        return all;
    }

    /**
     * The replica never got a CHANGE MASTER: it still replicates from the proxy, with no error, and reads a file
     * of the new master's numbering (at or after {@code firstNewFile}).
     */
    void assertStillOnProxy(DbServer replica, String firstNewFile) {
        Map<String, String> s = replica.replicaStatus();
        assertEquals(String.valueOf(proxyPort()), s.get("Master_Port"), s.toString());
        assertEquals("Yes", s.get("Slave_IO_Running"), s.toString());
        assertEquals("Yes", s.get("Slave_SQL_Running"), s.toString());
        assertEquals("0", s.get("Last_IO_Errno"), s.toString());
        assertEquals("0", s.get("Last_SQL_Errno"), s.toString());
        assertTrue(s.get("Master_Log_File").compareTo(firstNewFile) >= 0, "the replica is still in "
                + s.get("Master_Log_File") + ", the new master's first file is " + firstNewFile);
    }

    /** Every acknowledged id is on {@code server}; returns how many ids it has beyond them (un-acked, allowed). */
    static int assertHasEveryAcked(AckedWriter writer, DbServer server) {
        Set<Long> present = AckedWriter.idsOn(server);
        NavigableSet<Long> missing = writer.missingFrom(present);
        assertTrue(missing.isEmpty(), missing.size() + " acknowledged id(s) missing on " + server + ": "
                + (missing.size() > 20 ? missing.headSet(missing.first() + 20) : missing));
        return present.size() - writer.acknowledged().size();
    }

    /**
     * The archive's files of the new master's epoch equal the new master's own files byte for byte (its open
     * file from the end of the FDE on: the dump clears IN_USE in the FDE).
     */
    void assertNewEpochByteIdentical(DbServer newMaster, String firstNewFile) throws Exception {
        Path archive = dir.resolve("archive");
        int compared = 0;
        for (BinaryLog log : newMaster.showBinaryLogs()) {
            if (log.name().compareTo(firstNewFile) < 0) {
                continue;
            }
            byte[] theirs = Arrays.copyOf(newMaster.readBinlog(log.name()), (int) log.size());
            byte[] mine = Files.readAllBytes(archive.resolve(log.name()));
            assertEquals(theirs.length, mine.length, log.name() + " length");
            int fdeEnd = 4 + java.nio.ByteBuffer.wrap(theirs).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(4 + 9);
            assertArrayEquals(Arrays.copyOfRange(theirs, fdeEnd, theirs.length),
                    Arrays.copyOfRange(mine, fdeEnd, mine.length), log.name() + " after its FDE");
            compared++;
        }
        assertTrue(compared > 0, "no file of the new master's epoch in the archive");
    }

    static long semiSyncStatus(DbServer server, String name) {
        return MirrorHarness.status(server, name);
    }

    @Override
    public void close() {
        if (proxy != null) {
            proxy.close();
        }
        for (DbServer s : candidates) {
            s.close();
        }
        for (DbServer s : new DbServer[] {byPosition, byGtid, master}) {
            if (s != null) {
                s.close();
            }
        }
        for (AutoCloseable c : closers) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
    }
}
