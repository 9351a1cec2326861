package dev.binlogproxy.proxy.cli;

import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.failover.FailoverReport;
import dev.binlogproxy.protocol.auth.PasswordHash;
import dev.binlogproxy.proxy.BinlogProxy;
import dev.binlogproxy.proxy.config.ProxyConfig;
import dev.binlogproxy.testkit.AckedWriter;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The embedded default: a local demo master (MariaDB 10.11 from the test kit, semi-sync AFTER_SYNC), the proxy
 * mirroring it into a temporary archive as its semi-sync replica and serving it, a real MariaDB replica of the proxy
 * (file/position), a failover candidate (another replica of the proxy) and a client that records every commit
 * that returned OK. Every second: the commits, the master's and the archive's positions, semi-sync counters, the
 * failover state and the replica's coordinates. After {@code --kill-after} seconds the master is killed -9: the
 * proxy detects it, promotes the candidate and follows it; the replica goes on from the old master's last file into
 * the new master's file without a CHANGE MASTER; at the end the demo counts the acknowledged commits the replica
 * lacks (0).
 */
@Command(name = "demo", description = "Run the embedded demo: a local master, the proxy mirroring it, a replica,"
        + " a failover, live status.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--seconds", defaultValue = "0", description = "Stop after this many seconds (0: until Ctrl-C).")
    long seconds;

    @Option(names = "--rate", defaultValue = "200", description = "Commits per second the demo client writes.")
    int rate;

    @Option(names = "--kill-after", defaultValue = "10", paramLabel = "SECONDS",
            description = "Kill the master (kill -9) this many seconds in (0: never, no failover).")
    long killAfter;

    @Override
    public Integer call() throws Exception {
        System.out.println("demo: starting a local MariaDB master and two replicas (test kit) ...");
        ServerOptions options = ServerOptions.mariadb().semiSyncMaster(true).maxBinlogSize(256 << 10)
                .extraFlag("--rpl-semi-sync-master-timeout=60000")
                .extraFlag("--rpl-semi-sync-master-wait-point=AFTER_SYNC").build();
        Path archiveDir = Files.createTempDirectory("binlog-proxy-demo-archive");
        try (DbServer master = DbServer.start(options);
             DbServer candidate = DbServer.start(ServerOptions.mariadb().maxBinlogSize(256 << 10).build());
             DbServer replica = DbServer.start(ServerOptions.mariadb().build())) {
            master.createReplicationUser("repl", "demo-pw");
            candidate.createReplicationUser("repl", "demo-pw");
            PasswordHash hash = PasswordHash.of("demo-pw");
            String yaml = """
                    upstream: {host: 127.0.0.1, port: %d, user: repl, password: demo-pw, serverId: 9100,
                               semiSync: true, heartbeat: 250ms, deadMasterTimeout: 2s}
                    archive: {dir: '%s', durability: fsync}
                    server:
                      port: 0
                      users:
                        repl: {mysqlNativePassword: '%s', cachingSha2Password: '%s', permissions: [replication, admin]}
                    metrics: {port: 0}
                    failover:
                      mode: %s
                      detectTimeout: 1s
                      probeInterval: 200ms
                      candidates:
                        - {host: 127.0.0.1, port: %d, user: root, password: ''}
                    """.formatted(master.port(), archiveDir, hash.nativeText().orElseThrow(),
                    hash.sha2Text().orElseThrow(), killAfter > 0 ? "auto" : "off", candidate.port());
            ProxyConfig cfg = ProxyConfig.parse(yaml, null);
            System.out.printf("demo: master %s on 127.0.0.1:%d; proxy archive %s%n", master.version(), master.port(),
                    archiveDir);
            try (BinlogProxy proxy = BinlogProxy.start(cfg)) {
                int proxyPort = proxy.server().port();
                // the proxy serves once it holds the master's first file; a replica refused before retries only
                // after MASTER_CONNECT_RETRY (60 s)
                for (int i = 0; i < 300 && proxy.archive().files().isEmpty(); i++) {
                    Thread.sleep(100);
                }
                System.out.printf("demo: proxy serving on 127.0.0.1:%d (try: mysql -h127.0.0.1 -P%d -urepl -pdemo-pw "
                        + "-e 'SHOW MASTER STATUS; SHOW REPLICAS')%n", proxyPort, proxyPort);
                replica.replicateFrom("127.0.0.1", proxyPort, "repl", "demo-pw",
                        master.showBinaryLogs().get(0).name(), 4);
                candidate.replicateFrom("127.0.0.1", proxyPort, "repl", "demo-pw", true);
                candidate.execute("SET GLOBAL read_only = ON");
                System.out.printf("demo: replica %s on 127.0.0.1:%d replicates from the proxy by file/position;"
                        + " failover candidate on 127.0.0.1:%d%n", replica.version(), replica.port(),
                        candidate.port());
                AckedWriter writer = AckedWriter.start(master, 1_000_000L / Math.max(1, rate));
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        writer.stop();
                    } catch (InterruptedException ignored) {
                        // exiting anyway
                    }
                }));
                long start = System.nanoTime();
                boolean killed = false;
                boolean retargeted = false;
                Instant end = seconds > 0 ? Instant.now().plusSeconds(seconds) : Instant.MAX;
                while (Instant.now().isBefore(end)) {
                    Thread.sleep(1000);
                    long elapsed = (System.nanoTime() - start) / 1_000_000_000L;
                    DbServer current = retargeted ? candidate : master;
                    System.out.println(line(proxy, current, replica, writer, killed && !retargeted));
                    if (killAfter > 0 && !killed && elapsed >= killAfter) {
                        System.out.printf("demo: kill -9 the master (pid %d) with %d commits acknowledged%n",
                                master.pid(), writer.acknowledged().size());
                        master.kill9();
                        killed = true;
                    }
                    FailoverReport r = proxy.failover().status().last();
                    if (killed && !retargeted && r != null) {
                        System.out.println("demo: " + r.describe().replace("\n", "\ndemo:   "));
                        if (r.outcome() == FailoverReport.Outcome.COMMITTED) {
                            writer.retarget(candidate); // the application follows the new master (a VIP would)
                        }
                        retargeted = true;
                    }
                }
                writer.stop();
                return finish(proxy, retargeted ? candidate : master, replica, writer, archiveDir, killed);
            }
        }
    }

    /** The end: the replica caught up, and the acknowledged commits it lacks counted. */
    private static int finish(BinlogProxy proxy, DbServer current, DbServer replica, AckedWriter writer,
                              Path archiveDir, boolean killed) {
        try {
            replica.waitForReplicaCaughtUp(current, java.time.Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            System.out.println("demo: the replica did not catch up: " + e.getMessage());
            return 1;
        }
        int lost = writer.missingFrom(AckedWriter.idsOn(replica)).size();
        Map<String, String> s = replica.replicaStatus();
        System.out.printf("demo: %d commits acknowledged, %d of them missing on the replica (acknowledged commits"
                        + " lost: %d); the replica still replicates from the proxy 127.0.0.1:%s, now at %s:%s%s%n",
                writer.acknowledged().size(), lost, lost, s.get("Master_Port"), s.get("Relay_Master_Log_File"),
                s.get("Exec_Master_Log_Pos"), killed ? " (no CHANGE MASTER was run on it)" : "");
        System.out.println("demo: verify the archive with: bin/binlog-proxy verify --archive " + archiveDir);
        return lost == 0 && proxy.mirror().failure().isEmpty() ? 0 : 1;
    }

    /** One status line. */
    private static String line(BinlogProxy proxy, DbServer master, DbServer replica, AckedWriter writer,
                               boolean masterDown) {
        String masterAt = "down";
        String semi = "-";
        if (!masterDown) {
            try {
                var at = master.masterStatus();
                masterAt = at.file() + ":" + at.position();
                semi = "yes " + master.globalStatus("Rpl_semi_sync_master_yes_tx") + " no "
                        + master.globalStatus("Rpl_semi_sync_master_no_tx");
            } catch (RuntimeException e) {
                masterAt = "unreachable";
            }
        }
        java.util.List<ArchivedFile> files = proxy.archive().files();
        String archiveAt = proxy.archive().resumePosition().map(BinlogPosition::toString).orElse("-");
        return String.format("%s  acked %6d | master %s %-22s | archive %-22s (%d files) | semi-sync %s | mirror %s"
                        + " | failover %s | %s", Instant.now().toString().substring(11, 19),
                writer.acknowledged().size(), proxy.mirror().settings().connection().port(), masterAt, archiveAt,
                files.size(), semi, proxy.mirror().state(), proxy.failover().status().state(), replicaLine(replica));
    }

    /** The replica behind the proxy: its threads, where it read to, lag. */
    private static String replicaLine(DbServer replica) {
        try {
            Map<String, String> s = replica.replicaStatus();
            String err = s.getOrDefault("Last_IO_Error", "") + s.getOrDefault("Last_SQL_Error", "");
            return "replica of :" + s.get("Master_Port") + " IO " + s.get("Slave_IO_Running") + " SQL "
                    + s.get("Slave_SQL_Running") + " at " + s.get("Master_Log_File") + ":"
                    + s.get("Read_Master_Log_Pos") + " lag " + s.get("Seconds_Behind_Master") + "s"
                    + (err.isEmpty() ? "" : " error: " + err);
        } catch (RuntimeException e) {
            return "replica: " + e.getMessage();
        }
    }
}
