package dev.binlogproxy.proxy;

import dev.binlogproxy.failover.FailoverMode;
import dev.binlogproxy.proxy.cli.BinlogProxyCli;
import dev.binlogproxy.testkit.AckedWriter;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.Flavor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an operator sees, against real MariaDB servers: {@code binlog-proxy status} and {@code SHOW BINLOG PROXY
 * STATUS} (admin users only) list the master, the candidate with its verdict and every registered replica;
 * {@code binlog-proxy failover --dry-run} prints the plan and changes nothing; {@code binlog-proxy failover} refuses
 * while the master answers, and promotes once it is dead.
 */
class StatusAndCommandsTest {
    @TempDir
    Path dir;

    @Test
    void statusDryRunAndFailoverOnCommand() throws Exception {
        try (FailoverHarness h = FailoverHarness.start(Flavor.MARIADB, dir, 1, FailoverMode.MANUAL,
                Duration.ofSeconds(1), null)) {
            DbServer candidate = h.candidates.get(0);
            AckedWriter writer = AckedWriter.start(h.master, 0);
            writer.awaitMore(100);
            writer.stop();
            h.byPosition.waitForReplicaCaughtUp(h.master, Duration.ofSeconds(30));
            candidate.waitForReplicaCaughtUp(h.master, Duration.ofSeconds(30));
            String admin = "http://127.0.0.1:" + h.adminPort;

            Cli status = cli("status", "--admin", admin);
            assertEquals(0, status.exit, status.out);
            assertTrue(status.out.lines().anyMatch(l -> l.contains(String.valueOf(h.master.port()))
                    && l.contains("master") && l.contains("streaming")), status.out);
            assertTrue(status.out.lines().anyMatch(l -> l.contains(String.valueOf(candidate.port()))
                    && l.contains("candidate") && l.contains("ready")), status.out);
            // every replica of the proxy (the candidate is one too), with where its dump stands
            assertTrue(status.out.lines().filter(l -> l.contains("replica") && l.contains("dumping")
                    && l.contains("mysql-bin.")).count() >= 3, status.out);
            assertTrue(status.out.lines().anyMatch(l -> l.contains("server_id " + h.byPosition.serverId())
                    && l.contains("file/position")), status.out);
            assertTrue(status.out.lines().anyMatch(l -> l.contains("server_id " + h.byGtid.serverId())
                    && l.contains("GTID")), status.out);

            List<List<String>> sql = new ArrayList<>();
            try (Connection c = ServeHarness.connect(h.proxyPort(), ServeHarness.ADMIN, ServeHarness.ADMIN_PW);
                 Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW BINLOG PROXY STATUS")) {
                while (rs.next()) {
                    sql.add(List.of(rs.getString("Role"), rs.getString("Port"), rs.getString("State")));
                }
            }
            assertTrue(sql.contains(List.of("candidate", String.valueOf(candidate.port()), "ready")), sql.toString());
            try (Connection c = ServeHarness.connect(h.proxyPort(), ServeHarness.REPL, ServeHarness.REPL_PW);
                 Statement st = c.createStatement()) {
                st.executeQuery("SHOW BINLOG PROXY STATUS");
                throw new AssertionError("a replication user read the proxy's status");
            } catch (java.sql.SQLException e) {
                assertEquals(1227, e.getErrorCode(), e.getMessage());
            }

            Cli dry = cli("failover", "--dry-run", "--admin", admin);
            assertEquals(0, dry.exit, dry.out);
            assertTrue(dry.out.contains("would be chosen"), dry.out);
            assertTrue(dry.out.contains("ALIGN_NUMBERING") && dry.out.contains("REPOINT"), dry.out);
            assertEquals(1, h.proxy.archive().epochs().size(), "a dry run changed the archive");

            Cli live = cli("failover", "--admin", admin);
            assertEquals(1, live.exit, live.out);
            assertTrue(live.out.contains("answers: a failover never replaces a live master"), live.out);

            h.master.kill9();
            Cli run = cli("failover", "--admin", admin);
            assertEquals(0, run.exit, run.out);
            assertTrue(run.out.contains("COMMITTED, new master 127.0.0.1:" + candidate.port()), run.out);
            FailoverHarness.assertHasEveryAcked(writer, candidate);
            Cli after = cli("status", "--admin", admin);
            assertTrue(after.out.contains("failover COMMITTED") || after.out.contains("last: failover COMMITTED"),
                    after.out);
        }
    }

    private record Cli(int exit, String out) {
    }

    private static Cli cli(String... args) {
        PrintStream was = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int exit = BinlogProxyCli.run(args);
            return new Cli(exit, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(was);
        }
    }
}
