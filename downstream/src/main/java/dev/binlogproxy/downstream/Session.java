package dev.binlogproxy.downstream;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.binlogproxy.downstream.admin.ClientSession;
import dev.binlogproxy.downstream.admin.QueryHandler;
import dev.binlogproxy.downstream.admin.RegisteredReplica;
import dev.binlogproxy.downstream.admin.Reply;
import dev.binlogproxy.downstream.admin.ServedMaster;
import dev.binlogproxy.downstream.dump.DumpRequest;
import dev.binlogproxy.downstream.dump.DumpRequests;
import dev.binlogproxy.downstream.dump.DumpRun;
import dev.binlogproxy.downstream.dump.StartPoint;
import dev.binlogproxy.downstream.login.LoginStep;
import dev.binlogproxy.downstream.login.Permission;
import dev.binlogproxy.downstream.login.ServerAuthenticator;
import dev.binlogproxy.downstream.login.UserAccount;
import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.MySqlProtocolException;
import dev.binlogproxy.protocol.Packet;
import dev.binlogproxy.protocol.PacketDecoder;
import dev.binlogproxy.protocol.packet.ComRegisterSlave;
import dev.binlogproxy.protocol.packet.Commands;
import dev.binlogproxy.protocol.packet.ErrPacket;
import dev.binlogproxy.protocol.packet.OkPacket;
import dev.binlogproxy.protocol.packet.SemiSyncAck;
import dev.binlogproxy.protocol.packet.WireMessage;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.ReferenceCountUtil;

/**
 * One client connection, from greeting to close, routing each packet to the concept that owns it: the login to
 * its {@link ServerAuthenticator}, commands to the {@link QueryHandler}, COM_REGISTER_SLAVE to the server's
 * replica list, a dump command to a {@link DumpRun} stepped on this session's event loop, and during the dump the
 * semi-sync ACKs to the server's ack listeners. It owns the channel: sequence ids, writes, TLS, close. Everything
 * here runs on the channel's event loop. A protocol violation is answered with an ERR packet (its code and
 * SQLSTATE) and closes this connection only.
 */
final class Session extends ChannelInboundHandlerAdapter implements ClientSession {
    private static final Logger log = LoggerFactory.getLogger(Session.class);

    /** ER_UNKNOWN_COM_ERROR. */
    private static final int ER_UNKNOWN_COM_ERROR = 1047;
    /** ER_SERVER_OFFLINE_MODE: replicas treat a refused connection as "retry later". */
    private static final int ER_SERVER_OFFLINE_MODE = 3032;
    /** ER_SERVER_SHUTDOWN: "Server shutdown in progress". */
    private static final int ER_SERVER_SHUTDOWN = 1053;

    /** WAITING: a command's answer is being worked out off the loop ({@link Reply.Later}); later ones queue. */
    private enum Phase { LOGIN, COMMAND, WAITING, DUMP, CLOSED }

    private final DownstreamServer server;
    private final long connectionId;
    private final QueryHandler queries;
    private ChannelHandlerContext ctx;
    private Phase phase = Phase.LOGIN;
    /** The sequence id the next packet we send carries. */
    private int seq;
    /** The master as the archive showed it at connect time, for when it cannot say later. */
    private ServedMaster connectMaster;
    private ServerAuthenticator login;
    private UserAccount account;
    private String clientHost = "";
    private DumpRun dump;
    /** Packets that came while WAITING (retained), handled in order once the answer is sent. */
    private final ArrayDeque<Packet> waiting = new ArrayDeque<>();

    Session(DownstreamServer server, long connectionId) {
        this.server = server;
        this.connectionId = connectionId;
        this.queries = new QueryHandler(server.info(), this);
    }

    // ------------------------------------------------------------------ what the statements see

    @Override
    public long connectionId() {
        return connectionId;
    }

    @Override
    public String user() {
        return login == null ? "" : login.user();
    }

    @Override
    public String clientHost() {
        return clientHost;
    }

    @Override
    public boolean may(Permission p) {
        return account != null && account.may(p);
    }

