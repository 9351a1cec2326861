package dev.binlogproxy.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FailedStartTest {

    @Test
    void rejectedFlagFailsWithTheErrorLogAndLeavesNothing() throws IOException {
        int serverId = 9001;
        TestkitException e = assertThrows(TestkitException.class, () -> DbServer.start(
                ServerOptions.mariadb().serverId(serverId).extraFlag("--no-such-option=1").build()));
        assertTrue(e.getMessage().contains("unknown variable 'no-such-option=1'"), e.getMessage());
        try (Stream<Path> dirs = Files.list(KitRoot.root())) {
            List<Path> left = dirs.filter(d -> d.getFileName().toString().startsWith("mariadb-" + serverId + "-"))
                    .toList();
            assertEquals(List.of(), left);
        }
    }

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void restartOnATakenPortSaysSo(Flavor flavor) throws IOException {
        try (DbServer server = DbServer.start(ServerOptions.builder(flavor).build())) {
            server.kill9();
            try (ServerSocket squatter = new ServerSocket()) {
                squatter.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), server.port()));
                TestkitException e = assertThrows(TestkitException.class, server::restart);
                assertTrue(e.getMessage().contains("has been taken"), e.getMessage());
                assertFalse(server.isRunning());
            }
            server.restart(); // the port is free again
            assertTrue(server.isRunning());
        }
    }

    @Test
    void loaderErrorsBecomeAdvice() {
        String loader = "/x/bin/mysqld: error while loading shared libraries: libaio.so.1: cannot open shared "
                + "object file: No such file or directory\n";
        assertTrue(Commands.missingLibraryAdvice(loader).contains("libaio1"));
        assertNull(Commands.missingLibraryAdvice("[ERROR] unknown variable"));
    }
}
