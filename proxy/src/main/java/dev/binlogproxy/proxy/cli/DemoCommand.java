package dev.binlogproxy.proxy.cli;

import dev.binlogproxy.binlog.position.BinlogPosition;
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
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The embedded default: a local demo master (MariaDB 10.11 from the test kit, semi-sync on), the proxy mirroring
 * it into a temporary archive as its semi-sync replica, a steady workload, and every second the master's and the
 * archive's positions and the master's semi-sync counters. A replica behind the proxy joins with the serve issue.
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
            String yaml = """
                    upstream: {host: 127.0.0.1, port: %d, user: repl, password: demo-pw, serverId: 9100,
                               semiSync: true, heartbeat: 1s}
                    archive: {dir: '%s', durability: fsync}
                    metrics: {port: 0}
                    """.formatted(master.port(), archiveDir);
            ProxyConfig cfg = ProxyConfig.parse(yaml, null);
            System.out.printf("demo: master %s on 127.0.0.1:%d; proxy archive %s%n", master.version(), master.port(),
                    archiveDir);
            try (RunCommand.Running proxy = RunCommand.Running.start(cfg)) {
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
                    String archiveAt = proxy.archive.resumePosition().map(BinlogPosition::toString).orElse("-");
                    System.out.printf("%s  commits %7d | master %-26s | archive %-26s | semi-sync yes %6s no %3s"
                                    + " | %d files | mirror %s%n",
                            Instant.now().toString().substring(11, 19), committed.get(), masterAt, archiveAt,
                            master.globalStatus("Rpl_semi_sync_master_yes_tx"),
                            master.globalStatus("Rpl_semi_sync_master_no_tx"),
                            proxy.archive.files().size(), proxy.mirror.state());
                }
                stop.set(true);
                writer.join(Duration.ofSeconds(5).toMillis());
                System.out.println("demo: verify the archive with: bin/binlog-proxy verify --archive " + archiveDir);
                return proxy.mirror.failure().isPresent() ? 1 : 0;
            }
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
