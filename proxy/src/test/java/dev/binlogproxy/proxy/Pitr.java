package dev.binlogproxy.proxy;

import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.proxy.cli.BinlogProxyCli;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.Flavor;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Point-in-time recovery as a DBA runs it, with the tools they use: a logical backup with its binlog coordinates
 * (mariadb-dump --master-data=2), restored into a fresh server, then binlogs applied from those coordinates with
 * mariadb-binlog piped into the mariadb client. Shared by the PITR tests; every command runs through bash so a
 * failure shows the exact pipeline and its output.
 */
final class Pitr {
    static final String DB = "shop";
    static final String[] TABLES = {"shop.customers", "shop.orders", "shop.blobs"};
    /** The mariadb client gets packets this big: the replay of a >16 MB row event is a ~23 MB BINLOG statement. */
    private static final String CLIENT = "mariadb --protocol=TCP --host=127.0.0.1 --user=root --skip-ssl"
            + " --max-allowed-packet=1G --port=";
    /**
     * mariadb-binlog decodes MySQL 8.0.15's binlogs, but its first SET names two MariaDB-only session variables;
     * MySQL applies the rest as it is (docs/operations.md).
     */
    private static final String MYSQL_FILTER =
            " | sed -E 's/, @@session\\.(check_constraint_checks|system_versioning_insert_history)=[0-9]+//g'";
    private static final DateTimeFormatter TOOLS_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());
    private static final Pattern COORDINATES = Pattern.compile(
            "CHANGE MASTER TO MASTER_LOG_FILE='([^']+)', MASTER_LOG_POS=([0-9]+)");

    private Pitr() {
    }

    /** A logical backup and the binlog coordinates it was consistent with. */
    record Backup(Path sql, BinlogPosition coordinates) {
    }

    /** The schema and first rows: what the backup will hold. */
    static void seed(DbServer master) {
        master.execute("CREATE DATABASE " + DB,
                "CREATE TABLE shop.customers (id INT PRIMARY KEY, name VARCHAR(100), credit BIGINT)",
                "CREATE TABLE shop.orders (id INT PRIMARY KEY AUTO_INCREMENT, customer INT, amount DECIMAL(10,2),"
                        + " note VARCHAR(200))",
                "INSERT INTO shop.customers VALUES (1, 'ada', 100), (2, 'grace', 200), (3, 'linus', 300)",
                "INSERT INTO shop.orders (customer, amount, note) VALUES (1, 10.50, 'first'), (2, 20.00, 'second')");
    }

    /**
     * mariadb-dump --single-transaction --master-data=2 of {@link #DB}: the dump and the coordinates its
     * (commented) CHANGE MASTER names, as a DBA's backup script keeps them.
     */
    static Backup dump(DbServer master, Path dir) throws Exception {
        Path sql = dir.resolve("backup.sql");
        bash(dir, "backup", "mariadb-dump --protocol=TCP --host=127.0.0.1 --port=" + master.port()
                + " --user=root --skip-ssl --single-transaction --master-data=2 --databases " + DB + " > '" + sql + "'");
        Matcher m = COORDINATES.matcher(Files.readString(sql));
        assertTrue(m.find(), "no CHANGE MASTER coordinates in the backup " + sql);
        return new Backup(sql, new BinlogPosition(m.group(1), Long.parseLong(m.group(2))));
    }

    /**
     * Writes that a restore must replay: rows, a multi-statement transaction, DDL (ALTER, CREATE TABLE), a row
     * event over 16 MB, and rotations (FLUSH and size), so the range spans several files.
     */
    static void changes(DbServer master, int base) throws Exception {
        try (Connection c = master.connect(); Statement st = c.createStatement()) {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO shop.orders (customer, amount, note) VALUES (?, ?, REPEAT(?, 150))")) {
                for (int i = 0; i < 120; i++) {
                    ps.setInt(1, 1 + i % 3);
                    ps.setBigDecimal(2, java.math.BigDecimal.valueOf(base + i, 2));
                    ps.setString(3, Character.toString('a' + i % 26));
                    ps.executeUpdate();
                    if (i == 60) {
                        st.execute("FLUSH BINARY LOGS");
                    }
                }
            }
            st.execute("BEGIN");
            st.execute("UPDATE shop.customers SET credit = credit - 5 WHERE id = 1");
            st.execute("INSERT INTO shop.customers VALUES (" + (base + 10) + ", 'new', 0)");
            st.execute("COMMIT");
            if (base == 0) {
                st.execute("ALTER TABLE shop.orders ADD COLUMN status VARCHAR(10) NOT NULL DEFAULT 'open'");
                st.execute("CREATE TABLE shop.blobs (id INT PRIMARY KEY, body LONGBLOB)");
                // one row event over 16 MB: the dump splits it into several packets, the replay is one statement
                st.execute("INSERT INTO shop.blobs VALUES (1, REPEAT('x', 17 * 1024 * 1024))");
            }
            st.execute("UPDATE shop.orders SET status = 'paid' WHERE id % 4 = 0 AND id > " + base);
            st.execute("INSERT INTO shop.blobs VALUES (" + (base + 2) + ", REPEAT('y', 1000))");
        }
    }

    /** Writes after the mistake, which a restore must not replay; they touch no table the mistake may have dropped. */
    static void laterWrites(DbServer master) throws Exception {
        try (Connection c = master.connect(); Statement st = c.createStatement()) {
            for (int i = 0; i < 50; i++) {
                st.execute("INSERT INTO shop.blobs VALUES (" + (5000 + i) + ", REPEAT('z', 2000))");
            }
            st.execute("FLUSH BINARY LOGS");
            st.execute("CREATE TABLE shop.audit (id INT PRIMARY KEY)");
            st.execute("INSERT INTO shop.audit VALUES (1), (2)");
            st.execute("DELETE FROM shop.blobs WHERE id = 1");
        }
    }

    /** The tables' CHECKSUM TABLE, the restore's oracle. */
    static List<String> checksums(DbServer server) {
        List<String> out = new ArrayList<>();
        for (String t : TABLES) {
            out.add(t + "=" + server.query("CHECKSUM TABLE " + t).get(0).get(1));
        }
        return out;
    }

    /** Lets the clock pass a whole second, so that what follows is timestamped at or after the returned time. */
    static Instant nextSecond() throws InterruptedException {
        Instant boundary = Instant.ofEpochSecond(Instant.now().getEpochSecond() + 1);
        Thread.sleep(Duration.between(Instant.now(), boundary).toMillis() + 150);
        return boundary;
    }

    /** The form --stop-datetime takes: local time, whole seconds. */
    static String toolsTime(Instant t) {
        return TOOLS_TIME.format(t);
    }

    /** The last GTID the master wrote (one domain or one source): MariaDB d-s-n, MySQL uuid:n. */
    static String lastGtid(DbServer master) {
        if (master.flavor() == Flavor.MARIADB) {
            return master.queryValue("SELECT @@GLOBAL.gtid_binlog_pos");
        }
        String executed = master.queryValue("SELECT @@GLOBAL.gtid_executed").replace("\n", "");
        assertTrue(executed.matches("[0-9a-f-]{36}:1-[0-9]+"), executed);
        return executed.substring(0, 37) + executed.substring(executed.lastIndexOf('-') + 1);
    }

    /** Empties the restore target and loads the backup into it. */
    static void restoreBackup(DbServer target, Backup backup, Path dir) throws Exception {
        target.execute("DROP DATABASE IF EXISTS " + DB);
        bash(dir, "restore-backup", CLIENT + target.port() + " < '" + backup.sql() + "'");
    }

    /** Pipes {@code binlogCommand}'s SQL into the target (filtered for MySQL). */
    static String apply(DbServer target, String binlogCommand, Path dir, String what) throws Exception {
        return bash(dir, what, "set -o pipefail; " + binlogCommand
                + (target.flavor() == Flavor.MYSQL ? MYSQL_FILTER : "") + " | " + CLIENT + target.port());
    }

    /** mariadb-binlog reading from the proxy as from a master, with the proxy's replication account. */
    static String remote(int proxyPort) {
        return "mariadb-binlog --read-from-remote-server --host=127.0.0.1 --port=" + proxyPort + " --user="
                + ServeHarness.REPL + " --password=" + ServeHarness.REPL_PW;
    }

    /** Runs the binlog-proxy CLI in this JVM; returns what it printed, asserting exit 0. */
    static String cli(String... args) {
        return cli(0, args);
    }

    /** Runs the binlog-proxy CLI in this JVM; returns what it printed, asserting the exit code. */
    static String cli(int expectedExit, String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        int exit;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            exit = BinlogProxyCli.run(args);
        } finally {
            System.setOut(saved);
        }
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertEquals(expectedExit, exit, String.join(" ", args) + "\n" + printed);
        return printed;
    }

    /** A "FILE:POS" that follows {@code label} in find's output. */
    static BinlogPosition positionAfter(String printed, String label) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(label) + "\\s*(\\S+):([0-9]+)").matcher(printed);
        assertTrue(m.find(), "no '" + label + "' in:\n" + printed);
        return new BinlogPosition(m.group(1), Long.parseLong(m.group(2)));
    }

    /** The files of the range, first to last, quoted for the shell: every one named (--stop-position needs it). */
    static String files(List<String> names, Path in) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            out.add(in == null ? n : "'" + in.resolve(n) + "'");
        }
        return String.join(" ", out);
    }

    static String bash(Path dir, String what, String command) throws Exception {
        Path log = dir.resolve(what + ".log");
        Process p = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), what + " took too long: " + command);
        String output = Files.readString(log);
        assertEquals(0, p.exitValue(), what + ": " + command + "\n" + output);
        return output;
    }
}
