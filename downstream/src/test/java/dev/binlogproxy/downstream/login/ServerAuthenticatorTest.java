package dev.binlogproxy.downstream.login;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.MySqlProtocolException;
import dev.binlogproxy.protocol.Packet;
import dev.binlogproxy.protocol.auth.AuthStep;
import dev.binlogproxy.protocol.auth.Authenticator;
import dev.binlogproxy.protocol.auth.CachingSha2Password;
import dev.binlogproxy.protocol.auth.MysqlNativePassword;
import dev.binlogproxy.protocol.auth.PasswordHash;
import dev.binlogproxy.protocol.packet.AuthMoreData;
import dev.binlogproxy.protocol.packet.AuthSwitchRequest;
import dev.binlogproxy.protocol.packet.OkPacket;
import dev.binlogproxy.protocol.packet.WireMessage;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * The server's login state machine against the client's ({@code protocol.auth.Authenticator}), packet by packet
 * in memory: every path a real client takes (both plugins, the switch between them, caching_sha2's fast path and
 * its full path over TLS or RSA) ends logged in, and every refusal with the code a MySQL server sends.
 */
class ServerAuthenticatorTest {
    private static final String HOST = "10.0.0.9";
    private static final UserAccount REPL = new UserAccount("repl", PasswordHash.of("repl-pw-1"),
            EnumSet.of(Permission.REPLICATION));
    private static final UserAccount NATIVE_ONLY = new UserAccount("old", PasswordHash.parse(
            PasswordHash.of("old-pw").nativeText().orElseThrow(), null), EnumSet.of(Permission.REPLICATION));

    /** How a conversation ended, and what the server sent on the way. */
    private record Outcome(boolean loggedIn, MySqlProtocolException refusal, List<WireMessage> sent) {
    }

    private static Packet packet(int seq, byte[] payload) {
        return new Packet(seq, Unpooled.wrappedBuffer(payload));
    }

    private static ByteBuf bytes(WireMessage m) {
        return Unpooled.wrappedBuffer(m.toByteArray());
    }

    /** Pumps packets between the two sides until the client is in or the server refused. */
    private static Outcome converse(ServerAuthenticator server, Authenticator client) {
        List<WireMessage> sent = new ArrayList<>();
        LoginStep.Send greeting = assertInstanceOf(LoginStep.Send.class, server.start());
        assertEquals(0, greeting.sequenceId());
        sent.add(greeting.message());
        AuthStep c = client.start(0, bytes(greeting.message()));
        for (int round = 0; round < 10; round++) {
            LoginStep s;
            if (c instanceof AuthStep.StartTls tls) {
                assertSame(LoginStep.START_TLS, server.handle(packet(tls.sequenceId(), tls.payload())));
                c = client.tlsEstablished();
                continue;
            }
            AuthStep.Send send = assertInstanceOf(AuthStep.Send.class, c);
            s = server.handle(packet(send.sequenceId(), send.payload()));
            try {
                if (s instanceof LoginStep.Send reply) {
                    sent.add(reply.message());
                    c = client.handle(reply.sequenceId(), bytes(reply.message()));
                } else if (s instanceof LoginStep.Accept accept) {
                    int seq = accept.sequenceId();
                    for (WireMessage m : accept.messages()) {
                        sent.add(m);
                        c = client.handle(seq++, bytes(m));
                    }
                    assertInstanceOf(AuthStep.Success.class, c);
                    return new Outcome(true, null, sent);
                } else if (s instanceof LoginStep.Refuse refuse) {
                    sent.add(refuse.error());
                    client.handle(refuse.sequenceId(), bytes(refuse.error()));
                    throw new AssertionError("the client took the ERR as success");
                }
            } catch (MySqlProtocolException e) {
                return new Outcome(false, e, sent);
            }
        }
        throw new AssertionError("no end after 10 rounds");
    }

