package dev.binlogproxy.downstream.login;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.binlogproxy.protocol.Capabilities;
import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.MySqlProtocolException;
import dev.binlogproxy.protocol.Packet;
import dev.binlogproxy.protocol.ServerStatus;
import dev.binlogproxy.protocol.auth.CachingSha2Password;
import dev.binlogproxy.protocol.auth.MysqlNativePassword;
import dev.binlogproxy.protocol.packet.AuthMoreData;
import dev.binlogproxy.protocol.packet.AuthSwitchRequest;
import dev.binlogproxy.protocol.packet.ErrPacket;
import dev.binlogproxy.protocol.packet.HandshakeResponse41;
import dev.binlogproxy.protocol.packet.HandshakeV10;
import dev.binlogproxy.protocol.packet.OkPacket;
import dev.binlogproxy.protocol.packet.SslRequest;
import dev.binlogproxy.protocol.packet.WireMessage;

import io.netty.buffer.ByteBuf;

/**
 * The server side of the connection phase as a state machine over packets, the counterpart of the client's
 * {@code protocol.auth.Authenticator}: it never touches a socket, so the session drives it and a test could the
 * same way. {@link #start()} gives the greeting; every client packet goes to {@link #handle}, and each
 * {@link LoginStep} says what to send, until {@link LoginStep.Accept} or {@link LoginStep.Refuse}. A packet that
 * breaks the protocol (out of order, a handshake that does not decode, TLS asked for but not offered) is thrown as
 * {@link MySqlProtocolException}; the ERR for it carries {@link #nextSequenceId()}.
 *
 * <pre>
 * -> greeting(0): version, scramble, capabilities, the flavor's default plugin
 * <- SslRequest(1)                          StartTls; the response follows at 2, over TLS
 * <- HandshakeResponse41(1|2)
 *      no such user, wrong token            ERR 1045 (28000)
 *      plugin the user has a hash for       check the token
 *      another plugin                       -> AuthSwitchRequest(plugin, scramble) <- token
 *   caching_sha2_password, fast path        -> AuthMoreData 0x03, OK
 *   caching_sha2_password, full path        -> AuthMoreData 0x04
 *      (first login, fullAuthOnFirstLogin)  <- password + NUL over TLS | 0x02 -> PEM key <- RSA(password ^ scramble)
 *                                           -> OK
 * </pre>
 *
 * Logins check stored second-stage hashes ({@code PasswordHash}), never passwords. One instance per connection,
 * used from its event loop only.
 */
public final class ServerAuthenticator {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What the server offers. No COMPRESS, SESSION_TRACK, MULTI_STATEMENTS or QUERY_ATTRIBUTES. */
    static final long SERVER_CAPABILITIES = Capabilities.CLIENT_LONG_PASSWORD | Capabilities.CLIENT_FOUND_ROWS
            | Capabilities.CLIENT_LONG_FLAG | Capabilities.CLIENT_CONNECT_WITH_DB | Capabilities.CLIENT_NO_SCHEMA
            | Capabilities.CLIENT_ODBC | Capabilities.CLIENT_IGNORE_SPACE | Capabilities.CLIENT_PROTOCOL_41
            | Capabilities.CLIENT_INTERACTIVE | Capabilities.CLIENT_IGNORE_SIGPIPE | Capabilities.CLIENT_TRANSACTIONS
            | Capabilities.CLIENT_SECURE_CONNECTION | Capabilities.CLIENT_MULTI_RESULTS
            | Capabilities.CLIENT_PS_MULTI_RESULTS | Capabilities.CLIENT_PLUGIN_AUTH | Capabilities.CLIENT_CONNECT_ATTRS
            | Capabilities.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | Capabilities.CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS
            | Capabilities.CLIENT_DEPRECATE_EOF;

    /** ER_HANDSHAKE_ERROR. */
    private static final int ER_HANDSHAKE_ERROR = 1043;
    /** ER_SECURE_TRANSPORT_REQUIRED. */
    private static final int ER_SECURE_TRANSPORT_REQUIRED = 3159;

    private enum State { NEW, RESPONSE, AUTH_SWITCH, SHA2_FULL_AUTH, DONE }

    private final Accounts accounts;
    private final long connectionId;
    private final String clientHost;
    private final String serverVersion;
    private final int collation;
    private final String greetingPlugin;
    private final byte[] scramble = newScramble();

