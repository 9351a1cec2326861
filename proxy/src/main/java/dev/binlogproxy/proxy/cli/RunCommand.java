package dev.binlogproxy.proxy.cli;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.archive.RetentionPolicy;
import dev.binlogproxy.proxy.config.ConfigException;
import dev.binlogproxy.proxy.config.ProxyConfig;
import dev.binlogproxy.proxy.metrics.MetricsServer;
import dev.binlogproxy.proxy.metrics.ProxyMetrics;
import dev.binlogproxy.downstream.DownstreamServer;
import dev.binlogproxy.downstream.ServerSettings;
import dev.binlogproxy.downstream.MirrorUpstreamStatus;
import dev.binlogproxy.upstream.MasterVariables;
import dev.binlogproxy.upstream.MirrorService;
import dev.binlogproxy.upstream.SemiSyncChain;
import dev.binlogproxy.upstream.UpstreamSettings;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code binlog-proxy run --config FILE}: mirrors the configured master into the archive and serves it to
 * replicas and tools (the server section), with metrics and retention, until stopped (SIGTERM/Ctrl-C: clean shutdown) or until the mirror fails for good (exit 1 with the
 * reason). A bad configuration exits 2 naming the key.
 */
@Command(name = "run", description = "Mirror a master into the archive (see docs/configuration.md).")
public final class RunCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "YAML configuration file.")
    Path config;

    @Override
    public Integer call() throws Exception {
        ProxyConfig cfg;
        try {
            cfg = ProxyConfig.load(config);
        } catch (ConfigException e) {
            System.err.println("binlog-proxy: configuration " + config + ": " + e.getMessage());
            return 2;
        }
        try (Running r = Running.start(cfg)) {
            CountDownLatch shutdown = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                shutdown.countDown();
                r.close();
            }, "shutdown"));
            while (!shutdown.await(1, TimeUnit.SECONDS)) {
                if (r.mirror.state() == MirrorService.State.FAILED) {
                    System.err.println("binlog-proxy: " + r.mirror.failure().orElse("mirror failed"));
                    return 1;
                }
            }
            return 0;
        }
    }

    /** A started proxy: archive, metrics, mirror, server, retention. Used by run and by the demo. */
    static final class Running implements AutoCloseable {
        /** How often the master's global variables are read again for the server's answers. */
        private static final long VARIABLES_REFRESH_SECONDS = 30;

        final BinlogArchive archive;
        final MirrorService mirror;
        final PrometheusMeterRegistry registry;
        final DownstreamServer server;
        private final MetricsServer metricsServer;
        private final ScheduledExecutorService housekeeping;
        private final EventLoopGroup variablesGroup;
        private boolean closed;

        private Running(BinlogArchive archive, MirrorService mirror, PrometheusMeterRegistry registry,
                        MetricsServer metricsServer, ScheduledExecutorService housekeeping, DownstreamServer server,
                        EventLoopGroup variablesGroup) {
            this.archive = archive;
            this.mirror = mirror;
            this.registry = registry;
            this.metricsServer = metricsServer;
            this.housekeeping = housekeeping;
            this.server = server;
            this.variablesGroup = variablesGroup;
        }

        static Running start(ProxyConfig cfg) throws Exception {
            Durability durability = cfg.archive().durability() == ProxyConfig.Durability.WRITE
                    ? Durability.WRITE : Durability.FSYNC;
            BinlogArchive archive = BinlogArchive.open(cfg.archive().dir(), durability);
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            ProxyMetrics metrics = new ProxyMetrics(registry);
            metrics.archiveSize(() -> archive.files().stream().mapToLong(f -> f.size()).sum());
            MetricsServer metricsServer = null;
            if (cfg.metrics().port() > 0) {
                metricsServer = MetricsServer.start(cfg.metrics().host(), cfg.metrics().port(), registry);
                log.info("metrics on http://{}:{}/metrics", cfg.metrics().host(), metricsServer.port());
            }
            UpstreamSettings upstreamSettings = UpstreamSettings.of(cfg.upstream());
            ProxyConfig.ChainedSemiSync chained = cfg.server().chain();
            SemiSyncChain chain = chained.enabled()
                    ? new SemiSyncChain(chained.waitForReplicas(), chained.timeout(), registry) : null;
            MirrorService mirror = MirrorService.start(upstreamSettings, archive, metrics, chain);
            ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "housekeeping");
                t.setDaemon(true);
                return t;
            });
            AtomicReference<Map<String, String>> masterVariables = new AtomicReference<>(Map.of());
            EventLoopGroup variablesGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            housekeeping.scheduleWithFixedDelay(() -> {
                try {
                    masterVariables.set(MasterVariables.read(variablesGroup, upstreamSettings));
                } catch (Exception e) {
                    log.debug("reading the master's variables: {}", e.toString());
                }
            }, 0, VARIABLES_REFRESH_SECONDS, TimeUnit.SECONDS);
            DownstreamServer server;
            try {
                server = DownstreamServer.start(ServerSettings.of(cfg.server()), archive, masterVariables::get,
                        new MirrorUpstreamStatus(cfg.upstream().host(),
                                cfg.upstream().port(), cfg.upstream().user(), mirror, metrics::secondsBehindMaster,
                                Math.max(1, cfg.upstream().reconnectMaxDelay().toSeconds())), registry);
            } catch (Exception e) {
                housekeeping.shutdownNow();
                variablesGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                mirror.close();
                if (metricsServer != null) {
                    metricsServer.close();
                }
                archive.close();
                throw e;
            }
            if (chain != null) {
                server.addAckListener(chain::downstreamAcked);
                log.info("chained semi-sync: the master's acks wait for {} downstream replica(s), at most {} ms",
                        chain.waitForReplicas(), chain.timeout().toMillis());
            }
            ProxyConfig.Retention ret = cfg.archive().retention();
            if (!ret.keepsAll()) {
                RetentionPolicy policy = new RetentionPolicy(ret.maxAge(), ret.maxTotalBytes(), ret.maxFiles());
                housekeeping.scheduleWithFixedDelay(() -> {
                    try {
                        List<String> purged = archive.purge(policy);
                        if (!purged.isEmpty()) {
                            log.info("retention purged {}", purged);
                        }
                    } catch (Exception e) {
                        log.warn("retention: {}", e.toString());
                    }
                }, 10, 60, TimeUnit.SECONDS);
            }
            log.info("archive {} ({} mode), mirroring {}", cfg.archive().dir(), durability,
                    cfg.upstream().host() + ":" + cfg.upstream().port());
            return new Running(archive, mirror, registry, metricsServer, housekeeping, server, variablesGroup);
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            housekeeping.shutdownNow();
            server.close();
            variablesGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            mirror.close();
            if (metricsServer != null) {
                metricsServer.close();
            }
            try {
                archive.close();
            } catch (Exception e) {
                log.warn("closing the archive: {}", e.toString());
            }
        }

    }
}
