package dev.binlogproxy.downstream;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.binlogproxy.downstream.dump.DumpRequest;
import dev.binlogproxy.protocol.Capabilities;
import dev.binlogproxy.protocol.Collations;
import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.MySqlProtocolException;
import dev.binlogproxy.protocol.Packet;
import dev.binlogproxy.protocol.PacketDecoder;
import dev.binlogproxy.protocol.ServerStatus;
import dev.binlogproxy.protocol.auth.CachingSha2Password;
import dev.binlogproxy.protocol.auth.MysqlNativePassword;
import dev.binlogproxy.protocol.packet.AuthMoreData;
import dev.binlogproxy.protocol.packet.AuthSwitchRequest;
import dev.binlogproxy.protocol.packet.ComBinlogDump;
import dev.binlogproxy.protocol.packet.ComBinlogDumpGtid;
import dev.binlogproxy.protocol.packet.ComQuery;
import dev.binlogproxy.protocol.packet.ComRegisterSlave;
import dev.binlogproxy.protocol.packet.Commands;
import dev.binlogproxy.protocol.packet.EofPacket;
import dev.binlogproxy.protocol.packet.ErrPacket;
import dev.binlogproxy.protocol.packet.HandshakeResponse41;
import dev.binlogproxy.protocol.packet.HandshakeV10;
import dev.binlogproxy.protocol.packet.OkPacket;
import dev.binlogproxy.protocol.packet.SemiSyncAck;
import dev.binlogproxy.protocol.packet.SslRequest;
import dev.binlogproxy.protocol.packet.WireMessage;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.SslHandler;

/**
 * One client connection, from greeting to close: handshake and login ({@link Login}), then commands. Queries go to
 * {@link QueryHandler}; a dump command becomes a {@link DumpRequest} run by a {@link DumpRun}, stepped on this
 * session's event loop, while this handler keeps reading (semi-sync ACKs, COM_QUIT). Everything here runs on the
 * channel's event loop. A protocol violation is answered with an ERR packet (its code and SQLSTATE) and closes this connection
 * only.
 */
