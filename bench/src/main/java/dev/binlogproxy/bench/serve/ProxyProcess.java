package dev.binlogproxy.bench.serve;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import dev.binlogproxy.protocol.auth.PasswordHash;
import dev.binlogproxy.testkit.BinaryLog;
import dev.binlogproxy.testkit.DbServer;

/**
 * The proxy in its own process, mirroring a master into a fresh archive and serving on a free port, so its memory
 * (/proc/PID/status) is its own: as its users run it, {@code bin/binlog-proxy run --config FILE}
 * ({@code -Dbench.launcher=cli}, the default), or {@link ServedProxyMain} on this classpath
 * ({@code -Dbench.launcher=jvm}).
 */
public final class ProxyProcess implements AutoCloseable {

    static final String USER = "repl";
    static final String PASSWORD = "bench-pw";

    private final Process process;
    private final Path dir;
    private final int port;
    private final Path log;
    /** See {@link #firstServedCheckNanos()}. */
    private long firstServedCheckNanos = -1;

    private ProxyProcess(Process process, Path dir, int port, Path log) {
        this.process = process;
        this.dir = dir;
        this.port = port;
        this.log = log;
    }

    /** Starts a proxy mirroring {@code master} (which must have the user {@link #USER}); waits for its port. */
    static ProxyProcess start(DbServer master, int serverId) throws IOException, InterruptedException {
        return start(master, serverId, false);
    }

    /** As {@link #start(DbServer, int)}; with {@code semiSync} the proxy acknowledges as a semi-sync replica. */
    static ProxyProcess start(DbServer master, int serverId, boolean semiSync)
            throws IOException, InterruptedException {
        return start(master, serverId, semiSync, "write");
    }

