package dev.binlogproxy.downstream;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import javax.net.ssl.SSLException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.downstream.dump.StartPoint;
import dev.binlogproxy.downstream.admin.ArchiveState;
import dev.binlogproxy.downstream.admin.ClientSession;
import dev.binlogproxy.downstream.admin.ProxyStatus;
import dev.binlogproxy.downstream.admin.RegisteredReplica;
import dev.binlogproxy.downstream.admin.ServedMaster;
import dev.binlogproxy.downstream.admin.ServerInfo;
import dev.binlogproxy.downstream.admin.UpstreamStatus;
import dev.binlogproxy.downstream.dump.DumpRun;
import dev.binlogproxy.downstream.dump.Wakers;
import dev.binlogproxy.downstream.login.Accounts;
import dev.binlogproxy.protocol.PacketDecoder;
import dev.binlogproxy.protocol.PacketEncoder;
import dev.binlogproxy.protocol.net.Transports;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

/**
 * The master-side server: replicas, binlog tools and mysql clients connect here as if to the master. One Netty
 * acceptor and a small event loop group read and answer commands and stream the dumps, each on its session's
 * event loop (see {@link DumpRun}); only the decision where a dump starts, which may wait for the archive, runs on
 * a thread of a small pool. Sessions, registered replicas and running dumps are tracked here: a new dump with the
 * server_id of a running one ends the older, as on a real master.
 */
