package dev.binlogproxy.proxy;

import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code binlog-proxy run} on each bad configuration a DBA met (issue 13), as a child process: exit 2, one line
 * naming the key, and the password written in the file appears nowhere in the output. The last case is a password
 * the master refuses: it is tried {@code upstream.maxLoginFailures} times, then the same one line. An unknown
 * {@code -Dbinlogproxy.transport} stops the start the same way, naming the property, and so does epoll required
 * where its native library may not load.
 */
class BadConfigStopsWithOneLineTest {
    @TempDir
    Path dir;

    private record Case(String name, String yaml, String key, List<String> secrets) {
    }

    private static final String GOOD_REST = """
            archive: {dir: archive}
            metrics: {port: 0}
            server: {port: 0}
            """;

    @Test
    void eachBadConfigExits2WithOneLineNamingTheKeyAndNoPassword() throws Exception {
        Path aFile = Files.writeString(dir.resolve("a-file"), "not a directory");
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("unclosed quote", "upstream: {host: 127.0.0.1, user: repl, serverId: 9,\n"
                + "  password: 'Unclosed-Secret-1}\n" + GOOD_REST, "(file)", List.of("Unclosed-Secret-1")));
        cases.add(new Case("tab", "upstream:\n  host: 127.0.0.1\n\tpassword: Tabbed-Secret-2\n  user: repl\n"
                + "  serverId: 9\n" + GOOD_REST, "(file)", List.of("Tabbed-Secret-2")));
        cases.add(new Case("duplicate key", "upstream:\n  host: 127.0.0.1\n  user: repl\n  serverId: 9\n"
                + "  password: 'First-Secret-3'\n  password: 'Second-Secret-3'\n" + GOOD_REST, "upstream.password",
                List.of("First-Secret-3", "Second-Secret-3")));
        for (String coerced : List.of("0x1F2E3D", "0755", "1_000")) {
            cases.add(new Case("password " + coerced, "upstream: {host: 127.0.0.1, user: repl, serverId: 9, password: "
                    + coerced + "}\n" + GOOD_REST, "upstream.password", List.of(coerced)));
        }
        cases.add(new Case("archive.dir is a file", "upstream: {host: 127.0.0.1, user: repl, serverId: 9, password:"
                + " 'Dir-Secret-4'}\narchive: {dir: '" + aFile + "'}\nmetrics: {port: 0}\n", "archive.dir",
                List.of("Dir-Secret-4")));
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            Path config = dir.resolve("case-" + i + ".yaml"); // not named after the case: some names are passwords
            Files.writeString(config, c.yaml());
            List<String> out = run(config, c.name());
            assertEquals(1, out.size(), c.name() + ": expected one line, got\n" + String.join("\n", out));
            assertTrue(out.get(0).startsWith("binlog-proxy: configuration " + config + ": " + c.key() + ": "),
                    c.name() + ": " + out.get(0));
            assertNoSecret(c, out);
        }

        // a transport that does not exist (a JVM property, not the file): one line naming the property
        Path good = dir.resolve("good.yaml");
        Files.writeString(good, "upstream: {host: 127.0.0.1, user: repl, serverId: 9, password: 'Good-Secret-6'}\n"
                + GOOD_REST);
        List<String> transport = run(good, "transport", "binlogproxy.transport=uring");
        assertEquals(List.of("binlog-proxy: cannot start: -Dbinlogproxy.transport=uring: expected auto, epoll or nio"),
                transport);
        // epoll required where its native library is not allowed to load: the loader's reason, one line
        List<String> noEpoll = run(good, "epoll unavailable", "binlogproxy.transport=epoll",
                "io.netty.transport.noNative=true");
        assertEquals(1, noEpoll.size(), String.join("\n", noEpoll));
        assertTrue(noEpoll.get(0).startsWith("binlog-proxy: cannot start: ") && noEpoll.get(0).contains("native"),
                noEpoll.get(0));

        // a password the master refuses: retried maxLoginFailures times, then stopped
        try (DbServer master = DbServer.start(ServerOptions.mariadb().build())) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            String yaml = ChildProxy.config(master.port(), dir.resolve("archive"), 0, 0, "maxLoginFailures: 3", "")
                    .replace("'" + ServeHarness.REPL_PW + "'", "'Refused-Secret-5'");
            Path config = dir.resolve("refused.yaml");
            Files.writeString(config, yaml);
            Case c = new Case("refused password", yaml, "upstream.password", List.of("Refused-Secret-5"));
            List<String> out = run(config, c.name());
            String last = out.get(out.size() - 1);
            assertTrue(last.startsWith("binlog-proxy: configuration " + config + ": upstream.password: the master "),
                    String.join("\n", out));
            assertTrue(last.contains("3 times in a row") && last.contains("Access denied"), last);
            assertNoSecret(c, out);
        }
    }

    private List<String> run(Path config, String name, String... properties) throws Exception {
        Path log = dir.resolve(config.getFileName() + ".log");
        Files.deleteIfExists(log); // ChildProxy appends: a config run twice would read its first run's lines
        Process p = ChildProxy.start(config, log, properties);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), name + ": still running\n" + ChildProxy.logTail(log, 20));
        assertEquals(2, p.exitValue(), name + ":\n" + ChildProxy.logTail(log, 20));
        return Files.readAllLines(log).stream().filter(l -> !l.isBlank()).toList();
    }

    private static void assertNoSecret(Case c, List<String> out) {
        for (String secret : c.secrets()) {
            for (String line : out) {
                assertFalse(line.contains(secret), c.name() + ": the password shows in the output: " + line);
            }
        }
    }
}
