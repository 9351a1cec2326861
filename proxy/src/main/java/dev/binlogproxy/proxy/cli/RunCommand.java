package dev.binlogproxy.proxy.cli;

import dev.binlogproxy.proxy.BinlogProxy;
import dev.binlogproxy.proxy.config.ConfigException;
import dev.binlogproxy.proxy.config.ProxyConfig;
import dev.binlogproxy.upstream.MirrorService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code binlog-proxy run --config FILE}: mirrors the configured master into the archive and serves it to
 * replicas and tools (the server section), with metrics and retention, until stopped (SIGTERM/Ctrl-C: clean
 * shutdown) or until the mirror fails for good (exit 1 with the reason). A bad configuration exits 2 naming the key.
 */
@Command(name = "run", description = "Mirror a master into the archive (see docs/configuration.md).")
public final class RunCommand implements Callable<Integer> {
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
        try (BinlogProxy proxy = BinlogProxy.start(cfg)) {
            CountDownLatch shutdown = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                shutdown.countDown();
                proxy.close();
            }, "shutdown"));
            while (!shutdown.await(1, TimeUnit.SECONDS)) {
                if (proxy.mirror().state() == MirrorService.State.FAILED) {
                    System.err.println("binlog-proxy: " + proxy.mirror().failure().orElse("mirror failed"));
                    return 1;
                }
            }
            return 0;
        }
    }
}