final class Session extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Session.class);
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
    /** ER_UNKNOWN_COM_ERROR. */
    private static final int ER_UNKNOWN_COM_ERROR = 1047;

    private enum Phase { GREETING, AUTH_SWITCH, SHA2_FULL_AUTH, COMMAND, DUMP, CLOSED }

    private final DownstreamServer server;
    private final long connectionId;
    private final SessionVariables variables = new SessionVariables();
    private final QueryHandler queries;
    private ChannelHandlerContext ctx;
    private Phase phase = Phase.GREETING;
    /** The sequence id the next packet we send carries. */
    private int seq;
    private byte[] scramble;
    private String greetingPlugin;
    private ServedMaster master;
    private long clientCapabilities;
    private String userName = "";
    private UserAccount account;
    private String pendingPlugin;
    private String clientHost = "";
    private String lastQuery = "";
    private DumpRun dump;

    Session(DownstreamServer server, long connectionId) {
        this.server = server;
        this.connectionId = connectionId;
        this.queries = new QueryHandler(server, this);
    }

    // ------------------------------------------------------------------ accessors for the query handler

    long connectionId() {
        return connectionId;
    }

    String user() {
        return userName;
    }

    String clientHost() {
        return clientHost;
    }

    SessionVariables variables() {
        return variables;
    }

    boolean may(Permission p) {
        return account != null && account.may(p);
    }

    /**
     * The master as the archive shows it now (the connect-time view if the archive cannot say), with the
     * configured version, if any, in place of the master's: greeting and @@version must agree.
     */
    ServedMaster master() {
        ServedMaster m = server.archiveState().master().orElse(master);
        String v = server.settings().version();
        if (v == null) {
            return m;
        }
        String shown = v.startsWith(HandshakeV10.MARIADB_VERSION_PREFIX) && v.contains("MariaDB")
                ? v.substring(HandshakeV10.MARIADB_VERSION_PREFIX.length()) : v;
        return new ServedMaster(m.flavor(), shown, m.serverId(), m.serverUuid(), m.checksum(), m.upstreamVariables());
    }

    /** Whether the statement being answered names {@code word} (SHOW REPLICAS vs SHOW SLAVE HOSTS columns). */
    boolean lastQueryMentions(String word) {
        return lastQuery.toUpperCase(Locale.ROOT).contains(word);
    }

    String command() {
        return switch (phase) {
            case DUMP -> dump != null && dump.request().start() instanceof dev.binlogproxy.downstream.dump.StartPoint.FilePosition
                    ? "Binlog Dump" : "Binlog Dump GTID";
            case COMMAND -> "Sleep";
            default -> "Connect";
        };
    }

    String state() {
        return phase == Phase.DUMP ? "Master has sent all binlog to slave; waiting for more updates" : "";
    }

    DumpRun dump() {
        return dump;
    }

    /** Ends the connection (KILL, a newer dump with the same server_id, shutdown). Any thread. */
    void kill() {
        DumpRun d = dump;
        if (d != null) {
            d.stop();
        }
        if (ctx != null) {
            ctx.channel().close();
        }
    }

    // ------------------------------------------------------------------ Netty

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().remoteAddress() instanceof InetSocketAddress a) {
            clientHost = a.getAddress().getHostAddress();
        }
        Optional<ServedMaster> m = server.archiveState().master();
        if (m.isEmpty()) {
            // ER_SERVER_OFFLINE_MODE: replicas treat a refused connection as "retry later".
            fail(new ErrPacket(3032, ErrorCodes.SQLSTATE_GENERAL, "binlog-proxy has no binlog from its master yet; "
                    + "try again once it has mirrored the first file"));
            return;
        }
        master = m.get();
        master = master();
        scramble = newScramble();
        greetingPlugin = master.isMariaDb() ? MysqlNativePassword.PLUGIN_NAME : CachingSha2Password.PLUGIN_NAME;
        long caps = SERVER_CAPABILITIES | (server.settings().tlsEnabled() ? Capabilities.CLIENT_SSL : 0);
        String version = server.settings().version() != null ? server.settings().version()
                : master.greetingVersion();
        int collation = master.isMariaDb() ? Collations.UTF8MB4_GENERAL_CI : Collations.UTF8MB4_0900_AI_CI;
        seq = 0;
        sendAndFlush(new HandshakeV10(version, connectionId, scramble, caps, collation,
                ServerStatus.SERVER_STATUS_AUTOCOMMIT, greetingPlugin));
        ctx.fireChannelActive();
    }

    /** 20 bytes in 1..127, as mysqld makes them: some clients keep the scramble in a String. */
    static byte[] newScramble() {
        byte[] s = new byte[HandshakeV10.SCRAMBLE_LENGTH];
        for (int i = 0; i < s.length; i++) {
            s[i] = (byte) (1 + RANDOM.nextInt(127));
        }
        return s;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Packet packet)) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        try {
            if (phase == Phase.CLOSED) {
                return;
            }
            handle(packet);
        } catch (MySqlProtocolException e) {
            server.metrics().malformed();
            log.info("session {} ({}): {}; closing", connectionId, clientHost, e.getMessage());
            if (phase == Phase.DUMP) {
                abortDump(ErrPacket.of(e));
            } else {
                fail(ErrPacket.of(e));
            }
        } catch (RuntimeException e) {
            log.warn("session {} ({}): failed on {}", connectionId, clientHost, packet, e);
            fail(new ErrPacket(1105, ErrorCodes.SQLSTATE_GENERAL, "binlog-proxy internal error: " + e));
        } finally {
            packet.release();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            server.metrics().malformed();
            fail(new ErrPacket(ErrorCodes.ER_NET_PACKET_TOO_LARGE, ErrorCodes.SQLSTATE_COMMUNICATION,
                    "Got a packet bigger than 'max_allowed_packet' bytes"));
        } else if (cause instanceof CorruptedFrameException) {
            server.metrics().malformed();
            fail(new ErrPacket(ErrorCodes.ER_NET_PACKETS_OUT_OF_ORDER, ErrorCodes.SQLSTATE_COMMUNICATION,
                    "Got packets out of order"));
        } else if (cause instanceof IOException) {
            log.debug("session {} ({}): {}", connectionId, clientHost, cause.toString());
            ctx.close();
        } else {
            log.info("session {} ({}): {}", connectionId, clientHost, cause.toString());
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        phase = Phase.CLOSED;
        DumpRun d = dump;
        if (d != null) {
            d.stop();
        }
        server.closed(this);
        ctx.fireChannelInactive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        DumpRun d = dump;
        if (d != null) {
            d.writabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    // ------------------------------------------------------------------ sending

    private void send(WireMessage m) {
        ByteBuf payload = m.encode(ctx.alloc());
        Packet p = new Packet(seq, payload);
        seq = p.nextSequenceId();
        ctx.write(p);
    }

    private void sendAndFlush(WireMessage m) {
        send(m);
        ctx.flush();
    }

    /** ERR and close: a refused login, a protocol violation. Nothing else is sent afterwards. */
    private void fail(ErrPacket err) {
        if (phase == Phase.CLOSED) {
            return;
        }
        phase = Phase.CLOSED;
        ByteBuf payload = err.encode(ctx.alloc());
        ctx.writeAndFlush(new Packet(seq, payload)).addListener(ChannelFutureListener.CLOSE);
    }

    private void reply(Reply r) {
        if (r instanceof Reply.Ok ok) {
            sendAndFlush(new OkPacket(OkPacket.HEADER, 0, 0, ServerStatus.SERVER_STATUS_AUTOCOMMIT, ok.warnings(),
                    ok.info()));
        } else if (r instanceof Reply.Error e) {
            sendAndFlush(new ErrPacket(e.code(), e.sqlState(), e.message()));
        } else if (r instanceof Reply.Rows rows) {
            List<ByteBuf> payloads = rows.resultSet().encode(ctx.alloc(), clientCapabilities);
            for (ByteBuf b : payloads) {
                Packet p = new Packet(seq, b);
                seq = p.nextSequenceId();
                ctx.write(p);
            }
            ctx.flush();
        }
    }

    // ------------------------------------------------------------------ dispatch

    private void handle(Packet packet) {
        switch (phase) {
            case GREETING -> handshakeResponse(packet);
            case AUTH_SWITCH -> authSwitchResponse(packet);
            case SHA2_FULL_AUTH -> fullAuthentication(packet);
            case COMMAND -> command(packet);
            case DUMP -> duringDump(packet);
            default -> { }
        }
    }

    private void expectSequence(Packet packet) {
        if (packet.sequenceId() != seq) {
            throw new MySqlProtocolException(ErrorCodes.ER_NET_PACKETS_OUT_OF_ORDER, ErrorCodes.SQLSTATE_COMMUNICATION,
                    "Got packets out of order (sequence id " + packet.sequenceId() + ", expected " + seq + ")");
        }
        seq = packet.nextSequenceId();
    }

    private void handshakeResponse(Packet packet) {
        expectSequence(packet);
        ByteBuf payload = packet.payload();
        if (SslRequest.isSslRequest(payload)) {
            startTls();
            return;
        }
        HandshakeResponse41 response;
        try {
            response = HandshakeResponse41.decode(payload);
        } catch (MySqlProtocolException e) {
            throw new MySqlProtocolException(ER_HANDSHAKE_ERROR, ErrorCodes.SQLSTATE_COMMUNICATION, "Bad handshake");
        }
        clientCapabilities = response.capabilities();
        userName = response.user();
        boolean tls = ctx.pipeline().get(SslHandler.class) != null;
        if (server.settings().tlsRequired() && !tls) {
            // ER_SECURE_TRANSPORT_REQUIRED
            fail(new ErrPacket(3159, ErrorCodes.SQLSTATE_GENERAL, "Connections using insecure transport are "
                    + "prohibited by binlog-proxy (server.tls.required)"));
            return;
        }
        UserAccount user = server.settings().user(userName);
        byte[] token = response.authResponse();
        String plugin = response.authPluginName() == null || response.authPluginName().isEmpty()
                ? MysqlNativePassword.PLUGIN_NAME : response.authPluginName();
        if (user == null) {
            deny(token.length > 0);
            return;
        }
        account = user;
        if (plugin.equals(MysqlNativePassword.PLUGIN_NAME) && user.password().supportsNative()) {
            finishLogin(user.password().checkNative(token, scramble), token.length > 0, false);
        } else if (plugin.equals(CachingSha2Password.PLUGIN_NAME) && user.password().supportsSha2()) {
            sha2(token);
        } else {
            // The client spoke a plugin this user has no hash for: ask for the one it has.
            pendingPlugin = user.password().supportsSha2() && (greetingPlugin.equals(CachingSha2Password.PLUGIN_NAME)
                    || !user.password().supportsNative()) ? CachingSha2Password.PLUGIN_NAME
                    : MysqlNativePassword.PLUGIN_NAME;
            if (!Capabilities.has(clientCapabilities, Capabilities.CLIENT_PLUGIN_AUTH)) {
                deny(token.length > 0);
                return;
            }
            phase = Phase.AUTH_SWITCH;
            sendAndFlush(AuthSwitchRequest.withScramble(pendingPlugin, scramble));
        }
    }

    private void authSwitchResponse(Packet packet) {
        expectSequence(packet);
        byte[] token = new byte[packet.payload().readableBytes()];
        packet.payload().readBytes(token);
        if (pendingPlugin.equals(CachingSha2Password.PLUGIN_NAME)) {
            sha2(token);
        } else {
            finishLogin(account.password().checkNative(token, scramble), token.length > 0, false);
        }
    }

    /**
     * caching_sha2_password: the fast path, or (a user's first login, with server.fullAuthOnFirstLogin) the full
     * path, where the client sends the password over TLS or RSA-encrypted with the key it asks for.
     */
    private void sha2(byte[] token) {
        if (token.length > 0 && server.needsFullAuth(userName)) {
            phase = Phase.SHA2_FULL_AUTH;
            sendAndFlush(new AuthMoreData(new byte[] {AuthMoreData.PERFORM_FULL_AUTHENTICATION}));
            return;
        }
        finishLogin(account.password().checkSha2Fast(token, scramble), token.length > 0, true);
    }

    private void fullAuthentication(Packet packet) {
        expectSequence(packet);
        byte[] data = new byte[packet.payload().readableBytes()];
        packet.payload().readBytes(data);
        boolean tls = ctx.pipeline().get(SslHandler.class) != null;
        if (!tls && data.length == 1 && data[0] == CachingSha2Password.REQUEST_PUBLIC_KEY) {
            sendAndFlush(new AuthMoreData(server.rsaKeys().publicPem()));
            return;
        }
        byte[] password = tls ? RsaKeys.stripNul(data) : server.rsaKeys().decryptPassword(data, scramble);
        boolean ok = password != null && account.password().checkSha2Cleartext(password);
        if (password != null) {
            java.util.Arrays.fill(password, (byte) 0);
        }
        if (ok) {
            server.cacheSha2(userName);
        }
        // the full path ends with a plain OK, no "fast auth succeeded"
        finishLogin(ok, true, false);
    }

    private void finishLogin(boolean ok, boolean usedPassword, boolean sha2) {
        if (!ok) {
            deny(usedPassword);
            return;
        }
        if (sha2 && usedPassword) {
            // caching_sha2_password: "fast authentication succeeded", then the OK
            send(new AuthMoreData(new byte[] {AuthMoreData.FAST_AUTH_SUCCESS}));
        }
        phase = Phase.COMMAND;
        sendAndFlush(OkPacket.of());
        server.metrics().login();
        log.debug("session {}: {}@{} logged in", connectionId, userName, clientHost);
    }

    private void deny(boolean usedPassword) {
        server.metrics().refusedLogin();
        log.info("session {}: access denied for '{}'@'{}'", connectionId, userName, clientHost);
        account = null;
        fail(new ErrPacket(ErrorCodes.ER_ACCESS_DENIED, ErrorCodes.SQLSTATE_ACCESS_DENIED, "Access denied for user '"
                + userName + "'@'" + clientHost + "' (using password: " + (usedPassword ? "YES" : "NO") + ")"));
    }

    /**
     * The client asked for TLS (an SSL request at sequence 1): put an SslHandler in front of the framing, and hand
     * it whatever the client already sent after the request (its ClientHello), which the packet decoder holds.
     */
    private void startTls() {
        if (server.sslContext() == null) {
            throw new MySqlProtocolException(ER_HANDSHAKE_ERROR, ErrorCodes.SQLSTATE_COMMUNICATION,
                    "Bad handshake: SSL requested but not offered");
        }
        PacketDecoder decoder = ctx.pipeline().get(PacketDecoder.class);
        ByteBuf early = decoder.takeUndecoded(ctx.pipeline().context(decoder));
        ctx.pipeline().addFirst("tls", server.sslContext().newHandler(ctx.alloc()));
        if (early.isReadable()) {
            ctx.pipeline().fireChannelRead(early);
        } else {
            early.release();
        }
    }

    private void command(Packet packet) {
        if (packet.sequenceId() != 0) {
            throw new MySqlProtocolException(ErrorCodes.ER_NET_PACKETS_OUT_OF_ORDER, ErrorCodes.SQLSTATE_COMMUNICATION,
                    "Got packets out of order (a command at sequence id " + packet.sequenceId() + ")");
        }
        seq = packet.nextSequenceId();
        int command = packet.firstByte();
        switch (command) {
            case Commands.COM_QUIT -> {
                phase = Phase.CLOSED;
                ctx.close();
            }
            case Commands.COM_PING, Commands.COM_INIT_DB -> sendAndFlush(OkPacket.of());
            case 0x1F -> { // COM_RESET_CONNECTION: session settings back to the defaults
                variables.system().clear();
                sendAndFlush(OkPacket.of());
            }
            case 0x1B -> sendAndFlush(new EofPacket(0, ServerStatus.SERVER_STATUS_AUTOCOMMIT)); // COM_SET_OPTION
            case 0x04 -> { // COM_FIELD_LIST: no tables here
                if (Capabilities.has(clientCapabilities, Capabilities.CLIENT_DEPRECATE_EOF)) {
                    sendAndFlush(OkPacket.endOfResultSet(ServerStatus.SERVER_STATUS_AUTOCOMMIT, 0));
                } else {
                    sendAndFlush(new EofPacket(0, ServerStatus.SERVER_STATUS_AUTOCOMMIT));
                }
            }
            case 0x09 -> { // COM_STATISTICS: one string, no header byte
                ByteBuf b = ctx.alloc().buffer();
                b.writeCharSequence("Uptime: " + server.uptimeSeconds() + "  Threads: " + server.sessions().size()
                        + "  Questions: 0  Slow queries: 0  Opens: 0  Open tables: 0  Queries per second avg: 0",
                        StandardCharsets.UTF_8);
                Packet p = new Packet(seq, b);
                seq = p.nextSequenceId();
                ctx.writeAndFlush(p);
            }
            case Commands.COM_QUERY -> {
                lastQuery = ComQuery.decode(packet.payload()).query();
                log.debug("session {}: {}", connectionId, lastQuery);
                reply(queries.execute(lastQuery));
            }
            case Commands.COM_REGISTER_SLAVE -> registerSlave(ComRegisterSlave.decode(packet.payload()));
            case Commands.COM_BINLOG_DUMP -> {
                ComBinlogDump d = ComBinlogDump.decode(packet.payload());
                startDump(d.serverId(), d.flags(), DumpRequests.filePosition(d, master(), variables));
            }
            case Commands.COM_BINLOG_DUMP_GTID -> {
                ComBinlogDumpGtid d = ComBinlogDumpGtid.decode(packet.payload());
                startDump(d.serverId(), d.flags(), DumpRequests.mysqlGtids(d));
            }
            case -1 -> throw new MySqlProtocolException(ER_UNKNOWN_COM_ERROR, ErrorCodes.SQLSTATE_COMMUNICATION,
                    "Unknown command (empty packet)");
            default -> sendAndFlush(new ErrPacket(ER_UNKNOWN_COM_ERROR, ErrorCodes.SQLSTATE_COMMUNICATION,
                    "Unknown command"));
        }
    }

    private void registerSlave(ComRegisterSlave r) {
        if (!may(Permission.REPLICATION)) {
            reply(Reply.accessDenied("REPLICATION SLAVE"));
            return;
        }
        String uuid = variables.user("slave_uuid") != null ? variables.user("slave_uuid")
                : variables.user("replica_uuid") != null ? variables.user("replica_uuid") : "";
        String host = r.host().isEmpty() ? clientHost : r.host();
        server.register(new RegisteredReplica(connectionId, r.serverId(), host, r.port(), r.masterId(), uuid));
        sendAndFlush(OkPacket.of());
    }

    private void startDump(long serverId, int flags, dev.binlogproxy.downstream.dump.StartPoint start) {
        if (!may(Permission.REPLICATION)) {
            reply(Reply.accessDenied("REPLICATION SLAVE"));
            return;
        }
        DumpRequest request = DumpRequests.request(start, serverId, flags, master(), variables, server.semiSync());
        ChannelDumpOutput out = new ChannelDumpOutput(ctx.channel(), seq);
        phase = Phase.DUMP;
        dump = new DumpRun(server, this, request, out);
        server.dumpStarting(this, serverId);
        log.info("session {} ({}): dump for server_id {} from {} (semi-sync {}, checksum {}, heartbeat {} ms)",
                connectionId, clientHost, serverId, describe(start), request.semiSync() ? "on" : "off",
                request.clientChecksum(), request.heartbeatPeriodNanos() / 1_000_000);
        dump.start(server.dumpStarts());
    }

    private static String describe(dev.binlogproxy.downstream.dump.StartPoint start) {
        if (start instanceof dev.binlogproxy.downstream.dump.StartPoint.FilePosition f) {
            return (f.file().isEmpty() ? "the oldest file" : f.file()) + ":" + f.position();
        } else if (start instanceof dev.binlogproxy.downstream.dump.StartPoint.MySqlGtids g) {
            return "GTID set '" + g.executed() + "'";
        } else if (start instanceof dev.binlogproxy.downstream.dump.StartPoint.MariaGtids g) {
            return "GTID position '" + g.connectState() + "'";
        }
        return String.valueOf(start);
    }

    /** While a dump streams the client only acknowledges (semi-sync) or quits; anything else ends the session. */
    private void duringDump(Packet packet) {
        int command = packet.firstByte();
        switch (command) {
            case Commands.SEMI_SYNC_ACK -> {
                SemiSyncAck ack = SemiSyncAck.decode(packet.payload());
                server.acknowledged(dump.request().serverId(), ack.fileName(), ack.position());
            }
            case Commands.COM_QUIT -> {
                phase = Phase.CLOSED;
                dump.stop();
                ctx.close();
            }
            default -> throw new MySqlProtocolException(ER_UNKNOWN_COM_ERROR, ErrorCodes.SQLSTATE_COMMUNICATION,
                    "Unknown command during a binlog dump: " + Commands.name(command));
        }
    }

    private void abortDump(ErrPacket err) {
        DumpRun d = dump;
        phase = Phase.CLOSED;
        if (d == null) {
            fail(err);
        } else {
            d.abort(err);
        }
    }

    /** The dump finished; on the event loop. A non-blocking dump that ended with EOF goes back to commands. */
    void dumpEnded(DumpRun run, boolean backToCommands, int nextSequenceId) {
        if (dump != run) {
            return;
        }
        dump = null;
        if (backToCommands && phase == Phase.DUMP && ctx.channel().isActive()) {
            phase = Phase.COMMAND;
            seq = nextSequenceId;
        } else if (phase != Phase.CLOSED) {
            phase = Phase.CLOSED;
            ctx.close();
        }
    }

    ChannelHandlerContext context() {
        return ctx;
    }
}
