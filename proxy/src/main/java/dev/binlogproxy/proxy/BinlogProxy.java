package dev.binlogproxy.proxy;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.RetentionPolicy;
import dev.binlogproxy.downstream.DownstreamServer;
import dev.binlogproxy.downstream.SessionLoops;
import dev.binlogproxy.failover.Failover;
import dev.binlogproxy.protocol.net.Transports;
import dev.binlogproxy.proxy.config.ProxyConfig;
import dev.binlogproxy.proxy.metrics.ArchiveMetrics;
import dev.binlogproxy.proxy.metrics.MetricsServer;
import dev.binlogproxy.tiering.Tiering;
import dev.binlogproxy.tiering.TieringMetrics;
import dev.binlogproxy.upstream.ChainSettings;
import dev.binlogproxy.upstream.MasterVariables;
import dev.binlogproxy.upstream.MirrorMetrics;
import dev.binlogproxy.upstream.MirrorService;
import dev.binlogproxy.upstream.SemiSyncChain;
import dev.binlogproxy.upstream.UpstreamSettings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A running proxy, assembled from its configuration: the archive, the mirror writing into it, the server reading
 * from it, tiering to object storage, the metrics endpoint and the housekeeping (retention, the master's
 * variables). What {@code run} and the demo start; closed in the reverse order.
 */
