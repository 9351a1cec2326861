package dev.binlogproxy.client;

import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.position.MariaGtidPosition;
import dev.binlogproxy.binlog.position.MySqlGtidSet;
import dev.binlogproxy.protocol.Capabilities;
import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.MySqlProtocolException;
import dev.binlogproxy.protocol.Packet;
import dev.binlogproxy.protocol.auth.AuthStep;
import dev.binlogproxy.protocol.auth.Authenticator;
import dev.binlogproxy.protocol.packet.ComBinlogDump;
import dev.binlogproxy.protocol.packet.ComBinlogDumpGtid;
import dev.binlogproxy.protocol.packet.ComQuery;
import dev.binlogproxy.protocol.packet.ComRegisterSlave;
import dev.binlogproxy.protocol.packet.Commands;
import dev.binlogproxy.protocol.packet.ErrPacket;
import dev.binlogproxy.protocol.packet.HandshakeV10;
import dev.binlogproxy.protocol.packet.OkPacket;
import dev.binlogproxy.protocol.packet.ResultSetReader;
import dev.binlogproxy.protocol.packet.TextResultSet;
import dev.binlogproxy.protocol.packet.WireMessage;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

import javax.net.ssl.SSLException;
import java.security.cert.CertificateException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * An authenticated connection to a MySQL 8 or MariaDB server, as a replica or an admin client: login (TLS per
 * {@link TlsMode}, mysql_native_password or caching_sha2_password), then queries and commands one at a time, then,
 * for a replica, a stream (the dump) handed packet by packet to a {@link PacketHandler} on the event loop.
 * The blocking calls are for one thread at a time; the stream's calls are for the handler's thread.
 */
public final class ServerConnection implements AutoCloseable {
    /** Large enough for any event a master can send (max_allowed_packet tops out at 1 GB). */
    public static final int MAX_PACKET = 1 << 30;

    private final PacketChannel channel;
    private final HandshakeV10 greeting;
    private final long capabilities;
    private final boolean tls;
    private final Duration timeout;
    /** A dump streams: the server does not read commands any more, and a COM_QUIT would only confuse it. */
    private volatile boolean streaming;

    private ServerConnection(PacketChannel channel, HandshakeV10 greeting, long capabilities, boolean tls,
                             Duration timeout) {
        this.channel = channel;
        this.greeting = greeting;
        this.capabilities = capabilities;
        this.tls = tls;
        this.timeout = timeout;
    }