public final class DownstreamServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DownstreamServer.class);

    /** Largest packet a client may send: commands are small; this bounds what a hostile client makes us buffer. */
    static final int MAX_CLIENT_PACKET = 1 << 20;

    private final ServerSettings settings;
    private final ArchiveState archiveState;
    private final UpstreamStatus upstream;
    private final DownstreamMetrics metrics;
    private final SslContext sslContext;
    private final EventLoopGroup boss = Transports.newGroup(1);
    private final EventLoopGroup workers;
    /** Where the sessions go when the application shares its loops with the upstream; null: {@link #workers}. */
    private final SessionLoops sessionLoops;
    /**
     * Work that may block, off the event loops: where dumps decide their start (it may wait up to
     * StartResolver.CATCH_UP_NANOS) and answers that check other servers or delete files ({@code Reply.Later});
     * idle threads go away.
     */
    private final ExecutorService dumpStarts = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dump-start");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong connectionIds = new AtomicLong();
    private final Wakers idleDumps = new Wakers();
    private final Map<Long, Session> sessions = new ConcurrentHashMap<>();
    private final Map<Long, RegisteredReplica> replicas = new ConcurrentHashMap<>();
    /** Running dumps by the client's server_id (0, the tools' id, is never tracked: they may run side by side). */
    private final Map<Long, Session> dumpsByServerId = new ConcurrentHashMap<>();
    private final List<SemiSyncAckListener> ackListeners = new CopyOnWriteArrayList<>();
    private final long startedNanos = System.nanoTime();
    private final Accounts accounts;
    /** What the statements read of this server. */
    private final ServerInfo info = new Info();
    private Channel listener;
    private String hostname;

    private DownstreamServer(ServerSettings settings, ArchiveState archiveState, UpstreamStatus upstream,
                             MeterRegistry meters, SessionLoops loops) throws SSLException {
        this.sessionLoops = loops;
        this.workers = loops != null ? loops.sessions() : Transports.newGroup(2);
        this.settings = settings;
        this.archiveState = archiveState;
        this.upstream = upstream;
        this.metrics = new DownstreamMetrics(meters);
        this.sslContext = settings.tlsEnabled()
                ? SslContextBuilder.forServer(settings.tlsCert().toFile(), settings.tlsKey().toFile()).build() : null;
        this.accounts = new Accounts(settings.users(), sslContext != null, settings.tlsRequired(),
                settings.fullAuthOnFirstLogin());
    }

    /**
     * Starts listening on {@code settings.host():settings.port()} (port 0: any free port, see {@link #port()}).
     *
     * @param upstreamVariables the upstream master's global variables as last read (empty map if unknown)
     * @param upstream          the proxy's own replication, for SHOW SLAVE STATUS; null if there is none
     */
    public static DownstreamServer start(ServerSettings settings, BinlogArchive archive,
                                         Supplier<Map<String, String>> upstreamVariables, UpstreamStatus upstream,
                                         MeterRegistry meters) throws IOException {
        return start(settings, archive, upstreamVariables, upstream, meters, null);
    }

    /**
     * As {@link #start(ServerSettings, BinlogArchive, Supplier, UpstreamStatus, MeterRegistry)}, with the sessions
     * on {@code loops} (which the caller owns and closes after {@link #close}); null for loops of its own.
     */
    public static DownstreamServer start(ServerSettings settings, BinlogArchive archive,
                                         Supplier<Map<String, String>> upstreamVariables, UpstreamStatus upstream,
                                         MeterRegistry meters, SessionLoops loops) throws IOException {
        DownstreamServer s = new DownstreamServer(settings, new ArchiveState(archive, upstreamVariables), upstream,
                meters, loops);
        s.bind();
        return s;
    }

    private void bind() throws IOException {
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(Transports.serverChannel(workers))
                .option(ChannelOption.SO_BACKLOG, 256)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        long id = connectionIds.incrementAndGet();
                        Session session = new Session(DownstreamServer.this, id);
                        sessions.put(id, session);
                        metrics.sessionOpened();
                        if (sessionLoops != null) {
                            sessionLoops.track(ch);
                        }
                        // Consolidates the replies to one read's commands into one write; a dump's writes, which come
                        // from its steps outside any read, are 64 KiB batches already and go out at once.
                        ch.pipeline().addLast("flush", new FlushConsolidationHandler(256, false));
                        ch.pipeline().addLast("decoder", new PacketDecoder(MAX_CLIENT_PACKET));
                        ch.pipeline().addLast("encoder", new PacketEncoder());
                        ch.pipeline().addLast("session", session);
                    }
                });
        try {
            listener = b.bind(settings.host(), settings.port()).sync().channel();
        } catch (Exception e) {
            close();
            throw new IOException("cannot listen on " + settings.host() + ":" + settings.port() + ": " + e.getMessage(),
                    e);
        }
        try {
            hostname = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            hostname = "localhost";
        }
        if (settings.users().isEmpty()) {
            log.warn("server.users is empty: every login to the proxy's server will be refused");
        }
        log.info("serving replicas on {}:{}{} ({} transport)", settings.host(), port(), sslContext != null
                ? " (TLS offered" + (settings.tlsRequired() ? ", required)" : ")") : "", Transports.name());
    }

    /** The port listened on. */
    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** Called for every semi-sync ACK a downstream replica sends (chained semi-sync, monitoring). */
    public void addAckListener(SemiSyncAckListener l) {
        ackListeners.add(l);
    }

    /** Replicas registered now (COM_REGISTER_SLAVE on a connection still open). */
    /** What SHOW BINLOG PROXY STATUS shows (the application's health table). */
    public void proxyStatus(ProxyStatus status) {
        this.proxyStatus = status;
    }

    public List<RegisteredReplica> replicas() {
        return new ArrayList<>(replicas.values());
    }

    /** Dumps streaming now. */
    /** One running dump, for status: who, by what kind of start, and where it stands. */
    public record DumpView(long serverId, String clientHost, boolean gtid, BinlogPosition position) {
    }

    /** The dumps running now (those of a replica that registered with a server_id). */
    public List<DumpView> dumps() {
        List<DumpView> out = new java.util.ArrayList<>();
        dumpsByServerId.forEach((id, s) -> {
            DumpRun d = s.dump();
            if (d != null) {
                out.add(new DumpView(id, s.clientHost(), !(d.request().start() instanceof StartPoint.FilePosition),
                        d.position()));
            }
        });
        return out;
    }

    public long runningDumps() {
        return metrics.dumps();
    }

    /** Semi-sync ACKs received from downstream replicas since start. */
    public long acksReceived() {
        return (long) metrics.acks();
    }

    /** Open client connections. */
    public int sessionCount() {
        return sessions.size();
    }

    // ------------------------------------------------------------------ for sessions

    ServerSettings settings() {
        return settings;
    }

    ArchiveState archiveState() {
        return archiveState;
    }

    DownstreamMetrics metrics() {
        return metrics;
    }

    SslContext sslContext() {
        return sslContext;
    }

    Accounts accounts() {
        return accounts;
    }

    ServerInfo info() {
        return info;
    }

    void register(RegisteredReplica r) {
        replicas.put(r.connectionId(), r);
    }

    /** A new dump for {@code serverId} begins: the older one with that id ends, like on a real master. */
    void dumpStarting(Session s, long serverId) {
        metrics.dumpStarted();
        if (serverId == 0) {
            return;
        }
        Session older = dumpsByServerId.put(serverId, s);
        if (older != null && older != s) {
            log.info("server_id {} dumps again (session {}): ending its older dump, session {}", serverId,
                    s.connectionId(), older.connectionId());
            older.kill();
        }
    }

    /** Where work that may block runs, off the event loops (see the field). */
    Executor dumpStarts() {
        return dumpStarts;
    }

    /**
     * Runs a dump's start on the loop the dump is to stream from: with {@link SessionLoops}, maybe the upstream's
     * (see {@link SessionLoops#forDump}); else the session's own. Called on the session's loop.
     */
    void onDumpLoop(Channel ch, Runnable start) {
        if (sessionLoops == null) {
            start.run();
        } else {
            sessionLoops.forDump(ch, start);
        }
    }

    Wakers idleDumps() {
        return idleDumps;
    }

    void dumpEnded(Session s, DumpRun run) {
        metrics.dumpEnded();
        dumpsByServerId.remove(run.request().serverId(), s);
    }

    void acknowledged(long serverId, String file, long position) {
        metrics.ack();
        for (SemiSyncAckListener l : ackListeners) {
            try {
                l.acknowledged(serverId, file, position);
            } catch (RuntimeException e) {
                log.warn("semi-sync ack listener failed", e);
            }
        }
    }

    void closed(Session s) {
        if (sessions.remove(s.connectionId()) != null) {
            metrics.sessionClosed();
        }
        replicas.remove(s.connectionId());
    }

    /** The server as the statements see it (admin.ServerInfo), kept off this class's public API. */
    private volatile ProxyStatus proxyStatus;

    private final class Info implements ServerInfo {
        @Override
        public ProxyStatus proxyStatus() {
            return proxyStatus;
        }

        @Override
        public ArchiveState archive() {
            return archiveState;
        }

        @Override
        public UpstreamStatus upstream() {
            return upstream;
        }

        @Override
        public long servedServerId(ServedMaster m) {
            return settings.serverId() != null ? settings.serverId() : m.serverId();
        }

        @Override
        public String hostname() {
            return hostname;
        }

        @Override
        public int port() {
            return DownstreamServer.this.port();
        }

        @Override
        public boolean tlsEnabled() {
            return sslContext != null;
        }

        @Override
        public boolean semiSync() {
            return settings.semiSync();
        }

        @Override
        public Collection<? extends ClientSession> sessions() {
            return sessions.values();
        }

        @Override
        public Optional<? extends ClientSession> session(long connectionId) {
            return Optional.ofNullable(sessions.get(connectionId));
        }

        @Override
        public List<RegisteredReplica> replicas() {
            return DownstreamServer.this.replicas();
        }

        @Override
        public Map<String, String> status() {
            Map<String, String> st = new LinkedHashMap<>();
            st.put("Uptime", Long.toString(uptimeSeconds()));
            st.put("Threads_connected", Integer.toString(sessions.size()));
            st.put("Rpl_semi_sync_master_status", settings.semiSync() ? "ON" : "OFF");
            st.put("Rpl_semi_sync_master_clients", Long.toString(sessions.values().stream()
                    .filter(x -> x.dump() != null && x.dump().request().semiSync()).count()));
            st.put("Rpl_semi_sync_master_yes_tx", "0");
            st.put("Rpl_semi_sync_master_no_tx", "0");
            st.put("Binlog_proxy_downstream_acks", Long.toString(acksReceived()));
            st.put("Binlog_proxy_dumps", Long.toString(runningDumps()));
            return st;
        }

        @Override
        public long uptimeSeconds() {
            return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedNanos);
        }
    }

    /** Stops listening, ends every session and waits briefly for the dumps to end. */
    @Override
    public void close() {
        if (listener != null) {
            listener.close().awaitUninterruptibly(2000);
        }
        // an orderly stop: every session gets ERR 1053 (shutdown in progress) after its dump's last whole event;
        // whatever has not closed once the dumps ended is closed outright
        List<DumpRun> runs = new ArrayList<>();
        for (Session s : sessions.values()) {
            DumpRun d = s.dump();
            if (d != null) {
                runs.add(d);
            }
            s.shutdown();
        }
        for (DumpRun d : runs) {
            try {
                d.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Session s : sessions.values()) {
            s.kill();
        }
        dumpStarts.shutdownNow();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3000);
        if (sessionLoops == null) {
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3000);
        }
        idleDumps.close();
    }
}
