package dev.binlogproxy.protocol.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;

import javax.crypto.Cipher;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.binlogproxy.protocol.Capabilities;
import dev.binlogproxy.protocol.MySqlProtocolException;
import dev.binlogproxy.protocol.packet.AuthMoreData;
import dev.binlogproxy.protocol.packet.AuthSwitchRequest;
import dev.binlogproxy.protocol.packet.ErrPacket;
import dev.binlogproxy.protocol.packet.HandshakeResponse41;
import dev.binlogproxy.protocol.packet.HandshakeV10;
import dev.binlogproxy.protocol.packet.OkPacket;
import dev.binlogproxy.protocol.packet.SslRequest;
import dev.binlogproxy.protocol.packet.WireMessage;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** The client state machine against scripted server packets, each exchange as a real server orders it. */
class AuthenticatorTest {

    private static final String PASSWORD = "s3cret-pw";
    private static final byte[] PW = PASSWORD.getBytes(StandardCharsets.UTF_8);
    private static final byte[] SCRAMBLE = "0123456789abcdefghij".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SCRAMBLE2 = "ABCDEFGHIJ0123456789".getBytes(StandardCharsets.US_ASCII);
    private static final long MYSQL_CAPS = 0xC3FFFFFFL;

    private static KeyPair keys;
    private static byte[] pem;

    @BeforeAll
    static void rsa() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        keys = gen.generateKeyPair();
        pem = ("-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(keys.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static HandshakeV10 greeting(long caps, String plugin) {
        return new HandshakeV10("8.0.15", 9, SCRAMBLE, caps, 255, 2, plugin);
    }

    private static ByteBuf buf(WireMessage m) {
        return Unpooled.wrappedBuffer(m.toByteArray());
    }

    private static ByteBuf more(byte[] data) {
        return buf(new AuthMoreData(data));
    }

    private static ByteBuf more(int status) {
        return more(new byte[] {(byte) status});
    }

    private static HandshakeResponse41 response(AuthStep step, int sequenceId) {
        AuthStep.Send send = assertInstanceOf(AuthStep.Send.class, step);
        assertEquals(sequenceId, send.sequenceId());
        return HandshakeResponse41.decode(Unpooled.wrappedBuffer(send.payload()));
    }

    private static byte[] sent(AuthStep step, int sequenceId) {
        AuthStep.Send send = assertInstanceOf(AuthStep.Send.class, step);
        assertEquals(sequenceId, send.sequenceId());
        return send.payload();
    }

    private static void assertSuccess(AuthStep step) {
        assertInstanceOf(AuthStep.Success.class, step);
    }

    @Test
    void nativePasswordLogin() {
        Authenticator auth = Authenticator.builder("repl", PASSWORD).build();
        HandshakeResponse41 r = response(auth.start(0, greeting(MYSQL_CAPS, "mysql_native_password")), 1);
        assertEquals("repl", r.user());
        assertEquals("mysql_native_password", r.authPluginName());
        assertArrayEquals(MysqlNativePassword.scramble(PW, SCRAMBLE), r.authResponse());
        assertEquals(Capabilities.REPLICA_CLIENT_DEFAULT, r.capabilities());
        assertNull(r.database());
        assertSuccess(auth.handle(2, buf(OkPacket.of())));
        assertTrue(auth.isDone());
    }

    @Test
    void cachingSha2FastPath() {
        Authenticator auth = Authenticator.builder("repl", PASSWORD).build();
        HandshakeResponse41 r = response(auth.start(0, greeting(MYSQL_CAPS, "caching_sha2_password")), 1);
        assertArrayEquals(CachingSha2Password.scramble(PW, SCRAMBLE), r.authResponse());
        assertSame(AuthStep.AWAIT, auth.handle(2, more(AuthMoreData.FAST_AUTH_SUCCESS)));
        assertSuccess(auth.handle(3, buf(OkPacket.of())));
    }

