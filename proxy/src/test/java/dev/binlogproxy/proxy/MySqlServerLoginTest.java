package dev.binlogproxy.proxy;

import dev.binlogproxy.downstream.ServerSettings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
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

import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;

/**
 * The proxy in front of a real MySQL 8.0.15 master, with TLS and caching_sha2_password as MySQL runs it (first
 * login of a user takes the full path): connector-j logs in over TLS (cleartext full path) and without (RSA key
 * full path), then by the fast path; a native-only user is switched; wrong passwords get 1045; TLS is offered in
 * the greeting; MySQL-only variables carry the master's values.
 */
class MySqlServerLoginTest {
    @TempDir
    static Path dir;

    static DbServer master;
    static ServeHarness proxy;

    @BeforeAll
    static void start() throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                key.toString(), "-out", cert.toString(), "-days", "2", "-subj", "/CN=binlog-proxy-test")
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "openssl");
        master = DbServer.start(ServerOptions.mysql().gtid(true).build());
        master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
        master.execute("CREATE DATABASE q", "CREATE TABLE q.t (id INT PRIMARY KEY)", "INSERT INTO q.t VALUES (1), (2)");
        ServerSettings settings = new ServerSettings("127.0.0.1", 0, null, null, true, ServeHarness.users(), cert, key,
                false, true);
        proxy = ServeHarness.start(master, dir, 9801, false, settings);
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

    private static Connection connect(String user, String password, String sslMode) throws SQLException {
        return DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + proxy.port() + "/?sslMode=" + sslMode
                + "&allowPublicKeyRetrieval=true&connectTimeout=10000&socketTimeout=60000", user, password);
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

    @Test
    void sha2FullPathWithRsaKeyThenFastPath() throws Exception {
        // first login: full authentication, the password RSA-encrypted with the key the driver fetched
        try (Connection c = connect(ServeHarness.SHA2_ONLY, ServeHarness.OTHER_PW, "DISABLED")) {
            assertEquals(List.of("1"), row(c.createStatement(), "SELECT 1"));
        }
        // cached now: the fast path
        try (Connection c = connect(ServeHarness.SHA2_ONLY, ServeHarness.OTHER_PW, "DISABLED")) {
            assertEquals(List.of("1"), row(c.createStatement(), "SELECT 1"));
        }
        SQLException e = assertThrows(SQLException.class,
                () -> connect(ServeHarness.SHA2_ONLY, "wrong", "DISABLED"));
        assertEquals(1045, e.getErrorCode());
        assertEquals("28000", e.getSQLState());
    }

    @Test
    void sha2FullPathOverTls() throws Exception {
        SQLException wrong = assertThrows(SQLException.class, () -> connect(ServeHarness.ADMIN, "wrong", "REQUIRED"));
        assertEquals(1045, wrong.getErrorCode());
        try (Connection c = connect(ServeHarness.ADMIN, ServeHarness.ADMIN_PW, "REQUIRED")) {
            assertEquals(List.of("YES"), row(c.createStatement(), "SELECT @@have_ssl"));
            assertEquals(List.of("1"), row(c.createStatement(), "SELECT 1"));
        }
    }

    @Test
    void nativeOnlyUserIsSwitchedFromTheGreetingsPlugin() throws Exception {
        try (Connection c = connect(ServeHarness.NATIVE_ONLY, ServeHarness.OTHER_PW, "DISABLED")) {
            assertEquals(List.of("1"), row(c.createStatement(), "SELECT 1"));
        }
        assertEquals(1045, assertThrows(SQLException.class,
                () -> connect(ServeHarness.NATIVE_ONLY, ServeHarness.REPL_PW, "DISABLED")).getErrorCode());
    }

    /**
     * A real replica with MASTER_SSL=1: the IO thread's SSL request, TLS, and a dump over TLS, where events the
     * sender would pass as file regions (large rows) are copied through the SslHandler instead.
     */
    @Test
    void aReplicaReplicatesOverTls() throws Exception {
        try (DbServer replica = DbServer.start(ServerOptions.mysql().gtid(true).build())) {
            replica.replicateFrom("127.0.0.1", proxy.port(), ServeHarness.REPL, ServeHarness.REPL_PW, true);
            replica.execute("STOP SLAVE", "CHANGE MASTER TO MASTER_SSL=1", "START SLAVE");
            try (Connection c = master.connect();
                 java.sql.PreparedStatement ps = c.prepareStatement("INSERT INTO q.big VALUES (?, ?)")) {
                c.createStatement().execute("CREATE TABLE IF NOT EXISTS q.big (id INT PRIMARY KEY, b LONGBLOB)");
                byte[] blob = new byte[600_000];
                new java.util.SplittableRandom(9).nextBytes(blob);
                for (int i = 0; i < 5; i++) {
                    ps.setInt(1, i);
                    ps.setBytes(2, blob);
                    ps.executeUpdate();
                }
            }
            replica.waitForReplicaCaughtUp(master, java.time.Duration.ofSeconds(120));
            assertEquals(master.query("CHECKSUM TABLE q.big"), replica.query("CHECKSUM TABLE q.big"));
            var status = replica.replicaStatus();
            assertEquals("Yes", status.get("Master_SSL_Allowed"), status.toString());
            assertEquals("0", status.get("Last_IO_Errno"), status.toString());
        }
    }

    /** The state is scanned from where the last question left it, in the newest file only (its PREVIOUS_GTIDS). */
    @Test
    void gtidExecutedFollowsFilesWrittenBetweenTwoQuestions() throws Exception {
        proxy.awaitCaughtUp(java.time.Duration.ofSeconds(30));
        try (Connection c = connect(ServeHarness.REPL, ServeHarness.REPL_PW, "PREFERRED");
             Statement st = c.createStatement()) {
            assertEquals(master.queryValue("SELECT @@GLOBAL.gtid_executed").replace("\n", ""),
                    row(st, "SELECT @@global.gtid_executed").get(0));
        }
        master.execute("FLUSH BINARY LOGS", "INSERT INTO q.t VALUES (10001)", "FLUSH BINARY LOGS",
                "INSERT INTO q.t VALUES (10002)", "FLUSH BINARY LOGS", "INSERT INTO q.t VALUES (10003)");
        proxy.awaitCaughtUp(java.time.Duration.ofSeconds(30));
        try (Connection c = connect(ServeHarness.REPL, ServeHarness.REPL_PW, "PREFERRED");
             Statement st = c.createStatement()) {
            assertEquals(master.queryValue("SELECT @@GLOBAL.gtid_executed").replace("\n", ""),
                    row(st, "SELECT @@global.gtid_executed").get(0));
        }
    }

    @Test
    void mysqlVariablesAreTheMasters() throws Exception {
        proxy.awaitCaughtUp(java.time.Duration.ofSeconds(30));
        try (Connection c = connect(ServeHarness.REPL, ServeHarness.REPL_PW, "PREFERRED");
             Statement st = c.createStatement()) {
            assertEquals(List.of(master.serverUuid(), "ON", String.valueOf(master.serverId())),
                    row(st, "SELECT @@GLOBAL.SERVER_UUID, @@GLOBAL.GTID_MODE, @@server_id"));
            String executed = master.queryValue("SELECT @@GLOBAL.gtid_executed").replace("\n", "");
            assertEquals(executed, row(st, "SELECT @@global.gtid_executed").get(0));
            var at = master.masterStatus();
            assertEquals(List.of(at.file(), String.valueOf(at.position()), "", "", executed),
                    row(st, "SHOW MASTER STATUS"));
            assertEquals(List.of("1"), row(st, "SELECT @@global.rpl_semi_sync_master_enabled"));
            SQLException e = assertThrows(SQLException.class, () -> row(st, "SELECT @@GLOBAL.gtid_domain_id"));
            assertEquals(1193, e.getErrorCode());
            SQLException notSupported = assertThrows(SQLException.class, () -> st.execute("DROP TABLE q.t"));
            assertEquals(1235, notSupported.getErrorCode());
        }
    }
}
