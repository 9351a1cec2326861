package dev.binlogproxy.protocol.auth;

import static dev.binlogproxy.protocol.Capabilities.CLIENT_CONNECT_ATTRS;
import static dev.binlogproxy.protocol.Capabilities.CLIENT_CONNECT_WITH_DB;
import static dev.binlogproxy.protocol.Capabilities.CLIENT_PLUGIN_AUTH;
import static dev.binlogproxy.protocol.Capabilities.CLIENT_PROTOCOL_41;
import static dev.binlogproxy.protocol.Capabilities.CLIENT_SECURE_CONNECTION;
import static dev.binlogproxy.protocol.Capabilities.CLIENT_SSL;

import java.security.PublicKey;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import dev.binlogproxy.protocol.Capabilities;
import dev.binlogproxy.protocol.Collations;
import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.MalformedPacketException;
import dev.binlogproxy.protocol.MySqlProtocolException;
import dev.binlogproxy.protocol.Wire;
import dev.binlogproxy.protocol.packet.AuthMoreData;
import dev.binlogproxy.protocol.packet.AuthSwitchRequest;
import dev.binlogproxy.protocol.packet.ErrPacket;
import dev.binlogproxy.protocol.packet.HandshakeResponse41;
import dev.binlogproxy.protocol.packet.HandshakeV10;
import dev.binlogproxy.protocol.packet.OkPacket;
import dev.binlogproxy.protocol.packet.SslRequest;

import io.netty.buffer.ByteBuf;

/**
 * The client side of the connection phase as a state machine over packet payloads: it never touches a socket, so a
 * Netty handler and a test drive it the same way. Feed it the greeting ({@link #start}), do what each {@link
 * AuthStep} says, and feed it every server packet ({@link #handle}) until {@link AuthStep.Success}; a server ERR
 * is thrown as {@link MySqlProtocolException} with the server's code, SQLSTATE and message.
 *
 * <p>Plugins: mysql_native_password and caching_sha2_password, including an auth switch between them and
 * caching_sha2's full authentication (password over TLS, or RSA-encrypted with a configured or requested server
 * key). Sequence ids are tracked and checked here; the caller sends each payload with the id the step names.
 *
 * <pre>
 * greeting(0) -> [SslRequest(1), TLS] -> HandshakeResponse41(1|2)
 *   <- OK                                      done
 *   <- ERR                                     MySqlProtocolException
 *   <- AuthSwitchRequest(plugin, scramble)     -> token for that plugin
 *   <- AuthMoreData 0x03 (fast auth ok)        await OK
 *   <- AuthMoreData 0x04 (full auth)           -> password+NUL over TLS | RSA(password) | 0x02 (request key)
 *   <- AuthMoreData PEM key                    -> RSA(password)
 * </pre>
 *
 * One instance per connection attempt; not thread-safe.
 */
public final class Authenticator {

    /** The client's max packet size in the response; mysqld ignores it for replicas. */
    public static final long DEFAULT_MAX_PACKET_SIZE = 1L << 30;

    private enum State { GREETING, TLS_PENDING, AUTHENTICATING, AWAIT_PUBLIC_KEY, DONE }

    private final String user;
    private final byte[] password;
    private final String database;
    private final long requestedCapabilities;
    private final int collation;
    private final long maxPacketSize;
    private final boolean tls;
    private final boolean allowPublicKeyRetrieval;
    private final PublicKey serverPublicKey;
    private final Map<String, String> connectAttributes;

    private State state = State.GREETING;
    private HandshakeV10 greeting;
    private long clientCapabilities;
    private String plugin;
    private byte[] scramble;
    /** The id of the last packet either side sent; the next one carries this + 1. */
    private int lastSequenceId;
    private byte[] pendingResponse;

    private Authenticator(Builder b) {
        this.user = b.user;
        this.password = Wire.utf8(b.password);
        this.database = b.database;
        this.requestedCapabilities = b.capabilities;
        this.collation = b.collation;
        this.maxPacketSize = b.maxPacketSize;
        this.tls = b.tls;
        this.allowPublicKeyRetrieval = b.allowPublicKeyRetrieval;
        this.serverPublicKey = b.serverPublicKey;
        this.connectAttributes = Collections.unmodifiableMap(new LinkedHashMap<>(b.connectAttributes));
    }

