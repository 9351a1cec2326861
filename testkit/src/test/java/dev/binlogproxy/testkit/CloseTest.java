package dev.binlogproxy.testkit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class CloseTest {

    @Test
    void closeRemovesProcessAndDirectoryAndIsIdempotent() {
        DbServer server = DbServer.start(ServerOptions.mariadb().build());
        long pid = server.pid();
        Path dir = server.instanceDir();
        assertTrue(Files.isDirectory(server.dataDir()));
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));

        server.close();
        assertFalse(Files.exists(dir));
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        assertFalse(server.isRunning());

        server.close();
        assertThrows(IllegalStateException.class, server::restart);
        assertThrows(IllegalStateException.class, server::connect);
    }

    @Test
    void closeAfterKillStillRemovesTheDirectory() {
        DbServer server = DbServer.start(ServerOptions.mysql().build());
        Path dir = server.instanceDir();
        server.kill9();
        server.close();
        assertFalse(Files.exists(dir));
    }
}