    @Test
    void cachingSha2FullAuthenticationRequestsTheKeyAndSendsRsa() throws Exception {
        Authenticator auth = Authenticator.builder("repl", PASSWORD).allowPublicKeyRetrieval(true).build();
        response(auth.start(0, greeting(MYSQL_CAPS, "caching_sha2_password")), 1);
        assertArrayEquals(new byte[] {2}, sent(auth.handle(2, more(AuthMoreData.PERFORM_FULL_AUTHENTICATION)), 3));
        byte[] encrypted = sent(auth.handle(4, more(pem)), 5);
        assertDecryptsToPassword(encrypted, SCRAMBLE);
        assertSuccess(auth.handle(6, buf(OkPacket.of())));
    }

    @Test
    void cachingSha2FullAuthenticationWithAConfiguredKeyAsksNothing() throws Exception {
        Authenticator auth = Authenticator.builder("repl", PASSWORD)
                .serverPublicKey(PemPublicKeys.parse(pem)).build();
        response(auth.start(0, greeting(MYSQL_CAPS, "caching_sha2_password")), 1);
        assertDecryptsToPassword(sent(auth.handle(2, more(AuthMoreData.PERFORM_FULL_AUTHENTICATION)), 3), SCRAMBLE);
        assertSuccess(auth.handle(4, buf(OkPacket.of())));
    }

    private static void assertDecryptsToPassword(byte[] encrypted, byte[] scramble) throws Exception {
        Cipher cipher = Cipher.getInstance("RSA/ECB/OAEPWithSHA-1AndMGF1Padding");
        cipher.init(Cipher.DECRYPT_MODE, keys.getPrivate());
        byte[] plain = cipher.doFinal(encrypted);
        for (int i = 0; i < plain.length; i++) {
            plain[i] ^= scramble[i % scramble.length];
        }
        assertArrayEquals(CachingSha2Password.cleartext(PW), plain);
    }

    @Test
    void cachingSha2FullAuthenticationWithoutTlsOrKeyRefusesToLeakThePassword() {
        Authenticator auth = Authenticator.builder("repl", PASSWORD).build();
        response(auth.start(0, greeting(MYSQL_CAPS, "caching_sha2_password")), 1);
        MySqlProtocolException e = assertThrows(MySqlProtocolException.class,
                () -> auth.handle(2, more(AuthMoreData.PERFORM_FULL_AUTHENTICATION)));
        assertEquals(2061, e.errorCode());
        assertTrue(auth.isDone());
    }

    @Test
    void tlsSendsSslRequestThenResponseThenCleartextForFullAuthentication() {
        Authenticator auth = Authenticator.builder("repl", PASSWORD).tls(true).build();
        AuthStep.StartTls tls = assertInstanceOf(AuthStep.StartTls.class,
                auth.start(0, greeting(MYSQL_CAPS, "caching_sha2_password")));
        assertEquals(1, tls.sequenceId());
        SslRequest ssl = SslRequest.decode(Unpooled.wrappedBuffer(tls.payload()));
        assertTrue(Capabilities.has(ssl.capabilities(), Capabilities.CLIENT_SSL));
        assertThrows(IllegalStateException.class, () -> auth.handle(2, buf(OkPacket.of())));
        HandshakeResponse41 r = response(auth.tlsEstablished(), 2);
        assertEquals(ssl.capabilities(), r.capabilities());
        assertArrayEquals(CachingSha2Password.cleartext(PW),
                sent(auth.handle(3, more(AuthMoreData.PERFORM_FULL_AUTHENTICATION)), 4));
        assertSuccess(auth.handle(5, buf(OkPacket.of())));
    }

    @Test
    void tlsAgainstAServerWithoutSslFails() {
        Authenticator auth = Authenticator.builder("repl", PASSWORD).tls(true).build();
        MySqlProtocolException e = assertThrows(MySqlProtocolException.class,
                () -> auth.start(0, greeting(MYSQL_CAPS & ~Capabilities.CLIENT_SSL, "caching_sha2_password")));
        assertEquals(2026, e.errorCode());
    }

