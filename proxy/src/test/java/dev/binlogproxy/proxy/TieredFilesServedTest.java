package dev.binlogproxy.proxy;

import dev.binlogproxy.archive.ArchiveSettings;
import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.archive.RetentionPolicy;
import dev.binlogproxy.client.ConnectionSettings;
import dev.binlogproxy.proxy.config.ProxyConfig;
import dev.binlogproxy.proxy.metrics.MetricsSettings;
import dev.binlogproxy.testkit.BinaryLog;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import dev.binlogproxy.testkit.Workload;
import dev.binlogproxy.tiering.S3Server;
import dev.binlogproxy.tiering.TieringSettings;
import dev.binlogproxy.upstream.ChainSettings;
import dev.binlogproxy.upstream.UpstreamSettings;
import dev.binlogproxy.failover.FailoverSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tiering end to end, on a real MariaDB master with a real S3 API (s3proxy) on loopback: the proxy uploads its
 * closed files, retention removes the local copies, and then a tool and two replicas ask for files only the bucket
 * holds: {@code mariadb-binlog --raw} from the first file gets every closed file byte for byte as the master wrote
 * it, a replica by file/position from the first file and a replica by GTID from inside a tiered file end with the
 * master's tables; {@code verify --config} and {@code find --config} cover the tiered files.
 */
class TieredFilesServedTest {
    @TempDir
    Path dir;

