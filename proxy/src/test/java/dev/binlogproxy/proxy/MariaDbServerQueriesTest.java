package dev.binlogproxy.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.binlogproxy.testkit.BinaryLog;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;

/**
 * Real clients (mysql-connector-j, the mariadb CLI, a raw socket) against the proxy's server in front of a real
 * MariaDB 10.11 master: login with both plugins and a refused password, variables answered with the master's
 * values, the per-connection user variable store, unknown variables, admin SQL, a hostile packet.
 */
class MariaDbServerQueriesTest {
    @TempDir
    static Path dir;

    static DbServer master;
    static ServeHarness proxy;

    @BeforeAll
    static void start() throws Exception {
        master = DbServer.start(ServerOptions.mariadb().maxBinlogSize(1 << 16).build());
        master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
        master.execute("CREATE DATABASE q", "CREATE TABLE q.t (id INT PRIMARY KEY, v VARCHAR(200))");
        for (int i = 0; i < 400; i++) {
            master.execute("INSERT INTO q.t VALUES (" + i + ", REPEAT('x', 150))");
        }
        proxy = ServeHarness.start(master, dir, 9501, false);
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (master != null) {
            master.close();
        }
    }

    private static List<String> row(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), sql + ": no row");
            List<String> out = new ArrayList<>();
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                out.add(rs.getString(i));
            }
            return out;
        }
    }

    private static List<List<String>> rows(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            List<List<String>> out = new ArrayList<>();
            while (rs.next()) {
                List<String> r = new ArrayList<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    r.add(rs.getString(i));
                }
                out.add(r);
            }
            return out;
        }
    }

    @Test
    void variablesAreTheMastersAndUnknownOnesGet1193() throws Exception {
        try (Connection c = proxy.connect(ServeHarness.REPL, ServeHarness.REPL_PW); Statement st = c.createStatement()) {
            assertEquals(List.of(String.valueOf(master.serverId()), master.queryValue("SELECT @@version"), "CRC32"),
                    row(st, "SELECT @@GLOBAL.server_id, @@version,  @@global.`binlog_checksum`"));
            assertEquals(List.of("server_id", String.valueOf(master.serverId())),
                    row(st, "show variables like 'SERVER_ID'"));
            assertEquals(master.queryValue("SELECT @@global.gtid_domain_id"), row(st, "SELECT @@GLOBAL.gtid_domain_id").get(0));
            SQLException e = assertThrows(SQLException.class, () -> row(st, "SELECT @@GLOBAL.SERVER_UUID"));
            assertEquals(1193, e.getErrorCode());
            assertEquals("HY000", e.getSQLState());
            assertEquals("Unknown system variable 'server_uuid'", e.getMessage());
            SQLException e2 = assertThrows(SQLException.class, () -> st.execute("SET @x = @@global.no_such_var"));
            assertEquals(1193, e2.getErrorCode());
            assertEquals(List.of("0"), row(st, "SELECT @@global.rpl_semi_sync_master_enabled"));
            assertEquals(List.of("rpl_semi_sync_master_enabled", "OFF"),
                    row(st, "SHOW VARIABLES WHERE Variable_name IN ('rpl_semi_sync_master_enabled', 'rpl_semi_sync_source_enabled')"));
        }
    }

    @Test
    void userVariablesArePerConnection() throws Exception {
        try (Connection a = proxy.connect(ServeHarness.REPL, ServeHarness.REPL_PW);
             Connection b = proxy.connect(ServeHarness.REPL, ServeHarness.REPL_PW);
             Statement sa = a.createStatement(); Statement sb = b.createStatement()) {
            sa.execute("SET @master_binlog_checksum= @@global.binlog_checksum, @n := 42, @S = 'it''s', @z = NULL");
            assertEquals(java.util.Arrays.asList("CRC32", "42", "it's", null),
                    row(sa, "select @master_binlog_checksum, @N, @s AS s, @z"));
            assertEquals(java.util.Arrays.asList((String) null), row(sb, "SELECT @n"));
            sa.execute("SET @mariadb_slave_capability=4");
            assertEquals(List.of("4"), row(sa, "SELECT @mariadb_slave_capability"));
            assertEquals(List.of("1"), row(sa, "SELECT 1"));
        }
    }

    @Test
    void adminStatementsShowTheArchive() throws Exception {
        proxy.awaitCaughtUp(java.time.Duration.ofSeconds(30));
        try (Connection c = proxy.connect(ServeHarness.ADMIN, ServeHarness.ADMIN_PW); Statement st = c.createStatement()) {
            var at = master.masterStatus();
            assertEquals(List.of(at.file(), String.valueOf(at.position()), "", ""), row(st, "SHOW MASTER STATUS"));
            assertEquals(List.of(at.file(), String.valueOf(at.position()), "", ""), row(st, "show binary log status;"));
            List<List<String>> logs = new ArrayList<>();
            for (BinaryLog l : master.showBinaryLogs()) {
                logs.add(List.of(l.name(), String.valueOf(l.size())));
            }
            assertTrue(logs.size() >= 3, "the set-up should rotate: " + logs);
            assertEquals(logs, rows(st, "SHOW BINARY LOGS"));
            assertEquals(logs, rows(st, "SHOW MASTER LOGS"));
            assertEquals(List.of(), rows(st, "SHOW SLAVE HOSTS"));
            List<String> status = row(st, "SHOW SLAVE STATUS");
            assertTrue(status.contains(String.valueOf(master.port())), status.toString());
            assertTrue(status.contains("Yes"), status.toString());
            assertEquals(List.of(), rows(st, "SHOW WARNINGS"));
        }
    }

    /**
     * The state is scanned from where the last question left it, in the newest file only: a domain written in a file
     * that was neither the scanned one nor the newest must still be in the answer, through the newest file's
     * GTID_LIST.
     */
    @Test
    void gtidPositionFollowsFilesWrittenBetweenTwoQuestions() throws Exception {
        proxy.awaitCaughtUp(java.time.Duration.ofSeconds(30));
        try (Connection c = proxy.connect(ServeHarness.REPL, ServeHarness.REPL_PW); Statement st = c.createStatement()) {
            assertEquals(master.queryValue("SELECT @@gtid_binlog_pos"), row(st, "SELECT @@global.gtid_binlog_pos").get(0));
        }
        master.execute("FLUSH BINARY LOGS", "SET SESSION gtid_domain_id = 7", "INSERT INTO q.t VALUES (10001, 'd7')",
                "SET SESSION gtid_domain_id = 0", "FLUSH BINARY LOGS", "INSERT INTO q.t VALUES (10002, 'd0')",
                "FLUSH BINARY LOGS", "INSERT INTO q.t VALUES (10003, 'd0')");
        proxy.awaitCaughtUp(java.time.Duration.ofSeconds(30));
        String expected = master.queryValue("SELECT @@gtid_binlog_pos");
        assertTrue(expected.contains("7-"), expected);
        try (Connection c = proxy.connect(ServeHarness.REPL, ServeHarness.REPL_PW); Statement st = c.createStatement()) {
            assertEquals(expected, row(st, "SELECT @@global.gtid_binlog_pos").get(0));
        }
    }

    @Test
    void purgeNeedsAdminAndRemovesOnlyOldFiles() throws Exception {
        List<BinaryLog> logs = master.showBinaryLogs();
        String second = logs.get(1).name();
        try (Connection c = proxy.connect(ServeHarness.REPL, ServeHarness.REPL_PW); Statement st = c.createStatement()) {
            SQLException e = assertThrows(SQLException.class, () -> st.execute("PURGE BINARY LOGS TO '" + second + "'"));
            assertEquals(1227, e.getErrorCode());
        }
        try (Connection c = proxy.connect(ServeHarness.ADMIN, ServeHarness.ADMIN_PW); Statement st = c.createStatement()) {
            SQLException e = assertThrows(SQLException.class, () -> st.execute("PURGE BINARY LOGS TO 'nope.000001'"));
            assertEquals(1373, e.getErrorCode());
            st.execute("PURGE  binary LOGS to '" + second + "'");
            assertEquals(second, rows(st, "SHOW BINARY LOGS").get(0).get(0));
        }
    }

    @Test
    void wrongPasswordGets1045AndNothingElse() throws Exception {
        SQLException e = assertThrows(SQLException.class, () -> proxy.connect(ServeHarness.REPL, "wrong"));
        assertEquals(1045, e.getErrorCode());
        assertEquals("28000", e.getSQLState());
        SQLException unknown = assertThrows(SQLException.class, () -> proxy.connect("nobody", "x"));
        assertEquals(1045, unknown.getErrorCode());
        // the mariadb CLI, a libmariadb client
        Process p = new ProcessBuilder("mysql", "-h127.0.0.1", "-P" + proxy.port(), "-u" + ServeHarness.REPL,
                "-pwrong", "-e", "SELECT 1").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), out);
        assertTrue(out.contains("ERROR 1045 (28000): Access denied for user 'repl'@'127.0.0.1' (using password: YES)"),
                out);
    }

    @Test
    void bothPluginsLogIn() throws Exception {
        // MariaDB has no caching_sha2_password (and connector-j reads a "5.5.5-" server's AuthMoreData the
        // pre-5.5.16 way), so only mysql_native_password here; the MySQL test covers both and the switch.
        for (String user : List.of(ServeHarness.NATIVE_ONLY, ServeHarness.REPL)) {
            String pw = user.equals(ServeHarness.REPL) ? ServeHarness.REPL_PW : ServeHarness.OTHER_PW;
            try (Connection c = proxy.connect(user, pw); Statement st = c.createStatement()) {
                assertEquals(List.of("1"), row(st, "SELECT 1"));
            }
            assertEquals(1045, assertThrows(SQLException.class, () -> proxy.connect(user, "not-" + ServeHarness.OTHER_PW))
                    .getErrorCode());
        }
    }

    @Test
    void mysqlCliRunsItsStartupQueriesAndAdminSql() throws Exception {
        Process p = new ProcessBuilder("mysql", "-h127.0.0.1", "-P" + proxy.port(), "-u" + ServeHarness.REPL,
                "-p" + ServeHarness.REPL_PW, "--batch", "-e",
                "select @@version_comment limit 1; SHOW MASTER STATUS; SELECT VERSION(); SELECT @@gtid_binlog_pos;")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains(master.masterStatus().file()), out);
        assertTrue(out.contains(master.queryValue("SELECT VERSION()")), out);
        assertTrue(out.contains(master.queryValue("SELECT @@gtid_binlog_pos")), out);
    }

    @Test
    void aHostilePacketClosesOnlyItsSession() throws Exception {
        try (Connection other = proxy.connect(ServeHarness.REPL, ServeHarness.REPL_PW);
             Statement st = other.createStatement()) {
            try (Socket s = new Socket("127.0.0.1", proxy.port())) {
                s.setSoTimeout(10_000);
                InputStream in = s.getInputStream();
                byte[] header = in.readNBytes(4);
                in.readNBytes((header[0] & 0xFF) | (header[1] & 0xFF) << 8 | (header[2] & 0xFF) << 16);
                OutputStream out = s.getOutputStream();
                // a handshake response of 3 bytes at sequence 1
                out.write(new byte[] {3, 0, 0, 1, 0x55, 0x66, 0x77});
                out.flush();
                byte[] h = in.readNBytes(4);
                int len = (h[0] & 0xFF) | (h[1] & 0xFF) << 8 | (h[2] & 0xFF) << 16;
                byte[] err = in.readNBytes(len);
                assertEquals(0xFF, err[0] & 0xFF);
                assertEquals(1043, (err[1] & 0xFF) | (err[2] & 0xFF) << 8);
                assertEquals("#08S01", new String(err, 3, 6, StandardCharsets.US_ASCII));
                assertEquals(-1, in.read(), "the server closes after the ERR");
            }
            assertEquals(List.of("1"), row(st, "SELECT 1"));
        }
    }
}
