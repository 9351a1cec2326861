package dev.binlogproxy.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.binlogproxy.protocol.auth.Authenticator;
import dev.binlogproxy.protocol.auth.MysqlNativePassword;
import dev.binlogproxy.protocol.packet.HandshakeV10;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;

/** Login against a real MariaDB 10.11: its greeting's shape, mysql_native_password, a wrong password. */
@ExtendWith(NoLeaks.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class MariaDbServerAuthTest {

    @Test
    void greetingHasTheCompatibilityPrefixAndExtendedCapabilitiesAndNativePasswordWorks() {
        try (DbServer server = DbServer.start(ServerOptions.mariadb().build())) {
            server.createReplicationUser("repl", "repl-pw");
            Authenticator auth = Authenticator.builder("repl", "repl-pw").build();
            try (BlockingClient client = BlockingClient.connect("127.0.0.1", server.port())) {
                client.login(auth, null);
                HandshakeV10 greeting = auth.greeting();
                assertTrue(greeting.isMariaDb());
                assertEquals(HandshakeV10.MARIADB_VERSION_PREFIX + server.version(), greeting.serverVersion());
                assertEquals(server.version(), greeting.displayVersion());
                assertFalse(greeting.hasCapability(Capabilities.CLIENT_MYSQL),
                        "MariaDB clears bit 0 to offer extended capabilities");
                assertTrue(greeting.hasCapability(Capabilities.MARIADB_CLIENT_STMT_BULK_OPERATIONS));
                assertTrue(greeting.mariaDbExtendedCapabilities() != 0);
                assertEquals(MysqlNativePassword.PLUGIN_NAME, greeting.authPluginName());
                assertEquals(20, greeting.scramble().length);
                MySqlServerAuthTest.assertSameShapeAsGolden("mariadb-10.11/handshake-v10.bin", greeting);
                for (byte b : greeting.scramble()) {
                    assertTrue(b >= 1 && b <= 0x7F, "scramble bytes are 0x01..0x7F");
                }
                // No auth switch, no more data: the greeting's plugin was right.
                assertEquals(2, client.received().size());
                assertEquals(2, client.received().get(1).sequenceId());
                assertEquals("repl@%", client.query("SELECT CURRENT_USER()").rows().get(0).get(0));
            }
        }
    }

    @Test
    void wrongPasswordIsAccessDenied1045() {
        try (DbServer server = DbServer.start(ServerOptions.mariadb().build())) {
            server.createReplicationUser("repl", "repl-pw");
            try (BlockingClient client = BlockingClient.connect("127.0.0.1", server.port())) {
                MySqlProtocolException e = assertThrows(MySqlProtocolException.class,
                        () -> client.login(Authenticator.builder("repl", "nope").build(), null));
                assertEquals(ErrorCodes.ER_ACCESS_DENIED, e.errorCode());
                assertEquals(ErrorCodes.SQLSTATE_ACCESS_DENIED, e.sqlState());
                assertTrue(e.serverMessage().startsWith("Access denied for user 'repl'@"), e.serverMessage());
            }
        }
    }

    @Test
    void tlsIsRefusedUpFrontWhenTheServerHasNoCertificates() {
        try (DbServer server = DbServer.start(ServerOptions.mariadb().build())) {
            try (BlockingClient client = BlockingClient.connect("127.0.0.1", server.port())) {
                MySqlProtocolException e = assertThrows(MySqlProtocolException.class,
                        () -> client.login(Authenticator.builder("root", "").tls(true).build(), null));
                assertEquals(ErrorCodes.CR_SSL_CONNECTION_ERROR, e.errorCode());
            }
        }
    }
}
