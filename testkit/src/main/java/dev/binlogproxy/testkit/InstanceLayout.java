package dev.binlogproxy.testkit;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Where one instance keeps its files. Everything lives under one directory so that deleting it is the whole cleanup
 * (the sweep of orphaned instances relies on that).
 */
record InstanceLayout(Path dir) {

    /** sun_path in sockaddr_un is 108 bytes including the terminating NUL. */
    private static final int MAX_SOCKET_PATH_BYTES = 107;

    /** Written by the owning JVM before anything else: its pid and start time, read by the sweep. */
    Path ownerFile() {
        return dir.resolve("owner");
    }

    /** The server process id, written by the owning JVM right after launch, for the sweep to kill a survivor. */
    Path serverPidFile() {
        return dir.resolve("server.pid");
    }

    Path dataDir() {
        return dir.resolve("data");
    }

    Path binlogDir() {
        return dir.resolve("binlog");
    }

    Path tmpDir() {
        return dir.resolve("tmp");
    }

    Path socket() {
        return dir.resolve("mysqld.sock");
    }

    /** The server's own pid file (--pid-file); the server removes it on a clean shutdown. */
    Path mysqldPidFile() {
        return dir.resolve("mysqld.pid");
    }

    Path errorLog() {
        return dir.resolve("error.log");
    }

    /** The server's stdout and stderr: where the dynamic loader reports a missing library, for example. */
    Path consoleLog() {
        return dir.resolve("console.log");
    }

    void checkSocketPathLength() {
        int length = socket().toString().getBytes(StandardCharsets.UTF_8).length;
        if (length > MAX_SOCKET_PATH_BYTES) {
            throw new TestkitException("Unix socket path " + socket() + " is " + length + " bytes (expected: <= "
                    + MAX_SOCKET_PATH_BYTES + "); set -D" + KitRoot.ROOT_PROPERTY + " to a shorter directory");
        }
    }
}