    private static Accounts accounts(boolean tls, boolean tlsRequired, boolean fullAuth) {
        return new Accounts(List.of(REPL, NATIVE_ONLY), tls, tlsRequired, fullAuth);
    }

    private static ServerAuthenticator login(Accounts accounts, String plugin) {
        return accounts.newLogin(7, HOST, "8.0.15", 255, plugin);
    }

    @Test
    void nativePasswordAsAMariaDbMasterGreets() {
        ServerAuthenticator server = login(accounts(false, false, false), MysqlNativePassword.PLUGIN_NAME);
        Outcome o = converse(server, Authenticator.builder("repl", "repl-pw-1").build());
        assertTrue(o.loggedIn());
        assertEquals(REPL, server.account());
        assertEquals("repl", server.user());
        assertEquals(OkPacket.of(), o.sent().get(o.sent().size() - 1));
    }

    @Test
    void cachingSha2FastPathSaysSoBeforeTheOk() {
        ServerAuthenticator server = login(accounts(false, false, false), CachingSha2Password.PLUGIN_NAME);
        Outcome o = converse(server, Authenticator.builder("repl", "repl-pw-1").build());
        assertTrue(o.loggedIn());
        AuthMoreData fast = assertInstanceOf(AuthMoreData.class, o.sent().get(1));
        assertTrue(fast.isStatus(AuthMoreData.FAST_AUTH_SUCCESS));
        assertEquals(3, o.sent().size());
    }

    @Test
    void aUserWithOnlyANativeHashIsSwitchedToIt() {
        ServerAuthenticator server = login(accounts(false, false, false), CachingSha2Password.PLUGIN_NAME);
        Outcome o = converse(server, Authenticator.builder("old", "old-pw").build());
        assertTrue(o.loggedIn());
        AuthSwitchRequest sw = assertInstanceOf(AuthSwitchRequest.class, o.sent().get(1));
        assertEquals(MysqlNativePassword.PLUGIN_NAME, sw.pluginName());
    }

    @Test
    void aWrongPasswordIsAccessDenied() {
        ServerAuthenticator server = login(accounts(false, false, false), CachingSha2Password.PLUGIN_NAME);
        Outcome o = converse(server, Authenticator.builder("repl", "wrong").build());
        assertFalse(o.loggedIn());
        assertEquals(ErrorCodes.ER_ACCESS_DENIED, o.refusal().errorCode());
        assertEquals(ErrorCodes.SQLSTATE_ACCESS_DENIED, o.refusal().sqlState());
        assertEquals("Access denied for user 'repl'@'10.0.0.9' (using password: YES)", o.refusal().serverMessage());
        assertNull(server.account());
    }

    @Test
    void anUnknownUserWithoutPasswordIsAccessDenied() {
        ServerAuthenticator server = login(accounts(false, false, false), MysqlNativePassword.PLUGIN_NAME);
        Outcome o = converse(server, Authenticator.builder("nobody", "").build());
        assertEquals(ErrorCodes.ER_ACCESS_DENIED, o.refusal().errorCode());
        assertEquals("Access denied for user 'nobody'@'10.0.0.9' (using password: NO)", o.refusal().serverMessage());
    }

    @Test
    void firstLoginTakesTheFullPathOverRsaThenTheFastPath() {
        Accounts accounts = accounts(false, false, true);
        Outcome first = converse(login(accounts, CachingSha2Password.PLUGIN_NAME),
                Authenticator.builder("repl", "repl-pw-1").allowPublicKeyRetrieval(true).build());
        assertTrue(first.loggedIn());
        AuthMoreData full = assertInstanceOf(AuthMoreData.class, first.sent().get(1));
        assertTrue(full.isStatus(AuthMoreData.PERFORM_FULL_AUTHENTICATION));
        AuthMoreData key = assertInstanceOf(AuthMoreData.class, first.sent().get(2));
        assertTrue(new String(key.data()).startsWith("-----BEGIN PUBLIC KEY-----"), "the PEM key");
        assertEquals(OkPacket.of(), first.sent().get(3), "the full path ends with a plain OK");

        Outcome second = converse(login(accounts, CachingSha2Password.PLUGIN_NAME),
                Authenticator.builder("repl", "repl-pw-1").build());
        assertTrue(second.loggedIn());
        assertTrue(((AuthMoreData) second.sent().get(1)).isStatus(AuthMoreData.FAST_AUTH_SUCCESS), "cached now");
    }

