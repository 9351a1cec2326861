package dev.binlogproxy.proxy;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.VerifyReport;
import dev.binlogproxy.binlog.file.BinlogFileSummary;
import dev.binlogproxy.testkit.AckedWriter;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.Ports;
import dev.binlogproxy.testkit.ServerOptions;
import dev.binlogproxy.upstream.MirrorHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM to {@code binlog-proxy run} while the master commits under semi-sync and a replica streams through the
 * proxy, three times: each stop exits 0 (not the JVM's 143) well within the systemd unit's TimeoutStopSec, leaves
 * an archive that verifies clean with its newest file ending on a transaction boundary (no torn tail to cut), and
 * the replica, told "shutdown in progress", retries and goes on once the proxy is back.
 */
class SigtermStopsInOrderTest {
    private static final int STOPS = 3;

    @TempDir
    Path dir;

    @Test
    void sigtermUnderLoadExits0WithACleanArchiveAndReplicasContinue() throws Exception {
        ServerOptions masterOptions = ServerOptions.mariadb().semiSyncMaster(true).maxBinlogSize(256 << 10)
                .extraFlag("--rpl-semi-sync-master-timeout=2000").build();
        try (DbServer master = DbServer.start(masterOptions);
             DbServer replica = DbServer.start(ServerOptions.mariadb().build())) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            int proxyPort = Ports.free();
            Path archive = dir.resolve("archive");
            Path config = dir.resolve("proxy.yaml");
            Files.writeString(config, ChildProxy.config(master.port(), archive, proxyPort, 0, "", ""));
            Path log = dir.resolve("proxy.log");
            Process proxy = ChildProxy.start(config, log);
            List<Long> stopMillis = new ArrayList<>();
            try {
                ChildProxy.awaitSemiSyncClient(master, proxy, log,
                        Duration.ofSeconds(60));
                AckedWriter writer = AckedWriter.start(master, 0);
                replica.replicateFrom("127.0.0.1", proxyPort, ServeHarness.REPL, ServeHarness.REPL_PW, true);
                for (int i = 0; i < STOPS; i++) {
                    writer.awaitMore(300);
                    long t0 = System.nanoTime();
                    proxy.destroy(); // SIGTERM
                    assertTrue(proxy.waitFor(60, TimeUnit.SECONDS), "stop " + i + ": still running\n"
                            + ChildProxy.logTail(log, 20));
                    stopMillis.add((System.nanoTime() - t0) / 1_000_000);
                    assertEquals(0, proxy.exitValue(), "stop " + i + "\n" + ChildProxy.logTail(log, 20));
                    assertCleanArchive(archive, i);
                    proxy = ChildProxy.start(config, log);
                    ChildProxy.awaitSemiSyncClient(master, proxy, log,
                            Duration.ofSeconds(60));
                }
                writer.awaitMore(300);
                writer.stop();
                replica.waitForReplicaCaughtUp(master, Duration.ofSeconds(60));
                assertEquals(AckedWriter.idsOn(master), AckedWriter.idsOn(replica), "the replica diverged");
                Map<String, String> s = replica.replicaStatus();
                assertEquals("Yes", s.get("Slave_IO_Running"), s.toString());
                assertEquals("0", s.get("Last_SQL_Errno"), s.toString());
                System.out.printf("SigtermStopsInOrderTest: %d SIGTERM stops under load took %s ms (exit 0 each), %d"
                        + " commits acknowledged%n", STOPS, stopMillis, writer.acknowledged().size());
            } finally {
                proxy.destroyForcibly();
                proxy.waitFor();
            }
            MirrorHarness.assertByteIdentical(master, archive);
        }
    }

    private static void assertCleanArchive(Path archive, int i) throws Exception {
        VerifyReport r = BinlogArchive.verifyInPlace(archive);
        assertTrue(r.ok(), "stop " + i + ": " + r.fileProblems() + " " + r.indexProblems());
        assertTrue(r.notes().stream().noneMatch(n -> n.contains("after the last complete transaction")),
                "stop " + i + ": a torn tail: " + r.notes());
        List<Path> files;
        try (var list = Files.list(archive)) {
            files = list.filter(p -> p.getFileName().toString().matches(".*\\.\\d+")).sorted().toList();
        }
        BinlogFileSummary newest = BinlogFileSummary.scan(files.get(files.size() - 1));
        assertTrue(newest.isValid() && !newest.endsInTransaction()
                        && newest.lastBoundary() == newest.fileSize(),
                "stop " + i + ": the newest file does not end on a transaction boundary: " + newest);
    }
}
