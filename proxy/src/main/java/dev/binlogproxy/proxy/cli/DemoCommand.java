package dev.binlogproxy.proxy.cli;

import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.protocol.auth.PasswordHash;
import dev.binlogproxy.proxy.BinlogProxy;
import dev.binlogproxy.proxy.config.ProxyConfig;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The embedded default: a local demo master (MariaDB 10.11 from the test kit, semi-sync on), the proxy mirroring
 * it into a temporary archive as its semi-sync replica and serving it, a real MariaDB replica replicating from the
 * proxy (GTID, semi-sync toward the proxy), a steady workload, and every second the master's, the archive's and
 * the replica's positions with the semi-sync counters on both hops.
 */
@Command(name = "demo", description = "Run the embedded demo: a local master, the proxy mirroring it, live status.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--seconds", defaultValue = "0", description = "Stop after this many seconds (0: until Ctrl-C).")
    long seconds;

    @Option(names = "--rate", defaultValue = "200", description = "Transactions per second the demo client writes.")
    int rate;

    @Override
    public Integer call() throws Exception {
        System.out.println("demo: starting a local MariaDB master (test kit) ...");
        ServerOptions options = ServerOptions.mariadb().semiSyncMaster(true).maxBinlogSize(1 << 20).build();
        Path archiveDir = Files.createTempDirectory("binlog-proxy-demo-archive");
        try (DbServer master = DbServer.start(options)) {
            master.createReplicationUser("repl", "demo-pw");
            PasswordHash hash = PasswordHash.of("demo-pw");
            String yaml = """
                    upstream: {host: 127.0.0.1, port: %d, user: repl, password: demo-pw, serverId: 9100,
                               semiSync: true, heartbeat: 1s}
                    archive: {dir: '%s', durability: fsync}
                    server:
                      port: 0
                      users:
                        repl: {mysqlNativePassword: '%s', cachingSha2Password: '%s', permissions: [replication, admin]}
                    metrics: {port: 0}
                    """.formatted(master.port(), archiveDir, hash.nativeText().orElseThrow(),
                    hash.sha2Text().orElseThrow());
            ProxyConfig cfg = ProxyConfig.parse(yaml, null);
            System.out.printf("demo: master %s on 127.0.0.1:%d; proxy archive %s%n", master.version(), master.port(),
                    archiveDir);
            try (BinlogProxy proxy = BinlogProxy.start(cfg);
                 DbServer replica = DbServer.start(ServerOptions.mariadb().semiSyncSlave(true).build())) {
                int proxyPort = proxy.server().port();
                // the proxy serves once it holds the master's first file; a replica refused before retries only
                // after MASTER_CONNECT_RETRY (60 s)
                for (int i = 0; i < 300 && proxy.archive().files().isEmpty(); i++) {
                    Thread.sleep(100);
                }
                System.out.printf("demo: proxy serving on 127.0.0.1:%d (try: mysql -h127.0.0.1 -P%d -urepl -pdemo-pw "
                        + "-e 'SHOW MASTER STATUS; SHOW REPLICAS')%n", proxyPort, proxyPort);
                replica.replicateFrom("127.0.0.1", proxyPort, "repl", "demo-pw", true);
                System.out.printf("demo: replica %s on 127.0.0.1:%d replicates from the proxy (GTID, semi-sync)%n",
                        replica.version(), replica.port());
                AtomicBoolean stop = new AtomicBoolean();
                AtomicLong committed = new AtomicLong();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> stop.set(true)));
                Thread writer = new Thread(() -> write(master, stop, committed), "demo-writer");
                writer.setDaemon(true);
                writer.start();
                Instant end = seconds > 0 ? Instant.now().plusSeconds(seconds) : Instant.MAX;
                while (!stop.get() && Instant.now().isBefore(end)) {
                    Thread.sleep(1000);
                    var masterAt = master.masterStatus();
                    String archiveAt = proxy.archive().resumePosition().map(BinlogPosition::toString).orElse("-");
                    System.out.printf("%s  commits %7d | master %-22s | archive %-22s | semi-sync yes %6s no %3s"
                                    + " | %d files | mirror %s | %s%n",
                            Instant.now().toString().substring(11, 19), committed.get(), masterAt, archiveAt,
                            master.globalStatus("Rpl_semi_sync_master_yes_tx"),
                            master.globalStatus("Rpl_semi_sync_master_no_tx"),
                            proxy.archive().files().size(), proxy.mirror().state(), replicaLine(replica, proxy));
                }
                stop.set(true);
                writer.join(Duration.ofSeconds(5).toMillis());
                System.out.println("demo: verify the archive with: bin/binlog-proxy verify --archive " + archiveDir);
                return proxy.mirror().failure().isPresent() ? 1 : 0;
            }
        }
    }

    /** The replica behind the proxy: its threads, where it read to, lag, and the acks it sent the proxy. */
    private static String replicaLine(DbServer replica, BinlogProxy proxy) {
        try {
            Map<String, String> s = replica.replicaStatus();
            String err = s.getOrDefault("Last_IO_Error", "") + s.getOrDefault("Last_SQL_Error", "");
            return "replica IO " + s.get("Slave_IO_Running") + " SQL " + s.get("Slave_SQL_Running") + " at "
                    + s.get("Master_Log_File") + ":" + s.get("Read_Master_Log_Pos") + " lag "
                    + s.get("Seconds_Behind_Master") + "s acks " + proxy.server().acksReceived()
                    + (err.isEmpty() ? "" : " error: " + err);
        } catch (RuntimeException e) {
            return "replica: " + e.getMessage();
        }
    }

    private void write(DbServer master, AtomicBoolean stop, AtomicLong committed) {
        try (Connection c = master.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE IF NOT EXISTS demo");
            st.execute("CREATE TABLE IF NOT EXISTS demo.orders (id BIGINT PRIMARY KEY AUTO_INCREMENT, "
                    + "customer INT, amount DECIMAL(10,2), created TIMESTAMP DEFAULT CURRENT_TIMESTAMP)");
            long nanosPer = 1_000_000_000L / Math.max(1, rate);
            long next = System.nanoTime();
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO demo.orders (customer, amount) VALUES (?, ?)")) {
                while (!stop.get()) {
                    ps.setInt(1, (int) (committed.get() % 1000));
                    ps.setBigDecimal(2, java.math.BigDecimal.valueOf(committed.get() % 10000, 2));
                    ps.executeUpdate();
                    committed.incrementAndGet();
                    next += nanosPer;
                    long sleep = next - System.nanoTime();
                    if (sleep > 0) {
                        Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                    }
                }
            }
        } catch (Exception e) {
            if (!stop.get()) {
                System.err.println("demo: writer stopped: " + e);
            }
        }
    }
}
