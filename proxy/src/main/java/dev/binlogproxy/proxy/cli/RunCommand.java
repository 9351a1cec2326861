package dev.binlogproxy.proxy.cli;

import dev.binlogproxy.protocol.net.Transports;
import dev.binlogproxy.proxy.BinlogProxy;
import dev.binlogproxy.proxy.config.ConfigException;
import dev.binlogproxy.proxy.config.ProxyConfig;
import dev.binlogproxy.upstream.MirrorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code binlog-proxy run --config FILE}: mirrors the configured master into the archive and serves it to
 * replicas and tools (the server section), with metrics and retention, until stopped or until the mirror fails for
 * good (exit 1 with the reason).
 *
 * <p>SIGTERM and SIGINT stop it in order and exit 0: the server stops accepting and ends every session with ERR
 * 1053 (shutdown in progress: replicas reconnect), the mirror's session ends and its partial transaction is cut,
 * the archive syncs what is complete and closes. The JVM's own handling (shutdown hooks, exit 143) would run the
 * same close, but report a clean stop as a crash to a service manager.
 *
 * <p>A bad configuration exits 2 with one line naming the key, and so does a master that keeps refusing the
 * configured login (upstream.maxLoginFailures). Any other failure to start is one line too: the reason, not a
 * stack trace (that goes to the log at debug).
 */
@Command(name = "run", description = "Mirror a master into the archive (see docs/configuration.md).")
public final class RunCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "YAML configuration file.")
    Path config;

    @Override
    public Integer call() {
        ProxyConfig cfg;
        try {
            cfg = ProxyConfig.load(config);
        } catch (ConfigException e) {
            System.err.println("binlog-proxy: configuration " + config + ": " + e.getMessage());
            return 2;
        }
        try {
            log.debug("network transport: {}", Transports.name()); // chosen once per process, here first
        } catch (LinkageError e) {
            // an unknown -Dbinlogproxy.transport (the class's initializer threw), or epoll required where its
            // native library cannot load (UnsatisfiedLinkError, with the loader's reason as its cause)
            Throwable why = e instanceof ExceptionInInitializerError && e.getCause() != null ? e.getCause() : e;
            System.err.println("binlog-proxy: cannot start: " + oneLine(why));
            return 2;
        }
        CountDownLatch stop = new CountDownLatch(1);
        String[] signal = {null};
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> {
                    signal[0] = "SIG" + s.getName();
                    stop.countDown();
                });
            } catch (IllegalArgumentException e) {
                log.debug("no handler for SIG{}: {}", name, e.toString()); // the JVM's shutdown hook still closes
            }
        }
        BinlogProxy proxy;
        try {
            proxy = BinlogProxy.start(cfg);
        } catch (Exception e) {
            log.debug("start-up failed", e);
            System.err.println("binlog-proxy: cannot start: " + oneLine(e));
            return 1;
        }
        // other ways the JVM ends (SIGHUP, System.exit elsewhere) still close the archive in order
        Thread hook = new Thread(proxy::close, "shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            while (!stop.await(250, TimeUnit.MILLISECONDS)) {
                MirrorService mirror = proxy.mirror();
                if (mirror.failedOnLogin()) {
                    System.err.println("binlog-proxy: configuration " + config + ": upstream.password: "
                            + mirror.failure().orElse("the master refused the login"));
                    return 2;
                }
                if (mirror.state() == MirrorService.State.FAILED) {
                    System.err.println("binlog-proxy: " + mirror.failure().orElse("mirror failed"));
                    return 1;
                }
            }
            long t0 = System.nanoTime();
            log.info("{}: stopping (no new sessions, the open transaction cut, the archive synced)", signal[0]);
            proxy.close();
            log.info("stopped in {} ms", (System.nanoTime() - t0) / 1_000_000);
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } finally {
            proxy.close();
        }
    }

    /** An exception as one line: its message and its causes' (a full disk shows only in a cause). */
    static String oneLine(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null && sb.length() < 1000; t = t.getCause()) {
            String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (sb.indexOf(m) < 0) {
                sb.append(sb.length() == 0 ? "" : ": ").append(m);
            }
        }
        return sb.toString().replace('\n', ' ');
    }
}
