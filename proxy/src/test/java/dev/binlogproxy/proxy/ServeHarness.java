package dev.binlogproxy.proxy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.ArchiveSettings;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.archive.RetentionPolicy;
import dev.binlogproxy.client.ConnectionSettings;
import dev.binlogproxy.downstream.DownstreamServer;
import dev.binlogproxy.downstream.login.Permission;
import dev.binlogproxy.downstream.ServerSettings;
import dev.binlogproxy.downstream.login.UserAccount;
import dev.binlogproxy.proxy.metrics.MetricsSettings;
import dev.binlogproxy.upstream.ChainSettings;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.protocol.auth.PasswordHash;
import dev.binlogproxy.proxy.config.ProxyConfig;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.upstream.MirrorService;
import dev.binlogproxy.upstream.SemiSyncChain;
import dev.binlogproxy.upstream.UpstreamSettings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;


/**
 * A real master, the proxy mirroring it (archive + mirror) and the proxy's server on a free port: the set-up of
 * every serve scenario. Users on the proxy: {@link #REPL} (replication), {@link #ADMIN} (admin and replication),
 * and one user per password plugin.
 */
final class ServeHarness implements AutoCloseable {
    static final String REPL = "repl";
    static final String REPL_PW = "repl-pw-1";
    static final String ADMIN = "admin";
    static final String ADMIN_PW = "admin-pw-2";
    static final String NATIVE_ONLY = "native_only";
    static final String SHA2_ONLY = "sha2_only";
    static final String OTHER_PW = "other-pw-3";

    final DbServer master;
    final BinlogProxy proxy;
    final BinlogArchive archive;
    final MirrorService mirror;
    final DownstreamServer server;
    /** Chained semi-sync, or null. */
    final SemiSyncChain chain;
    /** The proxy's meters (mirror, server and chain). */
    final io.micrometer.core.instrument.MeterRegistry registry;

    private ServeHarness(DbServer master, BinlogProxy proxy) {
        this.master = master;
        this.proxy = proxy;
        this.archive = proxy.archive();
        this.mirror = proxy.mirror();
        this.server = proxy.server();
        this.chain = proxy.chain().orElse(null);
        this.registry = proxy.registry();
    }

    static List<UserAccount> users() {
        PasswordHash both = PasswordHash.of(REPL_PW);
        PasswordHash other = PasswordHash.of(OTHER_PW);
        return List.of(
                new UserAccount(REPL, both, EnumSet.of(Permission.REPLICATION)),
                new UserAccount(ADMIN, PasswordHash.of(ADMIN_PW), EnumSet.of(Permission.ADMIN, Permission.REPLICATION)),
                new UserAccount(NATIVE_ONLY, PasswordHash.parse(other.nativeText().orElseThrow(), null),
                        EnumSet.of(Permission.REPLICATION)),
                new UserAccount(SHA2_ONLY, PasswordHash.parse(null, other.sha2Text().orElseThrow()),
                        EnumSet.of(Permission.REPLICATION)));
    }

    static ServerSettings settings(boolean semiSync) {
        return new ServerSettings("127.0.0.1", 0, null, null, semiSync, users(), null, null, false, false);
    }

    /** Mirrors {@code master} (which must have the {@link #REPL} user) and serves it, waiting for the first file. */
    static ServeHarness start(DbServer master, Path dir, long proxyServerId, boolean semiSync) throws Exception {
        return start(master, dir, proxyServerId, semiSync, settings(semiSync));
    }

    static ServeHarness start(DbServer master, Path dir, long proxyServerId, boolean semiSyncUpstream,
                              ServerSettings serverSettings) throws Exception {
        return start(master, dir, proxyServerId, semiSyncUpstream, serverSettings, 0, null);
    }

    /** With chained semi-sync when {@code waitForReplicas} > 0 (see {@link SemiSyncChain}). */
    static ServeHarness start(DbServer master, Path dir, long proxyServerId, boolean semiSyncUpstream,
                              ServerSettings serverSettings, int waitForReplicas, Duration chainTimeout)
            throws Exception {
        return start(master, dir, proxyServerId, semiSyncUpstream, serverSettings, waitForReplicas, chainTimeout, 0);
    }

