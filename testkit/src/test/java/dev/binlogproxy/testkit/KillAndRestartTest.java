package dev.binlogproxy.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class KillAndRestartTest {

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void committedRowSurvivesKill9AndRestart(Flavor flavor) {
        try (DbServer server = DbServer.start(ServerOptions.builder(flavor).build())) {
            server.execute("CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY, v VARCHAR(10))",
                    "INSERT INTO d.t VALUES (1, 'before')");
            long oldPid = server.pid();
            int port = server.port();
            String uuid = server.serverUuid();
            List<BinaryLog> logsBefore = server.showBinaryLogs();

            server.kill9();
            assertFalse(server.isRunning());
            assertFalse(ProcessHandle.of(oldPid).map(ProcessHandle::isAlive).orElse(false), "process gone");

            server.restart();
            assertTrue(server.isRunning());
            assertNotEquals(oldPid, server.pid());
            assertEquals(port, server.port());
            assertEquals(uuid, server.serverUuid());
            assertEquals(List.of(List.of("1", "before")), server.query("SELECT id, v FROM d.t"));
            // Crash recovery opens a new binlog file; the old one is still listed.
            assertEquals(logsBefore.get(0).name(), server.showBinaryLogs().get(0).name());
            assertTrue(server.showBinaryLogs().size() > logsBefore.size());

            server.stop();
            assertFalse(server.isRunning());
            server.restart();
            assertEquals("1", server.queryValue("SELECT COUNT(*) FROM d.t"));
        }
    }
}