    public static Builder builder(String user, String password) {
        return new Builder(user, password);
    }

    /** Takes the server's first packet: a greeting, or an ERR (too many connections, host blocked). */
    public AuthStep start(int sequenceId, ByteBuf payload) {
        checkState(State.GREETING);
        if (payload.isReadable() && payload.getUnsignedByte(payload.readerIndex()) == ErrPacket.HEADER) {
            state = State.DONE;
            throw ErrPacket.decode(payload).toException();
        }
        return start(sequenceId, HandshakeV10.decode(payload));
    }

    public AuthStep start(int sequenceId, HandshakeV10 greeting) {
        checkState(State.GREETING);
        this.greeting = greeting;
        this.lastSequenceId = sequenceId;
        long server = greeting.capabilities() & 0xFFFFFFFFL;
        if (!Capabilities.has(server, CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION)) {
            throw fail(new MySqlProtocolException(ErrorCodes.CR_SERVER_HANDSHAKE_ERR, ErrorCodes.SQLSTATE_GENERAL,
                    "server " + greeting.serverVersion() + " does not speak the 4.1 protocol with secure connection: "
                            + Capabilities.toString(server)));
        }
        long caps = requestedCapabilities & ~(CLIENT_SSL | CLIENT_CONNECT_WITH_DB | CLIENT_CONNECT_ATTRS);
        caps |= CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION;
        if (database != null) {
            caps |= CLIENT_CONNECT_WITH_DB;
        }
        if (!connectAttributes.isEmpty()) {
            caps |= CLIENT_CONNECT_ATTRS;
        }
        if (tls) {
            if (!Capabilities.has(server, CLIENT_SSL)) {
                throw fail(new MySqlProtocolException(ErrorCodes.CR_SSL_CONNECTION_ERROR,
                        ErrorCodes.SQLSTATE_GENERAL, "SSL connection error: SSL is required but the server "
                        + greeting.serverVersion() + " does not support it"));
            }
            caps |= CLIENT_SSL;
        }
        // Only what both sides speak. Bit 0 is the exception: it is MariaDB's CLIENT_MYSQL, which a MariaDB server
        // clears to offer extended capabilities; a client that keeps it set says "plain MySQL client, no extras".
        clientCapabilities = (caps & server) | (caps & Capabilities.CLIENT_MYSQL);

        String offered = greeting.authPluginName();
        plugin = isSupported(offered) ? offered : MysqlNativePassword.PLUGIN_NAME;
        scramble = greeting.scramble();
        byte[] token = token(plugin, scramble);
        boolean withPlugin = Capabilities.has(clientCapabilities, CLIENT_PLUGIN_AUTH);
        boolean withAttrs = Capabilities.has(clientCapabilities, CLIENT_CONNECT_ATTRS);
        boolean withDb = Capabilities.has(clientCapabilities, CLIENT_CONNECT_WITH_DB);
        pendingResponse = new HandshakeResponse41(clientCapabilities, maxPacketSize, collation, user, token,
                withDb ? database : null, withPlugin ? plugin : null, withAttrs ? connectAttributes : Map.of())
                .toByteArray();
        if (tls) {
            state = State.TLS_PENDING;
            return new AuthStep.StartTls(next(),
                    new SslRequest(clientCapabilities, maxPacketSize, collation).toByteArray());
        }
        state = State.AUTHENTICATING;
        return sendResponse();
    }

    /** After {@link AuthStep.StartTls}: the TLS handshake finished; the response goes out over it. */
    public AuthStep tlsEstablished() {
        checkState(State.TLS_PENDING);
        state = State.AUTHENTICATING;
        return sendResponse();
    }

    private AuthStep sendResponse() {
        byte[] response = pendingResponse;
        pendingResponse = null;
        return new AuthStep.Send(next(), response);
    }

