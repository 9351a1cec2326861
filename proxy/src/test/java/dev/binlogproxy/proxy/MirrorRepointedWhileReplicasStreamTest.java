package dev.binlogproxy.proxy;

import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.client.ConnectionSettings;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import dev.binlogproxy.testkit.Workload;
import dev.binlogproxy.upstream.MirrorHarness;
import dev.binlogproxy.upstream.MirrorService;
import dev.binlogproxy.upstream.UpstreamSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proxy A mirrors the master and serves ten clients: two real MariaDB replicas (file/position and GTID) and eight
 * mysql-binlog-connector-java tails. Under a write load, A's mirror is paused and repointed, in the running
 * process, to proxy B (another mirror of the same master: another address, other credentials), then back to the
 * master. The clients never notice: each tail receives exactly the master's events, in order, none twice; the
 * replicas converge with no error; A's archive stays byte-identical to the master's files.
 */
class MirrorRepointedWhileReplicasStreamTest {
    private static final int TAILS = 8;

    @TempDir
    Path dir;

    @Test
    void tenClientsStreamThroughTwoRepoints() throws Exception {
        ServerOptions masterOptions = ServerOptions.mariadb().semiSyncMaster(true).maxBinlogSize(256 << 10)
                .extraFlag("--rpl-semi-sync-master-timeout=60000").build();
        try (DbServer master = DbServer.start(masterOptions)) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            Workload w = new Workload(master);
            try (ServeHarness a = ServeHarness.start(master, dir.resolve("a"), 9621, true);
                 ServeHarness b = ServeHarness.start(master, dir.resolve("b"), 9622, true);
                 DbServer byPosition = DbServer.start(ServerOptions.mariadb().build());
                 DbServer byGtid = DbServer.start(ServerOptions.mariadb().build())) {
                // written once both proxies are semi-sync replicas: none of it may fall back to asynchronous
                w.setUp();
                w.run(2, 40, 51);
                String first = master.showBinaryLogs().get(0).name();
                byPosition.replicateFrom("127.0.0.1", a.port(), ServeHarness.REPL, ServeHarness.REPL_PW, first, 4);
                byGtid.replicateFrom("127.0.0.1", a.port(), ServeHarness.REPL, ServeHarness.REPL_PW, true);
                List<ConnectorTail> tails = new ArrayList<>();
                try {
                    for (int i = 0; i < TAILS; i++) {
                        tails.add(ConnectorTail.start(a.port(), ServeHarness.REPL, ServeHarness.REPL_PW, 7800 + i,
                                first));
                    }
                    MirrorService mirror = a.mirror;
                    UpstreamSettings toMaster = mirror.settings();
                    // proxy B as the upstream, logging in as its admin user
                    UpstreamSettings toProxyB = toMaster.withConnection(ConnectionSettings.plain("127.0.0.1",
                            b.port(), ServeHarness.ADMIN, ServeHarness.ADMIN_PW));
                    Thread load = new Thread(() -> {
                        try {
                            w.run(3, 120, 52);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    load.start();
                    Thread.sleep(300);
                    repoint(mirror, toProxyB);
                    BinlogPosition atRepoint = a.archive.resumePosition().orElseThrow();
                    // A archives from B: its end moves on while B is its upstream
                    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                    while (a.archive.resumePosition().orElseThrow().compareTo(atRepoint) <= 0) {
                        assertTrue(System.nanoTime() < deadline, "nothing archived from proxy B: " + mirror.status());
                        Thread.sleep(10);
                    }
                    assertEquals(b.port(), mirror.settings().connection().port());
                    assertEquals(MirrorService.State.STREAMING, mirror.state(), mirror.status());
                    repoint(mirror, toMaster);
                    load.join();
                    w.run(2, 30, 53);

                    a.awaitCaughtUp(Duration.ofSeconds(60));
                    var end = master.masterStatus();
                    List<ConnectorTail.Seen> expected = ConnectorTail.eventsOf(master,
                            type -> type != 160); // ANNOTATE_ROWS goes only to clients that ask (dump flag 0x02)
                    for (ConnectorTail t : tails) {
                        t.awaitReached(end.file(), end.position(), 60_000);
                        assertEquals(List.of(), t.failures());
                        assertEquals(positions(expected), positions(t.seen()));
                    }
                } finally {
                    for (ConnectorTail t : tails) {
                        t.close();
                    }
                }
                for (DbServer replica : List.of(byPosition, byGtid)) {
                    replica.waitForReplicaCaughtUp(master, Duration.ofSeconds(120));
                    for (String table : Workload.TABLES) {
                        assertEquals(master.query("CHECKSUM TABLE " + table),
                                replica.query("CHECKSUM TABLE " + table), table);
                    }
                    Map<String, String> status = replica.replicaStatus();
                    assertEquals(String.valueOf(a.port()), status.get("Master_Port"), status.toString());
                    assertEquals("0", status.get("Last_IO_Errno"), status.toString());
                    assertEquals("0", status.get("Last_SQL_Errno"), status.toString());
                }
                MirrorHarness.assertByteIdentical(master, dir.resolve("a").resolve("archive"));
                assertEquals(0, MirrorHarness.status(master, "Rpl_semi_sync_master_no_tx"));
            }
        }
    }

    private static void repoint(MirrorService mirror, UpstreamSettings to) throws Exception {
        mirror.pause(Duration.ofSeconds(10));
        mirror.repoint(to);
        mirror.resume();
    }

    private static List<String> positions(List<ConnectorTail.Seen> events) {
        return events.stream().map(e -> e.file() + ":" + e.endPosition()).toList();
    }
}
