package dev.binlogproxy.proxy;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.binlog.file.BinlogFileSummary;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.upstream.MirrorHarness;
import dev.binlogproxy.testkit.ServerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of the proxy (a child JVM running {@code binlog-proxy run}) at random moments while a client commits
 * under semi-sync, 20 times (a soak run sets more with {@code -Dproxykill.kills=N}). After every kill, before the proxy comes back, the archive is recovered and must
 * hold at least every transaction the client saw commit (fsync mode acks only what is synced, and the master
 * never falls back to async here: no_tx stays 0). At the end the archive is byte-identical to the master: no gap,
 * no duplicate.
 */
class ProxyKillTest {
    /** The suite's 20; a soak run asks for more with -Dproxykill.kills=100. */
    private static final int KILLS = Integer.getInteger("proxykill.kills", 20);

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedCommitSurvivesKill9() throws Exception {
        ServerOptions options = ServerOptions.mariadb().semiSyncMaster(true).maxBinlogSize(256 * 1024)
                .extraFlag("--rpl-semi-sync-master-timeout=120000").build();
        Path archiveDir = dir.resolve("archive");
        try (DbServer master = DbServer.start(options)) {
            master.createReplicationUser(MirrorHarness.USER, MirrorHarness.PASSWORD);
            long setupTransactions = 2; // created once the proxy is attached (see below)
            Path config = dir.resolve("proxy.yaml");
            Files.writeString(config, """
                    upstream: {host: 127.0.0.1, port: %d, user: %s, password: %s, serverId: 9300, semiSync: true,
                               heartbeat: 500ms, deadMasterTimeout: 3s, reconnect: {initialDelay: 50ms, maxDelay: 500ms}}
                    archive: {dir: '%s', durability: fsync}
                    metrics: {port: 0}
                    server: {port: 0}
                    """.formatted(master.port(), MirrorHarness.USER, MirrorHarness.PASSWORD, archiveDir));

            AtomicLong committed = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> writerError = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try (Connection c = master.connect();
                     PreparedStatement ps = c.prepareStatement("INSERT INTO k.t VALUES (?, REPEAT('p', 150))")) {
                    for (long id = 1; !stop.get(); id++) {
                        ps.setLong(1, id);
                        ps.executeUpdate(); // returns after the proxy's ack (semi-sync, AFTER_COMMIT)
                        committed.set(id);
                    }
                } catch (Throwable e) {
                    writerError.set(e);
                }
            }, "writer");

            SplittableRandom rnd = new SplittableRandom(Long.getLong("proxykill.seed", 20261121));
            long began = System.nanoTime();
            long maxInFlight = 0; // archived beyond what the client had seen acknowledged at the kill
            Process proxy = startProxy(config);
            ChildProxy.awaitSemiSyncClient(master, proxy, dir.resolve("proxy.log"), Duration.ofSeconds(60));
            // not before: with semi-sync on and no replica attached a commit waits out the whole timeout, after
            // which the master switches semi-sync off and nothing later would wait for the proxy
            master.execute("CREATE DATABASE k", "CREATE TABLE k.t (id BIGINT PRIMARY KEY, pad VARCHAR(200))");
            writer.start();
            try {
                for (int kill = 0; kill < KILLS; kill++) {
                    try {
                        ChildProxy.awaitSemiSyncClient(master, proxy, dir.resolve("proxy.log"),
                                Duration.ofSeconds(60));
                        awaitCommitsProgress(committed, proxy);
                    } catch (AssertionError e) {
                        throw new AssertionError("kill " + kill + ": " + e.getMessage() + "\nproxy log tail:\n"
                                + proxyLogTail(), e);
                    }
                    Thread.sleep(50 + rnd.nextInt(700));
                    long acked = committed.get();
                    proxy.destroyForcibly(); // SIGKILL
                    proxy.waitFor();
                    long archived = archivedTransactions(archiveDir);

                    String counters = master.query("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_%'").toString();
                    assertTrue(archived >= setupTransactions + acked, "kill " + kill + ": the client saw " + acked
                            + " commits succeed but the recovered archive holds " + (archived - setupTransactions)
                            + "; master " + counters + "\nmaster error log:\n" + semiSyncLog(master));
                    maxInFlight = Math.max(maxInFlight, archived - setupTransactions - acked);
                    proxy = startProxy(config);
                }
            } finally {
                stop.set(true);
                writer.join(30_000);
                assertEquals(null, writerError.get(), "writer failed");
            }
            // let the last proxy catch up, then stop it and compare
            awaitArchiveAt(archiveDir, master, proxy);
            proxy.destroy();
            proxy.waitFor();
            assertEquals(0, MirrorHarness.status(master, "Rpl_semi_sync_master_no_tx"), () -> {
                try {
                    return "semi-sync fell back:\n" + semiSyncLog(master);
                } catch (IOException e) {
                    return e.toString();
                }
            });
            int files = MirrorHarness.assertByteIdentical(master, archiveDir);
            // the numbers a soak run reports (docs/results.md)
            System.out.printf("ProxyKillTest: %d kills in %.0f s, %d commits acknowledged to the client, each kill's"
                            + " acknowledged commits all in the recovered archive, at most %d archived beyond them;"
                            + " final archive %d files byte-identical, no_tx 0%n", KILLS,
                    (System.nanoTime() - began) / 1e9, committed.get(), maxInFlight, files);
        }
    }

    private static long archivedTransactions(Path archiveDir) throws Exception {
        // recovery (truncating a torn tail or partial transaction) is what the next proxy start does too
        try (BinlogArchive a = BinlogArchive.open(archiveDir, Durability.FSYNC)) {
            long n = 0;
            for (var f : a.files()) {
                n += BinlogFileSummary.scan(archiveDir.resolve(f.name())).transactions();
            }
            return n;
        }
    }

    private static void awaitCommitsProgress(AtomicLong committed, Process proxy) throws InterruptedException {
        long start = committed.get();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (committed.get() < start + 20) {
            if (!proxy.isAlive()) {
                throw new AssertionError("the proxy exited with " + proxy.exitValue());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no commits acknowledged for 60 s after the proxy restarted");
            }
            Thread.sleep(5);
        }
    }

    private static void awaitArchiveAt(Path archiveDir, DbServer master, Process proxy) throws Exception {
        var target = MirrorHarness.masterEnd(master);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            Path file = archiveDir.resolve(target.file());
            if (Files.exists(file) && Files.size(file) == target.offset()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("archive did not reach " + target);
    }

    private static String semiSyncLog(DbServer master) throws IOException {
        return String.join("\n", Files.readAllLines(master.errorLog()).stream()
                .filter(l -> l.toLowerCase().contains("semi")).limit(30).toList());
    }

    private String proxyLogTail() {
        return ChildProxy.logTail(dir.resolve("proxy.log"), 25);
    }

    private Process startProxy(Path config) throws IOException {
        return ChildProxy.start(config, dir.resolve("proxy.log"));
    }
}
