package dev.binlogproxy.testkit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What differs between the flavors: where the binaries and the template data directory come from, the command
 * line, and the replication SQL. One subclass per flavor; {@link DbServer} holds the flavor-neutral lifecycle.
 */
abstract class Engine {

    static Engine of(Flavor flavor) {
        return switch (flavor) {
            case MYSQL -> MysqlEngine.INSTANCE;
            case MARIADB -> MariadbEngine.INSTANCE;
        };
    }

    abstract Flavor flavor();

    /**
     * An initialized data directory (system tables, root@127.0.0.1 with an empty password, no anonymous users, no
     * auto.cnf) to copy per instance. Built on first use and cached across JVMs.
     */
    abstract Path templateDataDir();

    /** The server command line, flags in the order the kit wants them (extra flags last, so they win). */
    final List<String> command(ServerOptions options, int serverId, InstanceLayout layout, int port) {
        List<String> cmd = new ArrayList<>();
        cmd.add(serverBinary().toString());
        cmd.add("--no-defaults"); // must come first; keeps /etc/mysql and ~/.my.cnf out of the test bed
        if (Commands.runningAsRoot()) {
            cmd.add("--user=root");
        }
        cmd.add("--datadir=" + layout.dataDir());
        cmd.add("--tmpdir=" + layout.tmpDir());
        cmd.add("--port=" + port);
        cmd.add("--bind-address=127.0.0.1");
        cmd.add("--socket=" + layout.socket());
        cmd.add("--pid-file=" + layout.mysqldPidFile());
        cmd.add("--log-error=" + layout.errorLog());
        cmd.add("--server-id=" + serverId);
        cmd.add("--log-bin=" + layout.binlogDir().resolve(options.logBasename()));
        // Relative, so it lands in the data dir; the default name embeds the host name, which may change.
        cmd.add("--relay-log=relay-bin");
        // MySQL 8 has this ON by default, MariaDB OFF; ON for both so replicas in failover tests are promotable.
        cmd.add("--log-slave-updates=ON");
        cmd.add("--binlog-format=" + options.binlogFormat());
        cmd.add("--binlog-checksum=" + options.binlogChecksum());
        cmd.add("--report-host=127.0.0.1");
        cmd.add("--report-port=" + port);
        cmd.add("--skip-name-resolve");
        // Test-speed settings: performance_schema alone costs hundreds of MB and a noticeable share of startup.
        cmd.add("--performance-schema=OFF");
        cmd.add("--innodb-buffer-pool-size=64M");
        options.maxAllowedPacket().ifPresent(v -> cmd.add("--max-allowed-packet=" + v));
        options.maxBinlogSize().ifPresent(v -> cmd.add("--max-binlog-size=" + v));
        addFlavorFlags(options, cmd);
        cmd.addAll(options.extraFlags());
        return cmd;
    }

    abstract Path serverBinary();

    abstract void addFlavorFlags(ServerOptions options, List<String> cmd);

    /** Environment the server needs on top of the JVM's. */
    Map<String, String> environment() {
        return Map.of();
    }

    /** The server's UUID, or null for flavors without one. Runs against a started server. */
    abstract String serverUuid(DbServer server);

    /** CREATE USER for a replication account; {@code authPlugin} null means the server's default. */
    abstract String createUserSql(String user, String password, String authPlugin);

    /**
     * CHANGE MASTER TO for this flavor's replica. {@code logFile} null lets the master start from its first binlog
     * when not using GTIDs.
     */
    final String changeMasterSql(String host, int port, String user, String password, boolean useGtid,
                                 String logFile) {
        return changeMasterSql(host, port, user, password, useGtid, logFile, 4);
    }

    /** As above, starting at {@code logPos} of {@code logFile} (file/position replication only). */
    final String changeMasterSql(String host, int port, String user, String password, boolean useGtid,
                                 String logFile, long logPos) {
        StringBuilder sql = new StringBuilder("CHANGE MASTER TO MASTER_HOST=").append(quote(host))
                .append(", MASTER_PORT=").append(port)
                .append(", MASTER_USER=").append(quote(user))
                .append(", MASTER_PASSWORD=").append(quote(password))
                // The default 60 s between reconnects would stall every test that restarts a master or proxy.
                .append(", MASTER_CONNECT_RETRY=1")
                .append(positioningOptions(useGtid));
        if (!useGtid && logFile != null) {
            sql.append(", MASTER_LOG_FILE=").append(quote(logFile)).append(", MASTER_LOG_POS=").append(logPos);
        }
        return sql.toString();
    }

    /** The flavor's CHANGE MASTER options for GTID or file/position replication, each with a leading comma. */
    abstract String positioningOptions(boolean useGtid);

    /** What a replica of {@code master} must have applied to be caught up with the master as it is now. */
    abstract ReplicationTarget currentTarget(DbServer master);

    /** A master position snapshot that a replica can be checked against. */
    interface ReplicationTarget {
        boolean reachedBy(DbServer replica, Map<String, String> replicaStatus);

        String describe();
    }

    /**
     * File/position target for masters without GTIDs: the replica has executed up to the master's position as of the
     * snapshot. Binlog names of one master share the base name and a zero-padded number, so they compare as strings.
     */
    static ReplicationTarget filePositionTarget(DbServer master) {
        MasterStatus at = master.masterStatus();
        String file = at.file();
        long position = at.position();
        return new ReplicationTarget() {
            @Override
            public boolean reachedBy(DbServer replica, Map<String, String> status) {
                String executedFile = status.getOrDefault("Relay_Master_Log_File", "");
                long executedPos = Long.parseLong(status.getOrDefault("Exec_Master_Log_Pos", "0"));
                int cmp = executedFile.compareTo(file);
                return cmp > 0 || (cmp == 0 && executedPos >= position);
            }

            @Override
            public String describe() {
                return file + ":" + position;
            }
        };
    }

    /** A string literal for SQL; the servers run with backslash escapes on (no NO_BACKSLASH_ESCAPES). */
    static String quote(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "''").replace("\0", "\\0") + "'";
    }

    static String checkIdentifier(String what, String value) {
        if (value == null || !value.matches("[A-Za-z0-9_]+")) {
            throw new IllegalArgumentException(what + ": " + value + " (expected: [A-Za-z0-9_]+)");
        }
        return value;
    }
}