    @Test
    void aWrongPasswordOnTheFullPathIsAccessDeniedAndNotCached() {
        Accounts accounts = accounts(false, false, true);
        Outcome o = converse(login(accounts, CachingSha2Password.PLUGIN_NAME),
                Authenticator.builder("repl", "wrong").allowPublicKeyRetrieval(true).build());
        assertEquals(ErrorCodes.ER_ACCESS_DENIED, o.refusal().errorCode());
        Outcome again = converse(login(accounts, CachingSha2Password.PLUGIN_NAME),
                Authenticator.builder("repl", "repl-pw-1").allowPublicKeyRetrieval(true).build());
        assertTrue(((AuthMoreData) again.sent().get(1)).isStatus(AuthMoreData.PERFORM_FULL_AUTHENTICATION));
    }

    @Test
    void theFullPathOverTlsTakesTheCleartextPassword() {
        ServerAuthenticator server = login(accounts(true, true, true), CachingSha2Password.PLUGIN_NAME);
        Outcome o = converse(server, Authenticator.builder("repl", "repl-pw-1").tls(true).build());
        assertTrue(o.loggedIn());
        assertEquals(3, o.sent().size(), "greeting, full authentication, OK: no key over TLS");
    }

    @Test
    void tlsRequiredRefusesAPlainLoginButNotAsAccessDenied() {
        ServerAuthenticator server = login(accounts(true, true, false), CachingSha2Password.PLUGIN_NAME);
        LoginStep.Send greeting = (LoginStep.Send) server.start();
        byte[] response = ((AuthStep.Send) Authenticator.builder("repl", "repl-pw-1").build()
                .start(0, bytes(greeting.message()))).payload();
        LoginStep.Refuse r = assertInstanceOf(LoginStep.Refuse.class, server.handle(packet(1, response)));
        assertEquals(3159, r.error().errorCode());
        assertFalse(r.accessDenied());
        assertEquals(2, r.sequenceId());
    }

    @Test
    void aPacketOutOfOrderIsAProtocolError() {
        ServerAuthenticator server = login(accounts(false, false, false), MysqlNativePassword.PLUGIN_NAME);
        server.start();
        MySqlProtocolException e = assertThrows(MySqlProtocolException.class,
                () -> server.handle(packet(3, new byte[] {1, 2, 3})));
        assertEquals(ErrorCodes.ER_NET_PACKETS_OUT_OF_ORDER, e.errorCode());
        assertEquals(1, server.nextSequenceId(), "the ERR goes where the response was due");
    }

    @Test
    void tlsAskedForButNotOfferedIsABadHandshake() {
        ServerAuthenticator server = login(accounts(false, false, false), MysqlNativePassword.PLUGIN_NAME);
        Authenticator client = Authenticator.builder("repl", "repl-pw-1").tls(true).build();
        // the client insists on TLS only if the greeting offers it: ask with a greeting that does
        LoginStep.Send offered = (LoginStep.Send) login(accounts(true, false, false),
                MysqlNativePassword.PLUGIN_NAME).start();
        AuthStep.StartTls tls = (AuthStep.StartTls) client.start(0, bytes(offered.message()));
        server.start();
        MySqlProtocolException e = assertThrows(MySqlProtocolException.class,
                () -> server.handle(packet(tls.sequenceId(), tls.payload())));
        assertEquals(1043, e.errorCode());
    }
}
