package dev.binlogproxy.downstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import dev.binlogproxy.downstream.login.Permission;
import dev.binlogproxy.downstream.login.UserAccount;
import dev.binlogproxy.protocol.auth.PasswordHash;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Before the archive holds anything from its master the proxy cannot say what it is: it refuses logins with
 * ER_SERVER_OFFLINE_MODE, which replicas retry, instead of inventing a version or an identity.
 */
class EmptyArchiveTest {
    @TempDir
    Path dir;

    @Test
    void loginsAreRefusedUntilTheFirstFileIsMirrored() throws Exception {
        try (BinlogArchive archive = BinlogArchive.open(dir.resolve("archive"), Durability.WRITE);
             DownstreamServer server = DownstreamServer.start(new ServerSettings("127.0.0.1", 0, null, null,
                     true, List.of(new UserAccount("repl", PasswordHash.of("repl-pw-1"), EnumSet.of(Permission.REPLICATION))),
                     null, null, false, false), archive, Map::of, null,
                     new SimpleMeterRegistry())) {
            SQLException e = assertThrows(SQLException.class, () -> DriverManager.getConnection(
                    "jdbc:mysql://127.0.0.1:" + server.port() + "/?sslMode=DISABLED&connectTimeout=5000",
                    "repl", "repl-pw-1"));
            assertEquals(3032, e.getErrorCode(), e.getMessage());
            assertEquals(0, server.runningDumps());
        }
    }
}