    /** Takes the next server packet of the exchange. */
    public AuthStep handle(int sequenceId, ByteBuf payload) {
        if (state != State.AUTHENTICATING && state != State.AWAIT_PUBLIC_KEY) {
            throw new IllegalStateException("handle() in state " + state);
        }
        int expected = (lastSequenceId + 1) & 0xFF;
        if (sequenceId != expected) {
            throw fail(new MySqlProtocolException(ErrorCodes.ER_NET_PACKETS_OUT_OF_ORDER,
                    ErrorCodes.SQLSTATE_COMMUNICATION, "Got packets out of order: sequence id " + sequenceId
                    + " (expected: " + expected + ")"));
        }
        lastSequenceId = sequenceId;
        int first = payload.isReadable() ? payload.getUnsignedByte(payload.readerIndex()) : -1;
        try {
            switch (first) {
                case OkPacket.HEADER:
                    OkPacket ok = OkPacket.decode(payload, clientCapabilities);
                    state = State.DONE;
                    return new AuthStep.Success(ok);
                case ErrPacket.HEADER:
                    state = State.DONE;
                    throw ErrPacket.decode(payload).toException();
                case AuthSwitchRequest.HEADER:
                    return switchPlugin(AuthSwitchRequest.decode(payload));
                case AuthMoreData.HEADER:
                    return moreData(AuthMoreData.decode(payload));
                default:
                    throw new MalformedPacketException("packet starting 0x" + Integer.toHexString(first)
                            + " during authentication");
            }
        } catch (MySqlProtocolException e) {
            throw fail(e);
        }
    }

    private AuthStep switchPlugin(AuthSwitchRequest request) {
        if (state != State.AUTHENTICATING) {
            throw new MalformedPacketException("auth switch request while waiting for the public key");
        }
        if (!isSupported(request.pluginName())) {
            throw new MySqlProtocolException(ErrorCodes.CR_AUTH_PLUGIN_CANNOT_LOAD, ErrorCodes.SQLSTATE_GENERAL,
                    "Authentication plugin '" + request.pluginName() + "' cannot be loaded");
        }
        plugin = request.pluginName();
        scramble = request.scramble();
        return new AuthStep.Send(next(), token(plugin, scramble));
    }

    private AuthStep moreData(AuthMoreData more) {
        if (!CachingSha2Password.PLUGIN_NAME.equals(plugin)) {
            throw new MalformedPacketException("auth more data for " + plugin);
        }
        if (state == State.AWAIT_PUBLIC_KEY) {
            PublicKey key;
            try {
                key = PemPublicKeys.parse(more.data());
            } catch (IllegalArgumentException e) {
                throw new MalformedPacketException("server public key: " + e.getMessage());
            }
            state = State.AUTHENTICATING;
            return new AuthStep.Send(next(), encrypt(key));
        }
        if (more.isStatus(AuthMoreData.FAST_AUTH_SUCCESS)) {
            return AuthStep.AWAIT;
        }
        if (!more.isStatus(AuthMoreData.PERFORM_FULL_AUTHENTICATION)) {
            throw new MalformedPacketException("caching_sha2_password: unexpected auth more data " + more);
        }
        if (tls) {
            return new AuthStep.Send(next(), CachingSha2Password.cleartext(password));
        }
        if (serverPublicKey != null) {
            return new AuthStep.Send(next(), encrypt(serverPublicKey));
        }
        if (allowPublicKeyRetrieval) {
            state = State.AWAIT_PUBLIC_KEY;
            return new AuthStep.Send(next(), new byte[] {CachingSha2Password.REQUEST_PUBLIC_KEY});
        }
        throw new MySqlProtocolException(ErrorCodes.CR_AUTH_PLUGIN_ERR, ErrorCodes.SQLSTATE_GENERAL,
                "Authentication plugin 'caching_sha2_password' reported error: Authentication requires secure "
                        + "connection (use TLS, give the server's public key, or allow public key retrieval)");
    }

