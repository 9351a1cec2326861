package dev.binlogproxy.proxy.cli;

import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.MariaGtidEvent;
import dev.binlogproxy.binlog.file.BinlogFileDamagedException;
import dev.binlogproxy.binlog.file.BinlogFileReader;
import dev.binlogproxy.binlog.file.FileEvent;
import dev.binlogproxy.testkit.BinaryLog;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The embedded default: starts a local demo master (MariaDB 10.11 from the test kit), writes a steady workload
 * into it and shows, every second, the master's binlog as this project's reader validates it while it grows.
 * The mirror (issue 3) and a replica behind the proxy (issue 4) join this demo as they land.
 */
@Command(name = "demo", description = "Run the embedded demo: a local master, a workload and live binlog status.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--seconds", defaultValue = "0", description = "Stop after this many seconds (0: until Ctrl-C).")
    long seconds;

    @Option(names = "--rate", defaultValue = "200", description = "Transactions per second the demo client writes.")
    int rate;

    @Override
    public Integer call() throws Exception {
        ServerOptions options = ServerOptions.mariadb().maxBinlogSize(1 << 20).build();
        System.out.println("demo: starting a local MariaDB master (test kit) ...");
        try (DbServer master = DbServer.start(options)) {
            System.out.printf("demo: master %s on 127.0.0.1:%d, datadir %s%n", master.version(), master.port(),
                    master.dataDir());
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong committed = new AtomicLong();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stop.set(true)));
            Thread writer = new Thread(() -> write(master, stop, committed), "demo-writer");
            writer.setDaemon(true);
            writer.start();
            Map<String, Tail> tails = new LinkedHashMap<>();
            Instant end = seconds > 0 ? Instant.now().plusSeconds(seconds) : Instant.MAX;
            while (!stop.get() && Instant.now().isBefore(end)) {
                Thread.sleep(1000);
                long events = 0;
                long txns = 0;
                String last = "-";
                for (BinaryLog log : master.showBinaryLogs()) {
                    Tail t = tails.computeIfAbsent(log.name(), n -> new Tail(master.binlogFile(n)));
                    t.advance();
                    events += t.events;
                    txns += t.transactions;
                    if (t.lastGtid != null) {
                        last = t.lastGtid;
                    }
                }
                System.out.printf("%s  master commits %7d | binlog files %3d  events %8d  transactions %7d  "
                                + "last GTID %-12s %s%n", Instant.now().toString().substring(11, 19), committed.get(),
                        tails.size(), events, txns, last, tails.values().stream().anyMatch(t -> t.damage != null)
                                ? "DAMAGED" : "valid");
            }
            stop.set(true);
            writer.join(Duration.ofSeconds(5).toMillis());
            tails.values().forEach(Tail::close);
            return tails.values().stream().anyMatch(t -> t.damage != null) ? 1 : 0;
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

    /** Follows one growing binlog file with the validating reader. */
    private static final class Tail {
        private final java.nio.file.Path file;
        private BinlogFileReader reader;
        long events;
        long transactions;
        String lastGtid;
        String damage;

        Tail(java.nio.file.Path file) {
            this.file = file;
        }

        void advance() {
            if (damage != null) {
                return;
            }
            try {
                if (reader == null) {
                    reader = BinlogFileReader.open(file);
                }
                for (FileEvent e = reader.next(); e != null; e = reader.next()) {
                    events++;
                    if (e.event().type() == EventType.MARIA_GTID) {
                        lastGtid = MariaGtidEvent.decode(e.event(), reader.checksum()).gtid().toString();
                    }
                }
                transactions = reader.completedTransactions();
            } catch (BinlogFileDamagedException e) {
                if (e.damage().kind() == dev.binlogproxy.binlog.file.BinlogDamage.Kind.TRUNCATED_TAIL) {
                    // The master is mid-write: reopen next time and re-read up to the new end.
                    close();
                    reader = null;
                    events = 0;
                } else {
                    damage = e.getMessage();
                }
            } catch (java.io.IOException e) {
                damage = e.toString();
            }
        }

        void close() {
            try {
                if (reader != null) {
                    reader.close();
                }
            } catch (java.io.IOException ignored) {
                // closing a read-only file
            }
        }
    }
}
