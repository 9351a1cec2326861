package dev.binlogproxy.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLHandshakeException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.binlogproxy.protocol.BlockingClient.Received;
import dev.binlogproxy.protocol.auth.Authenticator;
import dev.binlogproxy.protocol.auth.CachingSha2Password;
import dev.binlogproxy.protocol.auth.PemPublicKeys;
import dev.binlogproxy.protocol.packet.AuthMoreData;
import dev.binlogproxy.protocol.packet.AuthSwitchRequest;
import dev.binlogproxy.protocol.packet.HandshakeV10;
import dev.binlogproxy.protocol.packet.TextResultSet;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;

import io.netty.buffer.Unpooled;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

/**
 * Login against a real MySQL 8.0.15 through the production codec and {@link Authenticator}: every
 * caching_sha2_password path (RSA full authentication, fast path, TLS cleartext), mysql_native_password by auth
 * switch, TLS with and without certificate verification, and a wrong password.
 */
@ExtendWith(NoLeaks.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class MySqlServerAuthTest {

    private static final String HOST = "127.0.0.1";

    private static BlockingClient login(DbServer server, Authenticator auth, SslContext ssl) {
        BlockingClient client = BlockingClient.connect(HOST, server.port());
        try {
            client.login(auth, ssl);
            return client;
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /** The server packets of the login after the greeting, as (first byte, length) for readable assertions. */
    private static List<Received> afterGreeting(BlockingClient client) {
        List<Received> all = client.received();
        return all.subList(1, all.size());
    }

    @Test
    void cachingSha2FirstLoginIsFullAuthenticationWithRsaKeyThenFastPath() throws Exception {
        try (DbServer server = DbServer.start(ServerOptions.mysql().build())) {
            server.createReplicationUser("repl", "repl-pw");
            Authenticator first = Authenticator.builder("repl", "repl-pw").allowPublicKeyRetrieval(true).build();
            try (BlockingClient client = login(server, first, null)) {
                HandshakeV10 greeting = first.greeting();
                assertEquals("8.0.15", greeting.serverVersion());
                assertEquals(CachingSha2Password.PLUGIN_NAME, greeting.authPluginName());
                for (byte b : greeting.scramble()) {
                    assertTrue(b >= 1 && b <= 0x7F, "mysqld's scramble bytes are 0x01..0x7F");
                }
                assertSameShapeAsGolden("mysql-8.0.15/handshake-v10.bin", greeting);
                List<Received> rest = afterGreeting(client);
                // seq 2: 0x01 0x04, seq 4: 0x01 + PEM, seq 6: OK (the client sent 1, 3 and 5).
                assertEquals(3, rest.size(), rest.toString());
                assertArrayEquals(new byte[] {1, AuthMoreData.PERFORM_FULL_AUTHENTICATION}, rest.get(0).payload());
                assertEquals(2, rest.get(0).sequenceId());
                String pem = new String(rest.get(1).payload(), 1, rest.get(1).payload().length - 1, "US-ASCII");
                assertTrue(pem.startsWith("-----BEGIN PUBLIC KEY-----"), pem);
                assertEquals(PemPublicKeys.parse(Files.readAllBytes(server.dataDir().resolve("public_key.pem"))),
                        PemPublicKeys.parse(pem), "the key the server sends is its public_key.pem");
                assertEquals(0x00, rest.get(2).firstByte());
                assertEquals(6, rest.get(2).sequenceId());
                TextResultSet rs = client.query("SELECT CURRENT_USER()");
                assertEquals("repl@%", rs.rows().get(0).get(0));
            }
            Authenticator second = Authenticator.builder("repl", "repl-pw").build();
            try (BlockingClient client = login(server, second, null)) {
                List<Received> rest = afterGreeting(client);
                assertEquals(2, rest.size(), rest.toString());
                assertArrayEquals(new byte[] {1, AuthMoreData.FAST_AUTH_SUCCESS}, rest.get(0).payload());
                assertEquals(0x00, rest.get(1).firstByte());
                assertEquals(3, rest.get(1).sequenceId());
            }
        }
    }

    /** The fixtures stay true to the test bed: same greeting apart from connection id and scramble. */
    static void assertSameShapeAsGolden(String fixture, HandshakeV10 live) {
        HandshakeV10 golden = HandshakeV10.decode(Unpooled.wrappedBuffer(GoldenPacketsTest.fixture(fixture)));
        assertEquals(golden, new HandshakeV10(live.serverVersion(), golden.connectionId(), golden.scramble(),
                live.capabilities(), live.collation(), live.statusFlags(), live.authPluginName()),
                "live greeting vs " + fixture + ": regenerate the fixtures if the test bed's server changed");
    }

    @Test
    void cachingSha2FullAuthenticationWithTheServersKeyFileAsksForNothing() throws Exception {
        try (DbServer server = DbServer.start(ServerOptions.mysql().build())) {
            server.createReplicationUser("repl", "repl-pw");
            Path keyFile = server.dataDir().resolve("public_key.pem");
            Authenticator auth = Authenticator.builder("repl", "repl-pw")
                    .serverPublicKey(PemPublicKeys.parse(Files.readAllBytes(keyFile))).build();
            try (BlockingClient client = login(server, auth, null)) {
                List<Received> rest = afterGreeting(client);
                assertEquals(2, rest.size(), "0x01 0x04, then OK right after the RSA-encrypted password: " + rest);
                assertEquals(0x00, rest.get(1).firstByte());
            }
        }
    }

    @Test
    void nativePasswordUserGetsAnAuthSwitchWithTrailingNul() {
        try (DbServer server = DbServer.start(ServerOptions.mysql().build())) {
            server.createReplicationUser("old", "old-pw", "mysql_native_password");
            Authenticator auth = Authenticator.builder("old", "old-pw").build();
            try (BlockingClient client = login(server, auth, null)) {
                List<Received> rest = afterGreeting(client);
                assertEquals(2, rest.size(), rest.toString());
                AuthSwitchRequest sw = AuthSwitchRequest.decode(rest.get(0).buf());
                assertEquals("mysql_native_password", sw.pluginName());
                assertEquals(21, sw.pluginData().length, "20-byte scramble + NUL");
                assertEquals(0, sw.pluginData()[20]);
                // mysqld 8.0.15 repeats the greeting's scramble rather than making a new one.
                assertArrayEquals(auth.greeting().scramble(), sw.scramble());
                assertEquals("mysql_native_password", auth.pluginName());
                assertEquals("old@%", client.query("SELECT CURRENT_USER()").rows().get(0).get(0));
            }
        }
    }

    @Test
    void wrongPasswordIsAccessDenied1045() {
        try (DbServer server = DbServer.start(ServerOptions.mysql().build())) {
            server.createReplicationUser("repl", "repl-pw");
            server.createReplicationUser("old", "old-pw", "mysql_native_password");
            for (String user : new String[] {"repl", "old"}) {
                Authenticator auth = Authenticator.builder(user, "wrong").allowPublicKeyRetrieval(true).build();
                MySqlProtocolException e = assertThrows(MySqlProtocolException.class,
                        () -> login(server, auth, null).close());
                assertEquals(ErrorCodes.ER_ACCESS_DENIED, e.errorCode(), user);
                assertEquals("28000", e.sqlState());
                assertEquals("Access denied for user '" + user + "'@'127.0.0.1' (using password: YES)",
                        e.serverMessage());
            }
        }
    }

    @Test
    void tlsWithTrustAllDoesFullAuthenticationInCleartextOverTls() throws Exception {
        try (DbServer server = DbServer.start(ServerOptions.mysql().build())) {
            server.createReplicationUser("tlsuser", "tls-pw");
            SslContext trustAll = SslContextBuilder.forClient()
                    .trustManager(InsecureTrustManagerFactory.INSTANCE).build();
            Authenticator auth = Authenticator.builder("tlsuser", "tls-pw").tls(true).build();
            try (BlockingClient client = login(server, auth, trustAll)) {
                assertTrue(client.isTls());
                assertTrue(Capabilities.has(auth.clientCapabilities(), Capabilities.CLIENT_SSL));
                List<Received> rest = afterGreeting(client);
                // SslRequest was 1, the response 2; full auth (first login of this account): the password went
                // out in cleartext at 4 over TLS, no key request.
                assertEquals(2, rest.size(), rest.toString());
                assertArrayEquals(new byte[] {1, AuthMoreData.PERFORM_FULL_AUTHENTICATION}, rest.get(0).payload());
                assertEquals(3, rest.get(0).sequenceId());
                assertEquals(5, rest.get(1).sequenceId());
                TextResultSet version = client.query("SHOW SESSION STATUS LIKE 'Ssl_version'");
                String protocol = client.tls().orElseThrow().engine().getSession().getProtocol();
                assertEquals(protocol, version.rows().get(0).get(1), "the server sees the same TLS session");
            }
        }
    }

    @Test
    void tlsVerifiedAgainstTheCaInTheDataDir() throws Exception {
        try (DbServer server = DbServer.start(ServerOptions.mysql().build())) {
            server.createReplicationUser("repl", "repl-pw");
            Path ca = server.dataDir().resolve("ca.pem");
            // The auto-generated server certificate names no host, so verify the chain only (VERIFY_CA).
            SslContext verifyCa = SslContextBuilder.forClient().trustManager(ca.toFile())
                    .endpointIdentificationAlgorithm(null).build();
            try (BlockingClient client = login(server, Authenticator.builder("repl", "repl-pw").tls(true).build(),
                    verifyCa)) {
                assertTrue(client.isTls());
                assertEquals("repl@%", client.query("SELECT CURRENT_USER()").rows().get(0).get(0));
            }
            // VERIFY_IDENTITY (Netty 4.2's client default checks the host name) must refuse that certificate ...
            SslContext verifyIdentity = SslContextBuilder.forClient().trustManager(ca.toFile()).build();
            assertTlsRefused(server, verifyIdentity);
            // ... and so must the JDK's default trust store, which does not know the server's CA.
            assertTlsRefused(server, SslContextBuilder.forClient().build());
        }
    }

    private static void assertTlsRefused(DbServer server, SslContext ssl) {
        // Netty's sync() rethrows the handshake failure as it is (a checked exception, thrown sneakily).
        Throwable e = assertThrows(Throwable.class,
                () -> login(server, Authenticator.builder("repl", "repl-pw").tls(true).build(), ssl).close());
        Throwable cause = e;
        while (cause != null && !(cause instanceof SSLHandshakeException)) {
            cause = cause.getCause();
        }
        assertInstanceOf(SSLHandshakeException.class, cause, "expected a TLS handshake failure: " + e);
    }

    @Test
    void emptyPasswordRootLogsInWithAnEmptyToken() {
        try (DbServer server = DbServer.start(ServerOptions.mysql().build())) {
            try (BlockingClient client = login(server, Authenticator.builder("root", "").build(), null)) {
                assertEquals(1, afterGreeting(client).size(), "straight OK");
            }
        }
    }
}