    /**
     * The master as the archive shows it now (the connect-time view if the archive cannot say), with the
     * configured version, if any, in place of the master's: greeting and @@version must agree.
     */
    @Override
    public ServedMaster master() {
        return server.archiveState().master().orElse(connectMaster)
                .withConfiguredVersion(server.settings().version());
    }

    @Override
    public String command() {
        return switch (phase) {
            case DUMP -> dump != null && dump.request().start() instanceof StartPoint.FilePosition
                    ? "Binlog Dump" : "Binlog Dump GTID";
            case COMMAND -> "Sleep";
            default -> "Connect";
        };
    }

    @Override
    public String state() {
        return phase == Phase.DUMP ? "Master has sent all binlog to slave; waiting for more updates" : "";
    }

    DumpRun dump() {
        return dump;
    }

    /** Ends the connection (KILL, a newer dump with the same server_id, shutdown). Any thread. */
    @Override
    public void kill() {
        DumpRun d = dump;
        if (d != null) {
            d.stop();
        }
        if (ctx != null) {
            ctx.channel().close();
        }
    }

    /**
     * The server is stopping: the session ends with ERR 1053 "Server shutdown in progress" (SQLSTATE 08S01), which
     * replicas answer by reconnecting, as they do when a master shuts down. A dump stops stepping first, so the ERR
     * follows its last whole event; any other session gets it on its event loop. Then the connection closes.
     */
    public void shutdown() {
        ErrPacket err = new ErrPacket(ER_SERVER_SHUTDOWN, ErrorCodes.SQLSTATE_COMMUNICATION,
                "Server shutdown in progress");
        DumpRun d = dump;
        if (d != null) {
            d.abort(err);
        } else if (ctx != null) {
            ctx.executor().execute(() -> fail(err));
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
            fail(new ErrPacket(ER_SERVER_OFFLINE_MODE, ErrorCodes.SQLSTATE_GENERAL, "binlog-proxy has no binlog from "
                    + "its master yet; try again once it has mirrored the first file"));
            return;
        }
        connectMaster = m.get();
        ServedMaster shown = master();
        String version = server.settings().version() != null ? server.settings().version() : shown.greetingVersion();
        login = server.accounts().newLogin(connectionId, clientHost, version, shown.greetingCollation(),
                shown.defaultAuthPlugin());
        apply(login.start());
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Packet packet)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        handle(packet);
    }

    private void handle(Packet packet) {
        try {
            switch (phase) {
                case LOGIN -> apply(login.handle(packet));
                case COMMAND -> command(packet);
                case WAITING -> {
                    waiting.add(packet.retain());
                    // a client that does not wait for its answers is not read any further until it comes
                    ctx.channel().config().setAutoRead(false);
                }
                case DUMP -> duringDump(packet);
                default -> { }
            }
        } catch (MySqlProtocolException e) {
            server.metrics().malformed();
            log.info("session {} ({}): {}; closing", connectionId, clientHost, e.getMessage());
            if (phase == Phase.DUMP) {
                abortDump(ErrPacket.of(e));
            } else {
                failDuringExchange(ErrPacket.of(e));
            }
        } catch (RuntimeException e) {
            log.warn("session {} ({}): failed on {}", connectionId, clientHost, packet, e);
            failOnInternalError(e);
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
        Packet p;
        while ((p = waiting.poll()) != null) {
            p.release();
        }
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
        write(m.encode(ctx.alloc()));
    }

    private void write(ByteBuf payload) {
        Packet p = new Packet(seq, payload);
        seq = p.nextSequenceId();
        ctx.write(p);
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

    /** ERR 1105 and close, for a bug met at run time (the caller logged it with its stack). */
    private void failOnInternalError(RuntimeException e) {
        failDuringExchange(new ErrPacket(1105, ErrorCodes.SQLSTATE_GENERAL, "binlog-proxy internal error: " + e));
    }

    /** ERR and close in the middle of an exchange: during the login its sequence ids are the authenticator's. */
    private void failDuringExchange(ErrPacket err) {
        if (phase == Phase.LOGIN) {
            seq = login.nextSequenceId();
        }
        fail(err);
    }

    private void reply(Reply r) {
        if (r instanceof Reply.Later later) {
            answerLater(later);
            return;
        }
        for (ByteBuf payload : r.encode(ctx.alloc(), login.clientCapabilities())) {
            write(payload);
        }
        ctx.flush();
    }

    /** Runs the answer's work off the loop; back on the loop, sends it and goes on with what came meanwhile. */
    private void answerLater(Reply.Later later) {
        phase = Phase.WAITING;
        Runnable work = () -> {
            Reply r;
            try {
                r = later.work().run();
            } catch (Exception e) {
                log.warn("session {} ({}): a statement failed: {}", connectionId, clientHost, e.toString());
                r = new Reply.Error(1105, ErrorCodes.SQLSTATE_GENERAL, "binlog-proxy: " + e.getMessage());
            } catch (Error e) {
                log.warn("session {} ({}): a statement failed", connectionId, clientHost, e);
                r = new Reply.Error(1105, ErrorCodes.SQLSTATE_GENERAL, "binlog-proxy internal error: " + e);
            }
            Reply answer = r;
            try {
                ctx.executor().execute(() -> answered(answer));
            } catch (RejectedExecutionException closing) {
                // the server is closing: its loops end every session
            }
        };
        try {
            server.dumpStarts().execute(work);
        } catch (RejectedExecutionException closing) {
            fail(new ErrPacket(ER_SERVER_SHUTDOWN, ErrorCodes.SQLSTATE_COMMUNICATION, "Server shutdown in progress"));
        }
    }

    private void answered(Reply r) {
        if (phase != Phase.WAITING) {
            return; // closed meanwhile
        }
        phase = Phase.COMMAND;
        reply(r);
        Packet next;
        while (phase == Phase.COMMAND && (next = waiting.poll()) != null) {
            handle(next); // releases it
        }
        if (phase != Phase.WAITING && phase != Phase.CLOSED) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    // ------------------------------------------------------------------ login

    private void apply(LoginStep step) {
        if (step instanceof LoginStep.Send s) {
            seq = s.sequenceId();
            send(s.message());
            ctx.flush();
        } else if (step instanceof LoginStep.StartTls) {
            startTls();
        } else if (step instanceof LoginStep.Accept a) {
            seq = a.sequenceId();
            a.messages().forEach(this::send);
            ctx.flush();
            account = login.account();
            phase = Phase.COMMAND;
            server.metrics().login();
            log.debug("session {}: {}@{} logged in", connectionId, user(), clientHost);
        } else if (step instanceof LoginStep.Refuse r) {
            if (r.accessDenied()) {
                server.metrics().refusedLogin();
                log.info("session {}: access denied for '{}'@'{}'", connectionId, user(), clientHost);
            }
            seq = r.sequenceId();
            fail(r.error());
        }
    }

    /**
     * The client asked for TLS (an SSL request at sequence 1): put an SslHandler in front of the framing, and hand
     * it whatever the client already sent after the request (its ClientHello), which the packet decoder holds.
     */
    private void startTls() {
        PacketDecoder decoder = ctx.pipeline().get(PacketDecoder.class);
        ByteBuf early = decoder.takeUndecoded(ctx.pipeline().context(decoder));
        ctx.pipeline().addFirst("tls", server.sslContext().newHandler(ctx.alloc()));
        if (early.isReadable()) {
            ctx.pipeline().fireChannelRead(early);
        } else {
            early.release();
        }
    }

    // ------------------------------------------------------------------ commands

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
            case Commands.COM_REGISTER_SLAVE -> registerSlave(ComRegisterSlave.decode(packet.payload()));
            case Commands.COM_BINLOG_DUMP, Commands.COM_BINLOG_DUMP_GTID -> startDump(DumpRequests.read(command,
                    packet.payload(), master().flavor(), queries.variables().userVariables(),
                    queries.variables().systemVariables(), server.settings().semiSync()));
            case -1 -> throw new MySqlProtocolException(ER_UNKNOWN_COM_ERROR, ErrorCodes.SQLSTATE_COMMUNICATION,
                    "Unknown command (empty packet)");
            default -> reply(queries.answer(command, packet.payload()));
        }
    }

    private void registerSlave(ComRegisterSlave r) {
        if (!may(Permission.REPLICATION)) {
            reply(Reply.accessDenied("REPLICATION SLAVE"));
            return;
        }
        String slaveUuid = queries.variables().user("slave_uuid");
        String replicaUuid = queries.variables().user("replica_uuid");
        String uuid = slaveUuid != null ? slaveUuid : replicaUuid != null ? replicaUuid : "";
        String host = r.host().isEmpty() ? clientHost : r.host();
        server.register(new RegisteredReplica(connectionId, r.serverId(), host, r.port(), r.masterId(), uuid));
        send(OkPacket.of());
        ctx.flush();
    }

    private void startDump(DumpRequest request) {
        if (!may(Permission.REPLICATION)) {
            reply(Reply.accessDenied("REPLICATION SLAVE"));
            return;
        }
        phase = Phase.DUMP; // nothing is read until the dump has begun, on whichever loop it streams from
        server.onDumpLoop(ctx.channel(), () -> {
            try {
                beginDump(request);
            } catch (RuntimeException e) {
                // after a move this runs in a listener, where nothing above would catch it
                log.warn("session {} ({}): starting the dump failed", connectionId, clientHost, e);
                failOnInternalError(e);
            }
        });
    }

    private void beginDump(DumpRequest request) {
        if (phase != Phase.DUMP || !ctx.channel().isActive()) {
            return; // ended while its dump moved (a QUIT, a violation, KILL): nothing to start
        }
        dump = new DumpRun(server.archiveState().archive(), request, ctx.channel(), seq, master().serverId(),
                server.metrics().dumpMeters(), server.idleDumps(), "dump-" + connectionId + "-sid" + request.serverId(), this::dumpEnded);
        server.dumpStarting(this, request.serverId());
        log.info("session {} ({}): dump for server_id {} from {} (semi-sync {}, checksum {}, heartbeat {} ms)",
                connectionId, clientHost, request.serverId(), describe(request.start()),
                request.semiSync() ? "on" : "off", request.clientChecksum(), request.heartbeatPeriodNanos() / 1_000_000);
        dump.start(server.dumpStarts());
    }

    private static String describe(StartPoint start) {
        if (start instanceof StartPoint.FilePosition f) {
            return (f.file().isEmpty() ? "the oldest file" : f.file()) + ":" + f.position();
        } else if (start instanceof StartPoint.MySqlGtids g) {
            return "GTID set '" + g.executed() + "'";
        } else if (start instanceof StartPoint.MariaGtids g) {
            return "GTID position '" + g.connectState() + "'";
        }
        return String.valueOf(start);
    }

    // ------------------------------------------------------------------ during a dump

    /** While a dump streams the client only acknowledges (semi-sync) or quits; anything else ends the session. */
    private void duringDump(Packet packet) {
        int command = packet.firstByte();
        DumpRun d = dump; // null while the dump moves to the loop it streams from: nothing of it was sent yet
        switch (command) {
            case Commands.SEMI_SYNC_ACK -> {
                if (d == null) {
                    throw new MySqlProtocolException(ER_UNKNOWN_COM_ERROR, ErrorCodes.SQLSTATE_COMMUNICATION,
                            "A semi-sync ACK before the binlog dump sent any event");
                }
                SemiSyncAck ack = SemiSyncAck.decode(packet.payload());
                server.acknowledged(d.request().serverId(), ack.fileName(), ack.position());
            }
            case Commands.COM_QUIT -> {
                phase = Phase.CLOSED;
                if (d != null) {
                    d.stop();
                }
                ctx.close();
            }
            default -> throw new MySqlProtocolException(ER_UNKNOWN_COM_ERROR, ErrorCodes.SQLSTATE_COMMUNICATION,
                    "Unknown command during a binlog dump: " + Commands.name(command));
        }
    }

    private void abortDump(ErrPacket err) {
        DumpRun d = dump;
        if (d == null) {
            fail(err); // the dump has not begun (it is moving to its loop): the ERR goes out here; fail closes
            return;
        }
        phase = Phase.CLOSED;
        d.abort(err);
    }

    /** The dump finished; on the event loop. A non-blocking dump that ended with EOF goes back to commands. */
    private void dumpEnded(DumpRun run, boolean backToCommands, int nextSequenceId) {
        server.dumpEnded(this, run);
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
}