    @Test
    void filesOnlyTheBucketHoldsAreServedTransparently() throws Exception {
        try (S3Server s3 = S3Server.start(dir.resolve("s3"));
             DbServer master = DbServer.start(ServerOptions.mariadb().maxBinlogSize(1 << 20).build())) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            Workload workload = new Workload(master);
            workload.setUp();
            master.execute("FLUSH BINARY LOGS");
            // a replica restored from a backup taken here continues from this GTID, which is in a tiered file
            String backupGtid = master.queryValue("SELECT @@gtid_binlog_pos");
            for (int i = 0; i < 3; i++) {
                workload.run(2, 40, 40 + i);
                master.execute("FLUSH BINARY LOGS");
            }
            TieringSettings tiering = s3.settings("prod/db1/");
            RetentionPolicy keepOne = RetentionPolicy.keepAll().withMaxFiles(1);
            try (BinlogProxy proxy = BinlogProxy.start(config(master, tiering, keepOne))) {
                ServeHarness.awaitCaughtUp(proxy, master, Duration.ofSeconds(60));
                List<BinaryLog> logs = master.showBinaryLogs();
                int closed = logs.size() - 1;
                assertTrue(closed >= 4, logs.toString());
                var t = proxy.tiering().orElseThrow();
                long started = System.nanoTime();
                t.uploadNow();
                awaitTrue("closed files uploaded", () -> t.tiered().size() >= closed);
                long uploadMs = (System.nanoTime() - started) / 1_000_000;
                long uploadedBytes = t.tiered().stream().mapToLong(f -> f.size()).sum();
                List<String> purged = proxy.archive().purge(keepOne);
                assertEquals(closed, purged.size(), purged.toString());
                for (String f : purged) {
                    assertFalse(Files.exists(dir.resolve("archive").resolve(f)), f);
                }

                // a replica restored from the backup asks by GTID for what follows it: the proxy fetches tiered
                // files back, newest first, until one holds the start (file 2), never file 1
                workload.run(2, 20, 50);
                int port = proxy.server().port();
                try (DbServer byGtid = DbServer.start(ServerOptions.mariadb().build())) {
                    new Workload(byGtid).setUp();
                    byGtid.execute("SET GLOBAL gtid_slave_pos = '" + backupGtid + "'");
                    byGtid.replicateFrom("127.0.0.1", port, ServeHarness.REPL, ServeHarness.REPL_PW, true);
                    assertSameTables(master, byGtid);
                }
                List<String> listed = proxy.archive().files().stream().map(ArchivedFile::name).toList();
                assertEquals(logs.get(1).name(), listed.get(0), listed.toString());
                // once the hold (2 s here) ran out and no reader is in them, the fetched copies go again
                Thread.sleep(tiering.cacheHold().toMillis() + 200);
                proxy.archive().purge(keepOne);
                assertEquals(1, proxy.archive().files().size(), proxy.archive().files().toString());

                // a binlog tool reads the whole history from the first file, served from the bucket
                long fetchStart = System.nanoTime();
                Path raw = ServeHarness.rawCopy(proxy.server().port(), logs.get(0).name(), dir.resolve("raw"));
                long rawMs = (System.nanoTime() - fetchStart) / 1_000_000;
                for (BinaryLog log : logs.subList(0, closed)) {
                    assertEquals(-1, Files.mismatch(master.binlogFile(log.name()), raw.resolve(log.name())),
                            log.name());
                }
                assertTrue(proxy.registry().get("binlog_proxy_tiering_fetches").counter().count() >= 2L * closed - 1);

                // a replica by file/position from the first file
                try (DbServer byPosition = DbServer.start(ServerOptions.mariadb().build())) {
                    byPosition.replicateFrom("127.0.0.1", port, ServeHarness.REPL, ServeHarness.REPL_PW,
                            logs.get(0).name(), 4);
                    assertSameTables(master, byPosition);
                }
                Path configFile = writeConfig(master, tiering);
                proxy.archive().purge(keepOne);

                // verify and find with the configuration cover the tiered files
                String verify = Pitr.cli(0, "verify", "--archive", dir.resolve("archive").toString(), "--config",
                        configFile.toString());
                for (BinaryLog log : logs.subList(0, closed)) {
                    assertTrue(verify.lines().anyMatch(l -> l.startsWith(log.name()) && l.contains("ok, tiered")),
                            verify);
                }
                // the workload since may have closed more files: they are tiered too
                var summary = java.util.regex.Pattern.compile("tiered: (\\d+) files in s3://binlogs/prod/db1/ .*, all"
                        + " valid").matcher(verify);
                assertTrue(summary.find() && Integer.parseInt(summary.group(1)) >= closed, verify);
                String gtid = backupGtid.substring(0, backupGtid.lastIndexOf('-') + 1)
                        + (Long.parseLong(backupGtid.substring(backupGtid.lastIndexOf('-') + 1)) + 1);
                String find = Pitr.cli(0, "find", "--archive", dir.resolve("archive").toString(), "--config",
                        configFile.toString(), "--gtid", gtid);
                assertTrue(find.contains("transaction: " + logs.get(1).name()), find);
                // without the configuration the tiered files are out of reach, as before
                Pitr.cli(1, "find", "--archive", dir.resolve("archive").toString(), "--gtid", gtid);
                // an object replaced behind the proxy's back (its checksum metadata gone with it): verify says so
                String key = "prod/db1/" + logs.get(1).name();
                s3.blobStore().putBlob(S3Server.BUCKET, s3.blobStore().blobBuilder(key)
                        .payload(master.readBinlog(logs.get(0).name())).build());
                String damaged = Pitr.cli(1, "verify", "--archive", dir.resolve("archive").toString(), "--config",
                        configFile.toString());
                assertTrue(damaged.lines().anyMatch(l -> l.startsWith(logs.get(1).name())
                        && l.contains("DAMAGED in the bucket")), damaged);
                assertTrue(damaged.contains("1 damaged or missing"), damaged);
                System.out.printf("tiering: %d files (%d bytes) uploaded and verified in %d ms; mariadb-binlog"
                        + " read %d tiered files back in %d ms%n", closed, uploadedBytes, uploadMs, closed, rawMs);
            }
        }
    }

    private ProxyConfig config(DbServer master, TieringSettings tiering, RetentionPolicy retention) {
        UpstreamSettings upstream = new UpstreamSettings(ConnectionSettings.plain("127.0.0.1", master.port(),
                ServeHarness.REPL, ServeHarness.REPL_PW), 9801, false, Duration.ofMillis(500), Duration.ofSeconds(3),
                Duration.ofMillis(50), Duration.ofMillis(500), null, null);
        return new ProxyConfig(upstream, new ArchiveSettings(dir.resolve("archive"), Durability.FSYNC, retention),
                ServeHarness.settings(false), ChainSettings.OFF, new MetricsSettings("127.0.0.1", 0),
                FailoverSettings.OFF, tiering);
    }

    /** The configuration the CLI reads: the proxy's, with its tiering section. */
    private Path writeConfig(DbServer master, TieringSettings t) throws Exception {
        Path f = dir.resolve("proxy.yaml");
        Files.writeString(f, """
                upstream: {host: 127.0.0.1, port: %d, user: repl, password: 'x', serverId: 9801}
                archive: {dir: archive}
                tiering:
                  endpoint: %s
                  bucket: %s
                  prefix: prod/db1/
                  accessKey: '%s'
                  secretKey: '%s'
                """.formatted(master.port(), t.endpoint(), t.bucket(), S3Server.ACCESS_KEY, S3Server.SECRET_KEY));
        return f;
    }

    private static void awaitTrue(String what, java.util.function.BooleanSupplier done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    private static void assertSameTables(DbServer master, DbServer replica) {
        replica.waitForReplicaCaughtUp(master, Duration.ofSeconds(120));
        for (String table : Workload.TABLES) {
            assertEquals(master.query("CHECKSUM TABLE " + table), replica.query("CHECKSUM TABLE " + table), table);
        }
        assertEquals("0", replica.replicaStatus().get("Last_IO_Errno"), replica.replicaStatus().toString());
    }
}