public final class BinlogProxy implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BinlogProxy.class);
    /** How often the master's global variables are read again for the server's answers. */
    private static final long VARIABLES_REFRESH_SECONDS = 30;

    private final BinlogArchive archive;
    private final MirrorService mirror;
    private final DownstreamServer server;
    private final PrometheusMeterRegistry registry;
    private final SemiSyncChain chain;
    private final Failover failover;
    private final AtomicReference<Map<String, String>> masterVariables;
    private final Health health;
    /** Null without tiering. */
    private final Tiering tiering;
    /** What to close, last started first. */
    private final Deque<AutoCloseable> closers;
    private boolean closed;

    private BinlogProxy(BinlogArchive archive, MirrorService mirror, DownstreamServer server, Failover failover,
                        PrometheusMeterRegistry registry, SemiSyncChain chain,
                        AtomicReference<Map<String, String>> masterVariables, Tiering tiering,
                        Deque<AutoCloseable> closers) {
        this.masterVariables = masterVariables;
        this.tiering = tiering;
        this.failover = failover;
        this.chain = chain;
        this.archive = archive;
        this.mirror = mirror;
        this.server = server;
        this.registry = registry;
        this.closers = closers;
        this.health = Health.of(this);
    }

    public static BinlogProxy start(ProxyConfig cfg) throws Exception {
        Deque<AutoCloseable> closers = new ArrayDeque<>();
        try {
            BinlogArchive archive = BinlogArchive.open(cfg.archive().dir(), cfg.archive().durability(),
                    cfg.archive().minFreeSpace());
            closers.push(archive);
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            ArchiveMetrics.register(registry, archive);
            // Tiering meters exist on every proxy (zero without tiering), so one dashboard fits all of them.
            TieringMetrics tieringMetrics = new TieringMetrics(registry);
            Tiering tiering = null;
            if (cfg.tiering() != null) {
                // before the mirror and the server: purges must wait for verified copies from the first one on,
                // and a dump may ask for a tiered file as soon as the server listens
                tiering = Tiering.start(archive, cfg.tiering(), tieringMetrics);
                closers.push(tiering);
                log.info("tiering closed files to {}", cfg.tiering());
            }
            MetricsServer metricsServer = null;
            if (cfg.metrics().enabled()) {
                metricsServer = MetricsServer.start(cfg.metrics().host(), cfg.metrics().port(),
                        registry);
                closers.push(metricsServer);
                log.info("metrics on http://{}:{}/metrics", cfg.metrics().host(), metricsServer.port());
            }
            MirrorMetrics metrics = new MirrorMetrics(registry);
            ChainSettings chained = cfg.chain();
            SemiSyncChain chain = chained.enabled() ? new SemiSyncChain(chained, registry) : null;
            // a failover a killed proxy left unfinished is finished or rolled back before anything streams; the
            // mirror follows the master the newest committed failover moved to
            UpstreamSettings upstream = Failover.prepare(cfg.failover(), archive, cfg.upstream());
            // The master's connection and the replicas' sessions share event loops: the first few dumps get each
            // commit on the thread that read it (see SessionLoops). Closed after the mirror and the server.
            SessionLoops io = SessionLoops.create(cfg.server().sessionLoops(), cfg.server().upstreamLoopSessions());
            closers.push(io);
            MirrorService mirror = MirrorService.start(upstream, archive, metrics, chain, io.upstreamLoop());
            closers.push(mirror);
            ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "housekeeping");
                t.setDaemon(true);
                return t;
            });
            closers.push(housekeeping::shutdownNow);
            AtomicReference<Map<String, String>> masterVariables = new AtomicReference<>(Map.of());
            EventLoopGroup variablesGroup = Transports.newGroup(1);
            closers.push(() -> variablesGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS));
            housekeeping.scheduleWithFixedDelay(() -> {
                try {
                    // the mirror's current master: it may have been re-pointed since the last read
                    masterVariables.set(MasterVariables.read(variablesGroup, mirror.settings()));
                } catch (Exception e) {
                    log.debug("reading the master's variables: {}", e.toString());
                }
            }, 0, VARIABLES_REFRESH_SECONDS, TimeUnit.SECONDS);
            DownstreamServer server = DownstreamServer.start(cfg.server(), archive, masterVariables::get,
                    new MirrorUpstreamStatus(mirror, metrics::secondsBehindMaster,
                            Math.max(1, cfg.upstream().reconnectMaxDelay().toSeconds())), registry, io);
            closers.push(server);
            Failover failover = Failover.start(cfg.failover(), archive, mirror, advertisedHost(cfg.server().host()),
                    server.port(), masterVariables::get, registry);
            closers.push(failover);
            if (chain != null) {
                server.addAckListener(chain::downstreamAcked);
                log.info("chained semi-sync: the master's acks wait for {} downstream replica(s), at most {} ms",
                        chained.waitForReplicas(), chained.timeout().toMillis());
            }
            RetentionPolicy retention = cfg.archive().retention();
            // with tiering the purge also takes back the copies fetched for readers, whatever the limits
            if (!retention.keepsAll() || tiering != null) {
                housekeeping.scheduleWithFixedDelay(() -> {
                    try {
                        List<String> purged = archive.purge(retention);
                        if (!purged.isEmpty()) {
                            log.info("retention purged {}", purged);
                        }
                    } catch (Exception e) {
                        log.warn("retention: {}", e.toString());
                    }
                }, 10, 60, TimeUnit.SECONDS);
            }
            log.info("archive {} ({} mode), mirroring {}", cfg.archive().dir(), cfg.archive().durability(),
                    upstream.address());
            BinlogProxy proxy = new BinlogProxy(archive, mirror, server, failover, registry, chain, masterVariables,
                    tiering, closers);
            server.proxyStatus(() -> StatusTable.of(proxy).asTable());
            if (metricsServer != null) {
                AdminRoutes.install(metricsServer, proxy);
                proxy.health.install(metricsServer);
            }
            return proxy;
        } catch (Exception | Error e) {
            closeAll(closers);
            throw e;
        }
    }

    public BinlogArchive archive() {
        return archive;
    }

    public MirrorService mirror() {
        return mirror;
    }

    public DownstreamServer server() {
        return server;
    }

    /** The master's global variables, as last read (every 30 s). */
    public Map<String, String> masterVariables() {
        return masterVariables.get();
    }

    /** What /health and /ready check; add a component's own condition here. */
    public Health health() {
        return health;
    }

    public Failover failover() {
        return failover;
    }

    /** The address replicas reach this proxy at, for an old master that rejoins after a switchover. */
    private static String advertisedHost(String listenHost) {
        return listenHost.equals("0.0.0.0") || listenHost.equals("::") ? "127.0.0.1" : listenHost;
    }

    /** Tiering to object storage, when configured. */
    public Optional<Tiering> tiering() {
        return Optional.ofNullable(tiering);
    }

    /** Chained semi-sync, when configured. */
    public Optional<SemiSyncChain> chain() {
        return Optional.ofNullable(chain);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            closeAll(closers);
        }
    }

    private static void closeAll(Deque<AutoCloseable> closers) {
        while (!closers.isEmpty()) {
            AutoCloseable c = closers.pop();
            try {
                c.close();
            } catch (Exception e) {
                log.warn("closing {}: {}", c, e.toString());
            }
        }
    }
}