    public static ServerConnection open(EventLoopGroup group, ConnectionSettings s) throws IOException {
        PacketChannel ch = PacketChannel.connect(group, s.host(), s.port(), s.connectTimeout(), MAX_PACKET);
        try {
            Packet first = take(ch, s.connectTimeout());
            HandshakeV10 greeting;
            int seq = first.sequenceId();
            try {
                if (first.firstByte() == ErrPacket.HEADER) {
                    throw ErrPacket.decode(first.payload()).toException();
                }
                greeting = HandshakeV10.decode(first.payload().duplicate());
            } finally {
                first.release();
            }
            boolean serverTls = greeting.hasCapability(Capabilities.CLIENT_SSL);
            boolean useTls = switch (s.tlsMode()) {
                case DISABLED -> false;
                case PREFERRED -> serverTls;
                default -> true; // REQUIRED and VERIFY_*: the authenticator refuses a server without TLS
            };
            Authenticator auth = Authenticator.builder(s.user(), s.password().reveal())
                    .capabilities(Capabilities.REPLICA_CLIENT_DEFAULT)
                    .tls(useTls)
                    // Without TLS, caching_sha2_password's full path needs the server's RSA key; asking for it
                    // is what MySQL replicas do with GET_MASTER_PUBLIC_KEY=1.
                    .allowPublicKeyRetrieval(true)
                    .connectAttribute("program_name", "binlog-proxy")
                    .build();
            AuthStep step = auth.start(seq, greeting);
            while (!(step instanceof AuthStep.Success)) {
                if (step instanceof AuthStep.StartTls t) {
                    ch.send(t.sequenceId(), t.payload());
                    try {
                        ch.startTls(sslContext(s), s.host(), s.port(), s.connectTimeout());
                    } catch (IOException e) {
                        throw tlsFailure(s, e);
                    }
                    step = auth.tlsEstablished();
                } else if (step instanceof AuthStep.Send send) {
                    ch.send(send.sequenceId(), send.payload());
                    step = AuthStep.AWAIT;
                } else {
                    Packet p = take(ch, s.connectTimeout());
                    try {
                        step = auth.handle(p.sequenceId(), p.payload());
                    } finally {
                        p.release();
                    }
                }
            }
            return new ServerConnection(ch, greeting, auth.clientCapabilities(), useTls, s.connectTimeout());
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Says which check refused the server's certificate. */
    private static IOException tlsFailure(ConnectionSettings s, IOException e) {
        if (s.tlsMode() != TlsMode.VERIFY_CA && s.tlsMode() != TlsMode.VERIFY_IDENTITY) {
            return e;
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof CertificateException) {
                String m = String.valueOf(c.getMessage());
                // the JDK's host name check (sun.security.util.HostnameChecker) words its refusals this way
                if (s.tlsMode() == TlsMode.VERIFY_IDENTITY && (m.contains("No subject alternative")
                        || m.contains("No name matching"))) {
                    return new IOException("TLS mode verify-identity: the certificate of " + s.address() + " does not name "
                            + s.host() + " (" + m + ")", e);
                }
                return new IOException("TLS mode " + s.tlsMode().name().toLowerCase().replace('_', '-')
                        + ": the certificate of " + s.address() + " is not signed by the CA file " + s.tlsCaFile() + " ("
                        + m + ")", e);
            }
        }
        return e;
    }

    private static SslContext sslContext(ConnectionSettings s) throws SSLException {
        SslContextBuilder b = SslContextBuilder.forClient();
        if (s.tlsMode() == TlsMode.VERIFY_CA || s.tlsMode() == TlsMode.VERIFY_IDENTITY) {
            b.trustManager(s.tlsCaFile().toFile());
            // Netty 4.2 checks the host name by default; verify-ca is the chain alone (the mysql client's meaning)
            b.endpointIdentificationAlgorithm(s.tlsMode() == TlsMode.VERIFY_IDENTITY ? "HTTPS" : null);
        } else {
            // PREFERRED/REQUIRED encrypt without verifying, like the mysql client's --ssl-mode of the same names
            b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
        }
        return b.build();
    }

    private static Packet take(PacketChannel ch, Duration timeout) throws IOException {
        try {
            return ch.take(timeout);
        } catch (TimeoutException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    public HandshakeV10 greeting() {
        return greeting;
    }

    /** MySQL or MariaDB, from the greeting (MariaDB's version carries its name). */
    public BinlogFlavor flavor() {
        return greeting.isMariaDb() ? BinlogFlavor.MARIADB : BinlogFlavor.MYSQL;
    }

    public boolean usesTls() {
        return tls;
    }

    /** Runs a statement and returns its result set (empty for statements without one). */
    public TextResultSet query(String sql) throws IOException {
        channel.send(0, new ComQuery(sql).toByteArray());
        ResultSetReader reader = new ResultSetReader(capabilities);
        while (true) {
            Packet p = take(channel, timeout);
            try {
                var done = reader.accept(p.payload());
                if (done.isPresent()) {
                    return done.get();
                }
            } finally {
                p.release();
            }
        }
    }

    /** The first column of the first row, or null; a 1193 (unknown variable) also gives null. */
    public String queryValue(String sql) throws IOException {
        try {
            TextResultSet rs = query(sql);
            return rs.rows().isEmpty() ? null : rs.rows().get(0).get(0);
        } catch (MySqlProtocolException e) {
            if (e.errorCode() == ErrorCodes.ER_UNKNOWN_SYSTEM_VARIABLE) {
                return null;
            }
            throw e;
        }
    }

    /** Sends a command whose answer is OK (or ERR, thrown). */
    public void command(WireMessage message) throws IOException {
        channel.send(0, message.toByteArray());
        Packet p = take(channel, timeout);
        try {
            if (p.firstByte() == ErrPacket.HEADER) {
                throw ErrPacket.decode(p.payload()).toException();
            }
            OkPacket.decode(p.payload(), capabilities);
        } finally {
            p.release();
        }
    }

    /** Runs statements that return no rows (SET, FLUSH, CHANGE MASTER, ...), one at a time, in order. */
    public void execute(String... statements) throws IOException {
        for (String sql : statements) {
            query(sql);
        }
    }

    /** COM_REGISTER_SLAVE: the server lists this connection among its replicas (SHOW SLAVE HOSTS). */
    public void register(long serverId) throws IOException {
        command(new ComRegisterSlave(serverId, "", "", "", 0, 0, 0));
    }

    /**
     * Starts a dump by file and position (COM_BINLOG_DUMP); the events follow as a stream: read them with
     * {@link #next} or hand them to a {@link PacketHandler} with {@link #streamTo}. Send the pre-dump queries first
     * ({@link ReplicaHandshake}).
     */
    public void dump(String file, long position, int flags, long serverId) throws IOException {
        send(new ComBinlogDump(position, flags, serverId, file));
    }

    /** Starts a MySQL GTID dump (COM_BINLOG_DUMP_GTID) from what the replica has executed. */
    public void dumpGtid(MySqlGtidSet executed, int flags, long serverId) throws IOException {
        send(new ComBinlogDumpGtid(flags, serverId, "", 4, executed.encode()));
    }

    /**
     * Starts a MariaDB GTID dump: the connect state goes in a user variable, the master picks the file itself
     * (the dump's file and position are ignored).
     */
    public void dumpMariaGtid(MariaGtidPosition connectState, int flags, long serverId) throws IOException {
        execute("SET @slave_connect_state = '" + connectState + "'", "SET @slave_gtid_strict_mode = 0",
                "SET @slave_gtid_ignore_duplicates = 0");
        send(new ComBinlogDump(4, flags, serverId, ""));
    }

    /** Sends a command that is answered by a stream (the dump): nothing is read here. */
    public void send(WireMessage message) throws IOException {
        channel.send(0, message.toByteArray());
    }

    /** The next packet of a stream read from this thread (the caller releases it); see also {@link #streamTo}. */
    public Packet next(Duration timeout) throws IOException, TimeoutException {
        return channel.take(timeout);
    }

    /** Hands every further packet to {@code inbound} on the event loop (see {@link PacketChannel#streamTo}). */
    public CompletableFuture<Void> streamTo(PacketHandler inbound) throws IOException {
        streaming = true;
        return channel.streamTo(inbound);
    }

    /** The event loop the streamed packets are handled on. */
    public io.netty.channel.EventLoop eventLoop() {
        return channel.eventLoop();
    }

    /** Sends what {@link #writeFromHandler} queued. */
    public void flushFromHandler() {
        channel.flushFromHandler();
    }

    /** Queues a new command at sequence 0 from the event loop's {@link PacketHandler}; flushed after it. */
    public void writeFromHandler(WireMessage message) {
        channel.writeFromHandler(0, message.toByteArray());
    }

    /** A new command at sequence 0, sent from any thread without waiting (semi-sync acks). */
    public void sendAsync(WireMessage message) {
        channel.sendAsync(0, message.toByteArray());
    }

    public boolean isOpen() {
        return channel.isOpen();
    }

    /**
     * Drops the connection from any thread without waiting for it to close: for a caller that holds a lock which
     * code on the connection's event loop may want (the loop is shared with other sessions). The owner's
     * {@link #close} still runs afterwards.
     */
    public void abort() {
        sayGoodbye();
        channel.closeAsync();
    }

    @Override
    public void close() {
        sayGoodbye();
        channel.close();
    }

    /** A connection that just drops is logged by the server as "Aborted connection": quit first, unless dumping. */
    private void sayGoodbye() {
        if (channel.isOpen() && !streaming) {
            channel.sendAsync(0, new byte[] {(byte) Commands.COM_QUIT});
        }
    }
}
