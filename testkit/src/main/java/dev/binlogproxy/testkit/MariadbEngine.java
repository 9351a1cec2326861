package dev.binlogproxy.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * MariaDB from the machine's packages (Debian's {@code mariadb-server}: only its binaries are used, never its
 * service or configuration). Semi-sync is built into the server since 10.3, so no plugin loading is needed.
 */
final class MariadbEngine extends Engine {

    static final MariadbEngine INSTANCE = new MariadbEngine();

    /** Bump when the template's content changes (the SQL below), so old caches are not reused. */
    private static final String TEMPLATE = "template-v1";
    private static final List<String> SBIN_DIRS = List.of("/usr/sbin", "/usr/local/sbin", "/usr/bin",
            "/usr/local/bin");

    /**
     * Anonymous accounts (''@localhost, ''@host) sort before 'repl'@'%' for a client on 127.0.0.1 and would make
     * every replication login fail; --skip-test-db avoids most, this removes any that remain.
     */
    private static final String EXTRA_SQL = "DELETE FROM mysql.global_priv WHERE User = '';\n";

    private Path mariadbd;
    private Path installDb;
    private String version;
    private Path template;

    private MariadbEngine() {
    }

    @Override
    Flavor flavor() {
        return Flavor.MARIADB;
    }

    /** Finds the binaries and asks mariadbd for its version once per JVM; the version keys the cache. */
    private synchronized void locate() {
        if (mariadbd != null) {
            return;
        }
        Path server = Commands.findExecutable("mariadbd", SBIN_DIRS);
        Path install = Commands.findExecutable("mariadb-install-db", SBIN_DIRS);
        if (server == null || install == null) {
            throw new TestkitException("MariaDB binaries not found (mariadbd, mariadb-install-db on PATH or in "
                    + SBIN_DIRS + "): install Debian's mariadb-server package; the kit never uses its service");
        }
        try {
            Path log = Files.createTempFile("mariadbd-version", ".log");
            try {
                Commands.Result result = Commands.run(List.of(server.toString(), "--version"), Map.of(), log,
                        Duration.ofSeconds(60));
                if (result.exitCode() != 0) {
                    String advice = Commands.missingLibraryAdvice(result.output());
                    throw new TestkitException(server + " --version failed: "
                            + (advice != null ? advice : result.output()));
                }
                // "mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)"
                String[] words = result.output().trim().split("\\s+");
                String v = null;
                for (int i = 0; i + 1 < words.length; i++) {
                    if (words[i].equals("Ver")) {
                        v = words[i + 1];
                        break;
                    }
                }
                if (v == null || !v.matches("[A-Za-z0-9_.+-]+")) {
                    throw new TestkitException("Cannot read the version from: " + result.output());
                }
                version = v;
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new TestkitException("Cannot run " + server + " --version: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("Interrupted", e);
        }
        installDb = install;
        mariadbd = server;
    }

    @Override
    synchronized Path templateDataDir() {
        if (template == null) {
            locate();
            Path entry = Cache.root().resolve("mariadb-" + version).resolve(TEMPLATE);
            template = Cache.getOrBuild(entry, this::installInto);
        }
        return template;
    }

    private void installInto(Path datadir) throws IOException, InterruptedException {
        Path extraSql = datadir.resolveSibling(datadir.getFileName() + ".sql");
        Path log = datadir.resolveSibling(datadir.getFileName() + ".log");
        Files.writeString(extraSql, EXTRA_SQL);
        Files.deleteIfExists(log);
        try {
            List<String> cmd = new ArrayList<>(List.of(installDb.toString(), "--no-defaults",
                    "--datadir=" + datadir,
                    // A root that logs in with an (empty) password from 127.0.0.1, as the kit's JDBC does.
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                    // Without it the script resolves the host name, which fails in containers without DNS.
                    "--skip-name-resolve",
                    "--extra-file=" + extraSql));
            if (Commands.runningAsRoot()) {
                cmd.add("--user=root");
            }
            Commands.Result result = Commands.run(cmd, Map.of(), log, Duration.ofMinutes(5));
            if (result.exitCode() != 0) {
                throw new TestkitException("mariadb-install-db failed (exit " + result.exitCode() + "):\n"
                        + result.output());
            }
        } finally {
            Files.deleteIfExists(extraSql);
            Files.deleteIfExists(log);
        }
    }

    @Override
    Path serverBinary() {
        locate();
        return mariadbd;
    }

    @Override
    void addFlavorFlags(ServerOptions options, List<String> cmd) {
        // GTIDs are always on in MariaDB; options.gtid() has nothing to switch.
        if (options.semiSyncMaster()) {
            cmd.add("--rpl-semi-sync-master-enabled=ON");
        }
        if (options.semiSyncSlave()) {
            cmd.add("--rpl-semi-sync-slave-enabled=ON");
        }
    }

    @Override
    String serverUuid(DbServer server) {
        return null;
    }

    @Override
    String createUserSql(String user, String password, String authPlugin) {
        String account = quote(user) + "@'%'";
        if (authPlugin == null) {
            return "CREATE USER " + account + " IDENTIFIED BY " + quote(password);
        }
        // MariaDB's form; PASSWORD() hashes for whichever plugin is named (mysql_native_password, ed25519).
        return "CREATE USER " + account + " IDENTIFIED VIA " + checkIdentifier("authPlugin", authPlugin)
                + " USING PASSWORD(" + quote(password) + ")";
    }

    @Override
    String positioningOptions(boolean useGtid) {
        return ", MASTER_USE_GTID=" + (useGtid ? "slave_pos" : "no");
    }

    /**
     * The master's gtid_binlog_pos holds the last GTID of each replication domain; the replica is caught up when its
     * gtid_slave_pos has reached that sequence number in every one of those domains. MariaDB updates gtid_slave_pos
     * for every applied transaction, with or without MASTER_USE_GTID.
     */
    @Override
    ReplicationTarget currentTarget(DbServer master) {
        String binlogPos = master.queryValue("SELECT @@GLOBAL.gtid_binlog_pos");
        Map<Long, Long> wanted = parseGtidPos(binlogPos);
        return new ReplicationTarget() {
            @Override
            public boolean reachedBy(DbServer replica, Map<String, String> replicaStatus) {
                Map<Long, Long> applied = parseGtidPos(replica.queryValue("SELECT @@GLOBAL.gtid_slave_pos"));
                for (Map.Entry<Long, Long> domain : wanted.entrySet()) {
                    if (applied.getOrDefault(domain.getKey(), -1L) < domain.getValue()) {
                        return false;
                    }
                }
                return true;
            }

            @Override
            public String describe() {
                return "gtid_binlog_pos " + binlogPos;
            }
        };
    }

    /** "0-100-7,1-200-3" to {domain: seq_no}. */
    static Map<Long, Long> parseGtidPos(String pos) {
        Map<Long, Long> result = new HashMap<>();
        if (pos == null || pos.isBlank()) {
            return result;
        }
        for (String gtid : pos.split(",")) {
            String[] parts = gtid.trim().split("-");
            if (parts.length != 3) {
                throw new TestkitException("Malformed MariaDB GTID: " + gtid + " in " + pos);
            }
            result.merge(Long.parseUnsignedLong(parts[0]), Long.parseUnsignedLong(parts[2]), Math::max);
        }
        return result;
    }
}