    /** With the metrics endpoint and its routes (/metrics, /health, /status ...) on {@code metricsPort} (0: none). */
    static ServeHarness start(DbServer master, Path dir, long proxyServerId, boolean semiSyncUpstream,
                              ServerSettings serverSettings, int waitForReplicas, Duration chainTimeout,
                              int metricsPort) throws Exception {
        UpstreamSettings upstream = new UpstreamSettings(ConnectionSettings.plain("127.0.0.1", master.port(), REPL,
                REPL_PW), proxyServerId, semiSyncUpstream, Duration.ofMillis(500), Duration.ofSeconds(3),
                Duration.ofMillis(50), Duration.ofMillis(500), null, null);
        ChainSettings chain = waitForReplicas > 0 ? new ChainSettings(waitForReplicas, chainTimeout) : ChainSettings.OFF;
        // the proxy as `run` assembles it, from settings a configuration file would give
        BinlogProxy proxy = BinlogProxy.start(new ProxyConfig(upstream,
                new ArchiveSettings(dir.resolve("archive"), Durability.FSYNC, RetentionPolicy.keepAll()),
                serverSettings, chain, new MetricsSettings("127.0.0.1", metricsPort)));
        ServeHarness h = new ServeHarness(master, proxy);
        h.awaitCaughtUp(Duration.ofSeconds(60));
        return h;
    }

    int port() {
        return server.port();
    }

    /**
     * Waits until the archive holds everything the master has now, or more: MariaDB writes its BINLOG_CHECKPOINT
     * after a rotate from a background thread, so the master's end may move on while we wait.
     */
    void awaitCaughtUp(Duration timeout) throws InterruptedException {
        awaitCaughtUp(proxy, master, timeout);
    }

    /** As {@link #awaitCaughtUp(Duration)}, for a proxy started without the harness. */
    static void awaitCaughtUp(BinlogProxy proxy, DbServer master, Duration timeout) throws InterruptedException {
        BinlogArchive archive = proxy.archive();
        MirrorService mirror = proxy.mirror();
        var at = master.masterStatus();
        BinlogPosition target = new BinlogPosition(at.file(), at.position());
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            // written that far, and readable that far (the round that lists a new file may follow the write)
            var files = archive.files();
            if (archive.resumePosition().map(p -> p.compareTo(target) >= 0).orElse(false) && !files.isEmpty()
                    && new BinlogPosition(files.get(files.size() - 1).name(),
                    Math.max(4, files.get(files.size() - 1).size())).compareTo(target) >= 0) {
                return;
            }
            if (mirror.state() == MirrorService.State.FAILED) {
                throw new AssertionError("mirror failed: " + mirror.status());
            }
            Thread.sleep(20);
        }
        throw new AssertionError("archive at " + archive.resumePosition() + " did not reach " + target + ": "
                + mirror.status());
    }

    /** A JDBC connection to the proxy's server (connector-j, no TLS). */
    Connection connect(String user, String password) throws SQLException {
        return connect(port(), user, password);
    }

    /** A JDBC connection to a proxy's server on {@code port} (connector-j, no TLS). */
    static Connection connect(int port, String user, String password) throws SQLException {
        return DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + port + "/?sslMode=DISABLED"
                + "&allowPublicKeyRetrieval=true&connectTimeout=10000&socketTimeout=60000", user, password);
    }

    @Override
    public void close() {
        proxy.close();
    }

    /**
     * {@code mariadb-binlog -R --raw --to-last-log} from {@code firstFile}, through the server on {@code port} as
     * {@link #REPL}, into the directory {@code out} (created); fails the test unless it exits 0 within 2 minutes.
     */
    static Path rawCopy(int port, String firstFile, Path out) throws Exception {
        Files.createDirectories(out);
        Process p = new ProcessBuilder("mariadb-binlog", "--read-from-remote-server", "--raw",
                "--host=127.0.0.1", "--port=" + port, "--user=" + REPL, "--password=" + REPL_PW, "--to-last-log",
                "--result-file=" + out + "/", firstFile).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), output);
        assertEquals(0, p.exitValue(), output);
        return out;
    }
}