    /**
     * As {@link #start(DbServer, int, boolean)} with {@code archive.durability} set to {@code durability}
     * ({@code write} or {@code fsync}).
     */
    public static ProxyProcess start(DbServer master, int serverId, boolean semiSync, String durability)
            throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("serve-bench-proxy");
        int port = freePort();
        Path archive = dir.resolve("archive");
        String yaml = String.join("\n",
                "upstream:",
                "  host: 127.0.0.1",
                "  port: " + master.port(),
                "  user: " + USER,
                "  password: " + PASSWORD,
                "  serverId: " + serverId,
                "  semiSync: " + semiSync,
                "  tls: {mode: disabled}",
                "archive:",
                "  dir: " + archive,
                "  durability: " + durability,
                "server:",
                "  host: 127.0.0.1",
                "  port: " + port,
                "  semiSync: false",
                "  users:",
                "    " + USER + ":",
                "      mysqlNativePassword: '" + PasswordHash.of(PASSWORD).nativeText().orElseThrow() + "'",
                "      permissions: [replication, admin]",
                "metrics:",
                "  port: 0",
                "");
        Path config = dir.resolve("proxy.yaml");
        Files.writeString(config, yaml);
        Path log = dir.resolve("proxy.log");
        ProcessBuilder pb;
        String opts = System.getProperty("bench.proxyJavaOpts", "");
        if (System.getProperty("bench.launcher", "cli").equals("cli")) {
            pb = new ProcessBuilder(repoRoot().resolve("bin/binlog-proxy").toString(), "run", "--config",
                    config.toString());
            if (!opts.isBlank()) {
                pb.environment().put("BINLOG_PROXY_JAVA_OPTS", opts);
            }
        } else {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            // Chronicle's --add-opens/--add-exports, as this JVM got them
            for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (a.startsWith("--add-") || a.startsWith("-Dchronicle")) {
                    cmd.add(a);
                }
            }
            if (!opts.isBlank()) {
                cmd.addAll(List.of(opts.trim().split("\\s+")));
            }
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ServedProxyMain.class.getName(),
                    String.valueOf(master.port()), String.valueOf(port), archive.toString(), String.valueOf(serverId),
                    USER, PASSWORD));
            pb = new ProcessBuilder(cmd);
        }
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        Process p = pb.start();
        ProxyProcess proxy = new ProxyProcess(p, dir, port, log);
        try {
            proxy.awaitGreeting(Duration.ofSeconds(60));
        } catch (IOException | RuntimeException e) {
            proxy.close();
            throw e;
        }
        return proxy;
    }

    int port() {
        return port;
    }

    /** The JVM's pid (the launcher script execs java, so the child is the JVM itself). */
    public long pid() {
        return process.pid();
    }

    long rssKb() {
        return Procs.statusKb(pid(), "VmRSS");
    }

    long hwmKb() {
        return Procs.statusKb(pid(), "VmHWM");
    }

    public Path archiveDir() {
        return dir.resolve("archive");
    }

    /**
     * How long the first login and SHOW MASTER STATUS took once every file was on disk (-1 before): a login
     * reads the archive's GTID state, so this is what the first client after a catch-up waits for.
     */
    public long firstServedCheckNanos() {
        return firstServedCheckNanos;
    }

    /** Waits until every binlog file of the master is in the archive with the master's size. */
    public void awaitMirrored(DbServer master, Duration timeout) throws InterruptedException, IOException {
        List<BinaryLog> logs = master.showBinaryLogs();
        long deadline = System.nanoTime() + timeout.toNanos();
        // -Dbench.earlyLogin: a client logs in once as soon as the first file is served, as a monitor polling at
        // the start would, so the first login after the copy reads the GTID state from there
        boolean earlyLogin = Boolean.getBoolean("bench.earlyLogin");
        while (true) {
            if (earlyLogin && served(new BinaryLog(logs.get(0).name(), 0))) {
                earlyLogin = false;
            }
            boolean all = true;
            for (BinaryLog l : logs) {
                Path f = archiveDir().resolve(l.name());
                if (!Files.exists(f) || Files.size(f) < l.size()) {
                    all = false;
                    break;
                }
            }
            // on disk is not yet served: a file is listed (and logins accepted) once its first transaction is
            // published, a moment after its bytes are written; wait until the server shows the master's end
            if (all) {
                long t = System.nanoTime();
                boolean served = served(logs.get(logs.size() - 1));
                if (firstServedCheckNanos < 0) {
                    firstServedCheckNanos = System.nanoTime() - t;
                }
                if (served) {
                    return;
                }
            }
            if (!process.isAlive()) {
                throw new IOException("the proxy exited with " + process.exitValue() + ":\n" + tail());
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the proxy did not mirror " + logs + " within " + timeout + ":\n" + tail());
            }
            Thread.sleep(10); // a catch-up of a few seconds is timed with this
        }
    }

    /** Whether the proxy's server answers SHOW MASTER STATUS at or past {@code last}'s end. */
    private boolean served(BinaryLog last) {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + port
                + "/?sslMode=DISABLED&allowPublicKeyRetrieval=true&connectTimeout=2000", USER, PASSWORD);
             java.sql.ResultSet rs = c.createStatement().executeQuery("SHOW MASTER STATUS")) {
            return rs.next() && (rs.getString(1).compareTo(last.name()) > 0
                    || rs.getString(1).equals(last.name()) && rs.getLong(2) >= last.size());
        } catch (java.sql.SQLException e) {
            return false; // not accepting logins yet (no file listed), or still starting
        }
    }

    private void awaitGreeting(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("the proxy exited with " + process.exitValue() + ":\n" + tail());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                s.setSoTimeout(2000);
                InputStream in = s.getInputStream();
                if (in.read() >= 0) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the proxy did not greet on port " + port + " within " + timeout + ":\n"
                        + tail());
            }
            Thread.sleep(100);
        }
    }

    String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("bin/binlog-proxy"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("bin/binlog-proxy not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Stops the proxy (SIGTERM, then SIGKILL after 20 s) and leaves its files; {@link #close} deletes them. */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
        try (Stream<Path> files = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(files.sorted(Comparator.reverseOrder()).toList());
            for (Path f : all) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            System.err.println("cannot delete " + dir + ": " + e);
        }
    }
}