    @Test
    void authSwitchToNativePasswordUsesTheNewScramble() {
        Authenticator auth = Authenticator.builder("old", PASSWORD).build();
        response(auth.start(0, greeting(MYSQL_CAPS, "caching_sha2_password")), 1);
        byte[] token = sent(auth.handle(2, buf(AuthSwitchRequest.withScramble("mysql_native_password", SCRAMBLE2))), 3);
        assertArrayEquals(MysqlNativePassword.scramble(PW, SCRAMBLE2), token);
        assertEquals("mysql_native_password", auth.pluginName());
        assertSuccess(auth.handle(4, buf(OkPacket.of())));
    }

    @Test
    void authSwitchToAnUnknownPluginFails() {
        Authenticator auth = Authenticator.builder("u", PASSWORD).build();
        response(auth.start(0, greeting(MYSQL_CAPS, "mysql_native_password")), 1);
        MySqlProtocolException e = assertThrows(MySqlProtocolException.class,
                () -> auth.handle(2, buf(new AuthSwitchRequest("client_ed25519", SCRAMBLE))));
        assertEquals(2059, e.errorCode());
        assertTrue(e.getMessage().contains("client_ed25519"));
    }

    @Test
    void unknownGreetingPluginStartsWithNativePassword() {
        Authenticator auth = Authenticator.builder("u", PASSWORD).build();
        HandshakeResponse41 r = response(auth.start(0, greeting(MYSQL_CAPS, "sha256_password")), 1);
        assertEquals("mysql_native_password", r.authPluginName());
    }

    @Test
    void serverErrIsTheTypedException() {
        Authenticator auth = Authenticator.builder("u", "wrong").build();
        response(auth.start(0, greeting(MYSQL_CAPS, "mysql_native_password")), 1);
        MySqlProtocolException e = assertThrows(MySqlProtocolException.class, () -> auth.handle(2,
                buf(new ErrPacket(1045, "28000", "Access denied for user 'u'@'127.0.0.1' (using password: YES)"))));
        assertEquals(1045, e.errorCode());
        assertEquals("28000", e.sqlState());
        assertTrue(auth.isDone());
    }

    @Test
    void errInsteadOfGreeting() {
        Authenticator auth = Authenticator.builder("u", "pw").build();
        MySqlProtocolException e = assertThrows(MySqlProtocolException.class,
                () -> auth.start(0, buf(new ErrPacket(1040, "08004", "Too many connections"))));
        assertEquals(1040, e.errorCode());
    }

    @Test
    void outOfOrderSequenceIdFails() {
        Authenticator auth = Authenticator.builder("u", "pw").build();
        response(auth.start(0, greeting(MYSQL_CAPS, "mysql_native_password")), 1);
        MySqlProtocolException e = assertThrows(MySqlProtocolException.class,
                () -> auth.handle(3, buf(OkPacket.of())));
        assertEquals(1156, e.errorCode());
    }

    @Test
    void databaseAndAttributesSetTheirFlags() {
        Authenticator auth = Authenticator.builder("u", "").database("d")
                .connectAttribute("program_name", "binlog-proxy").build();
        HandshakeResponse41 r = response(auth.start(0, greeting(MYSQL_CAPS, "mysql_native_password")), 1);
        assertEquals("d", r.database());
        assertEquals("binlog-proxy", r.connectAttributes().get("program_name"));
        assertEquals(0, r.authResponse().length, "empty password, empty token");
        assertEquals(r.capabilities(), auth.clientCapabilities());
    }

    @Test
    void mariaDbGreetingWithExtendedCapabilitiesGetsAPlainMySqlClientAnswer() {
        long maria = Capabilities.combine(0x81FFF7FE, 0x1D);
        Authenticator auth = Authenticator.builder("u", PASSWORD).build();
        HandshakeResponse41 r = response(auth.start(0, new HandshakeV10("5.5.5-10.11.19-MariaDB-log", 3, SCRAMBLE,
                maria, 8, 2, "mysql_native_password")), 1);
        assertTrue(r.hasCapability(Capabilities.CLIENT_MYSQL), "bit 0 set: no extended capabilities negotiated");
        assertEquals(0, Capabilities.mariaDbExtended(r.capabilities()));
        assertFalse(r.hasCapability(Capabilities.CLIENT_DEPRECATE_EOF));
    }
}