    private State state = State.NEW;
    /** The id the next packet carries, in either direction. */
    private int sequenceId;
    private boolean tls;
    private long clientCapabilities;
    private String user = "";
    private UserAccount account;
    private String switchedTo;

    ServerAuthenticator(Accounts accounts, long connectionId, String clientHost, String serverVersion, int collation,
                        String greetingPlugin) {
        this.accounts = accounts;
        this.connectionId = connectionId;
        this.clientHost = clientHost;
        this.serverVersion = serverVersion;
        this.collation = collation;
        this.greetingPlugin = greetingPlugin;
    }

    /** 20 bytes in 1..127, as mysqld makes them: some clients keep the scramble in a String. */
    private static byte[] newScramble() {
        byte[] s = new byte[HandshakeV10.SCRAMBLE_LENGTH];
        for (int i = 0; i < s.length; i++) {
            s[i] = (byte) (1 + RANDOM.nextInt(127));
        }
        return s;
    }

    /** The greeting, at sequence id 0. */
    public LoginStep start() {
        if (state != State.NEW) {
            throw new IllegalStateException("start() in state " + state);
        }
        state = State.RESPONSE;
        long caps = SERVER_CAPABILITIES | (accounts.tlsOffered() ? Capabilities.CLIENT_SSL : 0);
        return send(new HandshakeV10(serverVersion, connectionId, scramble, caps, collation,
                ServerStatus.SERVER_STATUS_AUTOCOMMIT, greetingPlugin));
    }

    /** Takes the client's next packet; the caller still owns (releases) it. */
    public LoginStep handle(Packet packet) {
        if (state == State.NEW || state == State.DONE) {
            throw new IllegalStateException("handle() in state " + state);
        }
        if (packet.sequenceId() != sequenceId) {
            throw new MySqlProtocolException(ErrorCodes.ER_NET_PACKETS_OUT_OF_ORDER, ErrorCodes.SQLSTATE_COMMUNICATION,
                    "Got packets out of order (sequence id " + packet.sequenceId() + ", expected " + sequenceId + ")");
        }
        sequenceId = packet.nextSequenceId();
        return switch (state) {
            case RESPONSE -> response(packet.payload());
            case AUTH_SWITCH -> switchResponse(bytes(packet.payload()));
            case SHA2_FULL_AUTH -> fullAuthentication(bytes(packet.payload()));
            default -> throw new IllegalStateException("state " + state);
        };
    }

    private static byte[] bytes(ByteBuf payload) {
        byte[] b = new byte[payload.readableBytes()];
        payload.readBytes(b);
        return b;
    }

    private LoginStep response(ByteBuf payload) {
        if (SslRequest.isSslRequest(payload)) {
            if (!accounts.tlsOffered()) {
                throw new MySqlProtocolException(ER_HANDSHAKE_ERROR, ErrorCodes.SQLSTATE_COMMUNICATION,
                        "Bad handshake: SSL requested but not offered");
            }
            tls = true;
            return LoginStep.START_TLS;
        }
        HandshakeResponse41 response;
        try {
            response = HandshakeResponse41.decode(payload);
        } catch (MySqlProtocolException e) {
            throw new MySqlProtocolException(ER_HANDSHAKE_ERROR, ErrorCodes.SQLSTATE_COMMUNICATION, "Bad handshake");
        }
        clientCapabilities = response.capabilities();
        user = response.user();
        if (accounts.tlsRequired() && !tls) {
            return refuse(new ErrPacket(ER_SECURE_TRANSPORT_REQUIRED, ErrorCodes.SQLSTATE_GENERAL, "Connections using "
                    + "insecure transport are prohibited by binlog-proxy (server.tls.required)"));
        }
        UserAccount found = accounts.user(user);
        byte[] token = response.authResponse();
        String plugin = response.authPluginName() == null || response.authPluginName().isEmpty()
                ? MysqlNativePassword.PLUGIN_NAME : response.authPluginName();
        if (found == null) {
            return denied(token.length > 0);
        }
        account = found;
        if (plugin.equals(MysqlNativePassword.PLUGIN_NAME) && found.password().supportsNative()) {
            return finish(found.password().checkNative(token, scramble), token.length > 0, false);
        }
        if (plugin.equals(CachingSha2Password.PLUGIN_NAME) && found.password().supportsSha2()) {
            return sha2(token);
        }
        // The client spoke a plugin this user has no hash for: ask for the one it has.
        switchedTo = found.password().supportsSha2() && (greetingPlugin.equals(CachingSha2Password.PLUGIN_NAME)
                || !found.password().supportsNative()) ? CachingSha2Password.PLUGIN_NAME
                : MysqlNativePassword.PLUGIN_NAME;
        if (!Capabilities.has(clientCapabilities, Capabilities.CLIENT_PLUGIN_AUTH)) {
            return denied(token.length > 0);
        }
        state = State.AUTH_SWITCH;
        return send(AuthSwitchRequest.withScramble(switchedTo, scramble));
    }

