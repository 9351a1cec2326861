package dev.binlogproxy.proxy;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.VerifyReport;
import dev.binlogproxy.archive.testing.SmallFileSystem;
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
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The archive's disk fills under load (a tmpfs the test mounts and fills with a ballast file, as another process
 * would), with {@code binlog-proxy run} as a child process and a replica behind it. The proxy reaches its free-space
 * reserve and: stops acknowledging (the master's yes_tx stops, its commits go on asynchronously after its semi-sync
 * timeout), says "archive disk full at DIR (N bytes free)" once and in its metric, keeps running and serving the
 * replica, leaves an archive that verifies clean and holds every transaction it acknowledged. The ballast deleted,
 * it resumes by itself, and the archive ends byte-identical to the master; the replica has every row.
 *
 * <p>Twice: the binlog files' file system filling, and the index journal's (mounted apart, smaller) filling first,
 * where a memory-mapped write would fault: the reserve is checked on both, so it never does.
 */
class FullArchiveDiskStopsAcksAndResumesTest {
    private static final long RESERVE = 2L << 20;

    @TempDir
    Path dir;

    @Test
    void binlogFilesDiskFullStopsAcksKeepsServingAndResumesByItself() throws Exception {
        Path archive = dir.resolve("archive");
        try (SmallFileSystem fs = SmallFileSystem.mount(archive, 24L << 20)) {
            run(archive, fs);
        }
    }

    @Test
    void indexDiskFullFirstNeverFaultsAndResumesByItself() throws Exception {
        Path archive = dir.resolve("archive");
        try (SmallFileSystem data = SmallFileSystem.mount(archive, 64L << 20);
             SmallFileSystem index = SmallFileSystem.mount(archive.resolve("index"), 8L << 20)) {
            run(archive, index);
        }
    }

    private void run(Path archive, SmallFileSystem filled) throws Exception {
        ServerOptions masterOptions = ServerOptions.mariadb().semiSyncMaster(true).maxBinlogSize(1 << 20)
                .extraFlag("--rpl-semi-sync-master-timeout=1000").build();
        try (DbServer master = DbServer.start(masterOptions);
             DbServer replica = DbServer.start(ServerOptions.mariadb().build())) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            int proxyPort = Ports.free();
            int metricsPort = Ports.free();
            Path config = dir.resolve("proxy.yaml");
            Files.writeString(config, ChildProxy.config(master.port(), archive, proxyPort, metricsPort, "",
                    "minFreeSpace: " + RESERVE));
            Path log = dir.resolve("proxy.log");
            Process proxy = ChildProxy.start(config, log);
            try {
                ChildProxy.awaitSemiSyncClient(master, proxy, log,
                        Duration.ofSeconds(60));
                AckedWriter writer = AckedWriter.start(master, 200);
                replica.replicateFrom("127.0.0.1", proxyPort, ServeHarness.REPL, ServeHarness.REPL_PW, true);
                writer.awaitMore(300);

                Path ballast = filled.fillLeaving("ballast", RESERVE + (256 << 10));
                await("the proxy to say the disk is full", Duration.ofSeconds(60), proxy, log,
                        () -> "1.0".equals(ChildProxy.metric(metricsPort, "binlog_proxy_archive_disk_full")));
                long ackedAtFull = MirrorHarness.status(master, "Rpl_semi_sync_master_yes_tx");
                writer.awaitMore(20); // the master goes on, asynchronously once its semi-sync timeout passed
                Thread.sleep(3000);
                assertTrue(proxy.isAlive(), ChildProxy.logTail(log, 20));
                assertEquals(ackedAtFull, MirrorHarness.status(master, "Rpl_semi_sync_master_yes_tx"),
                        "the proxy acknowledged a transaction while the disk was full");
                List<String> lines = Files.readAllLines(log);
                long said = lines.stream().filter(l -> l.contains("archive disk full at " + archive)).count();
                assertEquals(1, said, "said once:\n" + ChildProxy.logTail(log, 20));
                assertTrue(lines.stream().anyMatch(l -> l.matches(".*archive disk full at " + archive
                        + " \\(\\d+ bytes free.*")), ChildProxy.logTail(log, 20));
                assertTrue(lines.stream().noneMatch(l -> l.contains("InternalError") || l.contains("almost full")),
                        ChildProxy.logTail(log, 40));
                // everything acknowledged is archived, and the archive is whole
                VerifyReport r = BinlogArchive.verifyInPlace(archive);
                assertTrue(r.ok(), r.toString());
                assertTrue(archivedTransactions(archive) >= ackedAtFull, "acknowledged " + ackedAtFull
                        + " but the archive holds " + archivedTransactions(archive));
                // still serving: the replica is connected and has what the archive has
                Map<String, String> s = replica.replicaStatus();
                assertEquals("Yes", s.get("Slave_IO_Running"), s.toString());

                Files.delete(ballast);
                await("mirroring to resume", Duration.ofSeconds(30), proxy, log,
                        () -> "0.0".equals(ChildProxy.metric(metricsPort, "binlog_proxy_archive_disk_full"))
                                && MirrorHarness.status(master, "Rpl_semi_sync_master_clients") >= 1);
                writer.awaitMore(100);
                writer.stop();
                var end = MirrorHarness.masterEnd(master);
                await("the archive to catch up", Duration.ofSeconds(60), proxy, log, () -> {
                    Path f = archive.resolve(end.file());
                    try {
                        return Files.exists(f) && Files.size(f) == end.offset();
                    } catch (java.io.IOException e) {
                        return false;
                    }
                });
                replica.waitForReplicaCaughtUp(master, Duration.ofSeconds(60));
                assertTrue(writer.missingFrom(AckedWriter.idsOn(replica)).isEmpty(), "acknowledged rows missing");
                assertEquals(AckedWriter.idsOn(master), AckedWriter.idsOn(replica));
                assertTrue(proxy.isAlive());
                proxy.destroy();
                assertTrue(proxy.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
                MirrorHarness.assertByteIdentical(master, archive);
                VerifyReport after = BinlogArchive.verifyInPlace(archive);
                assertTrue(after.ok(), after.toString());
                System.out.printf("FullArchiveDiskStopsAcksAndResumesTest (%s): %d acked before the disk filled,"
                                + " %d commits acknowledged to the client in all; final archive byte-identical%n",
                        filled.dir().getFileName(), ackedAtFull, writer.acknowledged().size());
            } finally {
                proxy.destroyForcibly();
                proxy.waitFor();
            }
        }
    }

    private static long archivedTransactions(Path archive) throws Exception {
        long n = 0;
        try (var list = Files.list(archive)) {
            for (Path p : list.filter(p -> p.getFileName().toString().matches(".*\\.\\d+")).toList()) {
                n += BinlogFileSummary.scan(p).transactions();
            }
        }
        return n;
    }

    private static void await(String what, Duration timeout, Process proxy, Path log, BooleanSupplier done)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            assertTrue(proxy.isAlive(), "the proxy exited while waiting for " + what + "\n"
                    + ChildProxy.logTail(log, 30));
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what + "\n"
                    + ChildProxy.logTail(log, 30));
            Thread.sleep(100);
        }
    }
}