    private byte[] encrypt(PublicKey key) {
        try {
            return CachingSha2Password.encryptPassword(password, scramble, key);
        } catch (IllegalArgumentException e) {
            throw new MySqlProtocolException(ErrorCodes.CR_AUTH_PLUGIN_ERR, ErrorCodes.SQLSTATE_GENERAL,
                    "Authentication plugin 'caching_sha2_password' reported error: " + e.getMessage(), e);
        }
    }

    private byte[] token(String pluginName, byte[] seed) {
        return CachingSha2Password.PLUGIN_NAME.equals(pluginName) ? CachingSha2Password.scramble(password, seed)
                : MysqlNativePassword.scramble(password, seed);
    }

    private static boolean isSupported(String pluginName) {
        return MysqlNativePassword.PLUGIN_NAME.equals(pluginName)
                || CachingSha2Password.PLUGIN_NAME.equals(pluginName);
    }

    private int next() {
        lastSequenceId = (lastSequenceId + 1) & 0xFF;
        return lastSequenceId;
    }

    private MySqlProtocolException fail(MySqlProtocolException e) {
        state = State.DONE;
        return e;
    }

    private void checkState(State expected) {
        if (state != expected) {
            throw new IllegalStateException("state " + state + " (expected: " + expected + ")");
        }
    }

    /** The server's greeting; null before {@link #start}. */
    public HandshakeV10 greeting() {
        return greeting;
    }

    /** The capability flags sent in the response: what later packets (OK, result sets) are read with. */
    public long clientCapabilities() {
        return clientCapabilities;
    }

    /** The plugin in use now (after any auth switch). */
    public String pluginName() {
        return plugin;
    }

    public boolean isDone() {
        return state == State.DONE;
    }

    /** Connection settings. Mutable, not thread-safe. */
    public static final class Builder {
        private final String user;
        private final String password;
        private String database;
        private long capabilities = Capabilities.REPLICA_CLIENT_DEFAULT;
        private int collation = Collations.UTF8MB4_GENERAL_CI;
        private long maxPacketSize = DEFAULT_MAX_PACKET_SIZE;
        private boolean tls;
        private boolean allowPublicKeyRetrieval;
        private PublicKey serverPublicKey;
        private final Map<String, String> connectAttributes = new LinkedHashMap<>();

        private Builder(String user, String password) {
            this.user = Objects.requireNonNull(user, "user");
            this.password = Objects.requireNonNull(password, "password");
        }

        /** The default database; none (no CONNECT_WITH_DB) unless set. */
        public Builder database(String database) {
            this.database = database;
            return this;
        }

        /**
         * Flags to ask for; the client sends those the server also has. CLIENT_SSL, CONNECT_WITH_DB and
         * CONNECT_ATTRS follow {@link #tls}, {@link #database} and {@link #connectAttribute} instead.
         */
        public Builder capabilities(long capabilities) {
            this.capabilities = capabilities;
            return this;
        }

        public Builder collation(int collation) {
            this.collation = collation;
            return this;
        }

        public Builder maxPacketSize(long maxPacketSize) {
            this.maxPacketSize = maxPacketSize;
            return this;
        }

        /** Upgrade to TLS before sending credentials (an error if the server cannot). */
        public Builder tls(boolean tls) {
            this.tls = tls;
            return this;
        }

        /**
         * caching_sha2_password full authentication without TLS may ask the server for its RSA key. The key comes
         * unauthenticated, so a man in the middle could read the password: prefer TLS or {@link #serverPublicKey}.
         */
        public Builder allowPublicKeyRetrieval(boolean allow) {
            this.allowPublicKeyRetrieval = allow;
            return this;
        }

        /** The server's RSA key (its public_key.pem), for full authentication without TLS and without asking. */
        public Builder serverPublicKey(PublicKey key) {
            this.serverPublicKey = key;
            return this;
        }

        /** Sent with CLIENT_CONNECT_ATTRS when the server supports it (shows in performance_schema). */
        public Builder connectAttribute(String name, String value) {
            connectAttributes.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        public Authenticator build() {
            return new Authenticator(this);
        }
    }
}