    private LoginStep switchResponse(byte[] token) {
        if (switchedTo.equals(CachingSha2Password.PLUGIN_NAME)) {
            return sha2(token);
        }
        return finish(account.password().checkNative(token, scramble), token.length > 0, false);
    }

    /**
     * caching_sha2_password: the fast path, or (a user's first login, with server.fullAuthOnFirstLogin) the full
     * path, where the client sends the password over TLS or RSA-encrypted with the key it asks for.
     */
    private LoginStep sha2(byte[] token) {
        if (token.length > 0 && accounts.needsFullAuth(user)) {
            state = State.SHA2_FULL_AUTH;
            return send(new AuthMoreData(new byte[] {AuthMoreData.PERFORM_FULL_AUTHENTICATION}));
        }
        return finish(account.password().checkSha2Fast(token, scramble), token.length > 0, true);
    }

    private LoginStep fullAuthentication(byte[] data) {
        if (!tls && data.length == 1 && data[0] == CachingSha2Password.REQUEST_PUBLIC_KEY) {
            return send(new AuthMoreData(accounts.rsaKeys().publicPem()));
        }
        byte[] password = tls ? RsaKeys.stripNul(data) : accounts.rsaKeys().decryptPassword(data, scramble);
        boolean ok = password != null && account.password().checkSha2Cleartext(password);
        if (password != null) {
            Arrays.fill(password, (byte) 0);
        }
        if (ok) {
            accounts.cacheSha2(user);
        }
        // the full path ends with a plain OK, no "fast auth succeeded"
        return finish(ok, true, false);
    }

    private LoginStep finish(boolean ok, boolean usedPassword, boolean sha2FastPath) {
        if (!ok) {
            return denied(usedPassword);
        }
        state = State.DONE;
        List<WireMessage> messages = new ArrayList<>(2);
        if (sha2FastPath && usedPassword) {
            // caching_sha2_password: "fast authentication succeeded", then the OK
            messages.add(new AuthMoreData(new byte[] {AuthMoreData.FAST_AUTH_SUCCESS}));
        }
        messages.add(OkPacket.of());
        int first = sequenceId;
        sequenceId = (sequenceId + messages.size()) & 0xFF;
        return new LoginStep.Accept(first, messages);
    }

    private LoginStep denied(boolean usedPassword) {
        account = null;
        return refuse(new ErrPacket(ErrorCodes.ER_ACCESS_DENIED, ErrorCodes.SQLSTATE_ACCESS_DENIED, "Access denied for "
                + "user '" + user + "'@'" + clientHost + "' (using password: " + (usedPassword ? "YES" : "NO") + ")"));
    }

    private LoginStep refuse(ErrPacket error) {
        state = State.DONE;
        return new LoginStep.Refuse(sequenceId, error);
    }

    private LoginStep send(WireMessage message) {
        LoginStep step = new LoginStep.Send(sequenceId, message);
        sequenceId = (sequenceId + 1) & 0xFF;
        return step;
    }

    /** The id the next packet of the exchange carries (an ERR for a protocol violation uses it). */
    public int nextSequenceId() {
        return sequenceId;
    }

    /** The user the client named; empty before its response. */
    public String user() {
        return user;
    }

    /** The account logged in as, once {@link LoginStep.Accept} was given; null before and after a refusal. */
    public UserAccount account() {
        return state == State.DONE ? account : null;
    }

    /** The capabilities the client sent: what replies (result sets) are encoded for. */
    public long clientCapabilities() {
        return clientCapabilities;
    }
}
