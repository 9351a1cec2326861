package dev.binlogproxy.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One real MySQL or MariaDB server process on 127.0.0.1, in its own directory, for tests.
 *
 * <p>Each instance gets a copy of a cached, initialized data directory, a free port, and a server id; it runs under a
 * watchdog that kills it if this JVM dies (see {@link Watchdog}). {@link #close()} kills the server and deletes the
 * directory; a shutdown hook and a sweep of orphaned directories cover tests that never get there.
 *
 * <p>Every helper connects as root over TCP and throws {@link TestkitException} on failure. The kit's own setup
 * statements run with {@code sql_log_bin=0}, so a server's binlog holds only what the test did. Thread-safe: the SQL
 * helpers open a connection per call; lifecycle methods are serialized.
 */
public final class DbServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DbServer.class);

    private static final String HOST = "127.0.0.1";
    private static final int START_ATTEMPTS = 3;
    private static final int LOG_TAIL_LINES = 40;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(30);

    private enum State { RUNNING, STOPPED, CLOSED }

    private final ServerOptions options;
    private final Engine engine;
    private final InstanceLayout layout;
    private final int serverId;
    private final int port;

    // Written under this object's monitor by the lifecycle methods; volatile so the SQL helpers and accessors can
    // read them without waiting for a restart in progress.
    private volatile State state;
    private volatile Process watchdog;
    private volatile long pid;
    private volatile String version;
    private volatile String serverUuid;

    private DbServer(ServerOptions options, Engine engine, InstanceLayout layout, int serverId, int port) {
        this.options = options;
        this.engine = engine;
        this.layout = layout;
        this.serverId = serverId;
        this.port = port;
    }

    /**
     * Starts a fresh server and waits until it accepts connections. On failure nothing is left behind and the
     * exception carries the tail of the server's error log.
     */
    public static DbServer start(ServerOptions options) {
        Objects.requireNonNull(options, "options");
        KitRoot.ensureInitialized();
        Engine engine = Engine.of(options.flavor());
        int serverId = options.serverId().orElseGet(ServerOptions::nextServerId);
        ServerOptions effective = options.toBuilder().serverId(serverId).build();
        Path template = engine.templateDataDir();

        long startNanos = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            InstanceLayout layout = KitRoot.newInstance(options.flavor(), serverId);
            int port = Ports.reserve();
            DbServer server = new DbServer(effective, engine, layout, serverId, port);
            try {
                layout.checkSocketPathLength();
                long copyNanos = System.nanoTime();
                FileTrees.copyTree(template, layout.dataDir());
                // The template has none, but a second server with the same server_uuid would break GTID
                // replication in confusing ways, so make sure.
                Files.deleteIfExists(layout.dataDir().resolve("auto.cnf"));
                Files.createDirectories(layout.binlogDir());
                Files.createDirectories(layout.tmpDir());
                copyNanos = System.nanoTime() - copyNanos;
                long launchNanos = System.nanoTime();
                // Registered before launch, so a JVM shutdown during the launch still cleans up.
                KitRoot.register(server);
                synchronized (server) {
                    server.launch();
                    server.state = State.RUNNING;
                }
                LOG.info("Started {} in {} ms (data dir copy {} ms, launch to ready {} ms)", server,
                        millisSince(startNanos), TimeUnit.NANOSECONDS.toMillis(copyNanos), millisSince(launchNanos));
                return server;
            } catch (AddressInUse e) {
                server.discard();
                if (attempt >= START_ATTEMPTS) {
                    throw new TestkitException("Port " + port + " was taken before " + options.flavor()
                            + " could bind it, " + START_ATTEMPTS + " times in a row:\n" + e.getMessage());
                }
                LOG.info("Port {} was taken before the server bound it; trying another", port);
            } catch (IOException e) {
                server.discard();
                throw new TestkitException("Cannot start " + options.flavor() + " in " + layout.dir() + ": " + e, e);
            } catch (RuntimeException | Error e) {
                server.discard();
                throw e;
            }
        }
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    /** Thrown by {@link #launch()} when the server died because its port was taken meanwhile. */
    private static final class AddressInUse extends Exception {
        AddressInUse(String message) {
            super(message, null, false, false);
        }
    }

    /** Starts the server process on this instance's data dir and port and waits until it takes connections. */
    private void launch() throws IOException, AddressInUse {
        long errorLogOffset = FileTrees.sizeOrZero(layout.errorLog());
        long consoleOffset = FileTrees.sizeOrZero(layout.consoleLog());
        List<String> command = engine.command(options, serverId, layout, port);
        LOG.debug("Launching {}", command);
        Watchdog.Launched launched = Watchdog.launch(command, engine.environment(), layout.consoleLog());
        watchdog = launched.watchdog();
        pid = launched.serverPid();
        Files.writeString(layout.serverPidFile(), pid + "\n", StandardCharsets.US_ASCII);

        long deadline = System.nanoTime() + options.startTimeout().toNanos();
        SQLException last = null;
        while (true) {
            if (!watchdog.isAlive()) {
                String logged = FileTrees.readFrom(layout.errorLog(), errorLogOffset)
                        + FileTrees.readFrom(layout.consoleLog(), consoleOffset);
                if (logged.contains("Address already in use")) {
                    throw new AddressInUse(diagnostics());
                }
                String advice = Commands.missingLibraryAdvice(logged);
                throw new TestkitException(describe() + " exited with status " + watchdog.exitValue()
                        + " while starting" + (advice != null ? " (" + advice + ")" : "") + "\n" + diagnostics());
            }
            try (Connection c = connect(1_000, 2_000);
                 Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT VERSION(), @@GLOBAL.pid_file")) {
                rs.next();
                // Whatever else took the port after the server lost the race for it would answer here too.
                if (layout.mysqldPidFile().toString().equals(rs.getString(2))) {
                    version = rs.getString(1);
                    break;
                }
                last = new SQLException("a different server answers on port " + port + " (pid_file "
                        + rs.getString(2) + ")");
            } catch (SQLException e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                killProcess();
                throw new TestkitException(describe() + " did not accept connections within "
                        + options.startTimeout() + " (last error: " + last + ")\n" + diagnostics());
            }
            sleep(25);
        }
        serverUuid = engine.serverUuid(this);
    }

    /** The error log's last lines, and the console's when the server wrote anything there. */
    private String diagnostics() {
        String console = FileTrees.tail(layout.consoleLog(), LOG_TAIL_LINES);
        return "--- last " + LOG_TAIL_LINES + " lines of " + layout.errorLog() + "\n"
                + FileTrees.tail(layout.errorLog(), LOG_TAIL_LINES)
                + (console.isBlank() ? "" : "\n--- " + layout.consoleLog() + "\n" + console);
    }

    /** Cleanup after a failed start: nothing of the attempt may remain. */
    private void discard() {
        synchronized (this) {
            if (watchdog != null) {
                killProcess();
            }
            state = State.CLOSED;
        }
        KitRoot.unregister(this);
        Ports.release(port);
        try {
            FileTrees.deleteTree(layout.dir());
        } catch (IOException e) {
            LOG.warn("Cannot delete {} (the next sweep will): {}", layout.dir(), e.toString());
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Identity

    public Flavor flavor() {
        return options.flavor();
    }

    /** The options the server runs with, the server id filled in. */
    public ServerOptions options() {
        return options;
    }

    public String host() {
        return HOST;
    }

    public int port() {
        return port;
    }

    public int serverId() {
        return serverId;
    }

    public Path instanceDir() {
        return layout.dir();
    }

    public Path dataDir() {
        return layout.dataDir();
    }

    public Path errorLog() {
        return layout.errorLog();
    }

    /** MySQL's {@code @@server_uuid}; null for MariaDB, which has none. Stable across restarts. */
    public String serverUuid() {
        return serverUuid;
    }

    /** {@code SELECT VERSION()}, e.g. {@code 8.0.15} or {@code 10.11.19-MariaDB-0+deb12u1-log}. */
    public String version() {
        return version;
    }

    /** The process id of the most recently started server process (it may have been stopped since). */
    public long pid() {
        return pid;
    }

    /** True from a successful start or restart until stop, kill9, close, or the server's own death. */
    public boolean isRunning() {
        return state == State.RUNNING && watchdog != null && watchdog.isAlive();
    }

    /**
     * A Connector/J URL for user root with an empty password. Plain TCP: MySQL 8.0.15's bundled OpenSSL 1.0 and
     * the JDK's TLS defaults are a poor match, and encryption on loopback buys the tests nothing; that in turn needs
     * public key retrieval for caching_sha2_password accounts with a password.
     */
    public String jdbcUrl() {
        return "jdbc:mysql://" + HOST + ":" + port + "/?sslMode=DISABLED&allowPublicKeyRetrieval=true";
    }

    @Override
    public String toString() {
        return describe() + " " + HOST + ":" + port + (version == null ? "" : " " + version);
    }

    private String describe() {
        return flavor().name().toLowerCase(Locale.ROOT) + " server_id=" + serverId + " (" + layout.dir() + ")";
    }

    // ---------------------------------------------------------------------------------------------------------
    // SQL

    /** A new root connection; the caller closes it. */
    public Connection connect() {
        checkNotClosed();
        try {
            return connect(10_000, 0);
        } catch (SQLException e) {
            throw new TestkitException("Cannot connect to " + this + ": " + e, e);
        }
    }

    /** {@code socketTimeoutMillis} 0 waits forever, as long statements and replication waits need. */
    private Connection connect(int connectTimeoutMillis, int socketTimeoutMillis) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "root");
        p.setProperty("password", "");
        p.setProperty("connectTimeout", Integer.toString(connectTimeoutMillis));
        // Also bounds the wait for the server's greeting, which the readiness probe relies on: a listener that
        // accepts but never speaks (a foreign process that took the port) would hang it otherwise.
        p.setProperty("socketTimeout", Integer.toString(socketTimeoutMillis));
        return DriverManager.getConnection(jdbcUrl(), p);
    }

    /** Runs the statements in order on one connection, autocommit on. They are binlogged like any client's. */
    public void execute(String... statements) {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String sql : statements) {
                try {
                    s.execute(sql);
                } catch (SQLException e) {
                    throw new TestkitException(sql + " failed on " + this + ": " + e.getMessage(), e);
                }
            }
        } catch (SQLException e) {
            throw new TestkitException("SQL failed on " + this + ": " + e, e);
        }
    }

    /** All rows, each column as a string, SQL NULL as null. */
    public List<List<String>> query(String sql) {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            int columns = rs.getMetaData().getColumnCount();
            List<List<String>> rows = new ArrayList<>();
            while (rs.next()) {
                String[] row = new String[columns];
                for (int i = 0; i < columns; i++) {
                    row[i] = rs.getString(i + 1);
                }
                rows.add(Collections.unmodifiableList(Arrays.asList(row)));
            }
            return Collections.unmodifiableList(rows);
        } catch (SQLException e) {
            throw new TestkitException(sql + " failed on " + this + ": " + e.getMessage(), e);
        }
    }

    /** The first column of the first row; null for SQL NULL or no rows. */
    public String queryValue(String sql) {
        List<List<String>> rows = query(sql);
        return rows.isEmpty() ? null : rows.get(0).get(0);
    }

    /** Kit setup: kept out of the binlog so that the test's own transactions are all a reader finds there. */
    private void executeUnlogged(String... statements) {
        String[] all = new String[statements.length + 1];
        all[0] = "SET SESSION sql_log_bin = 0";
        System.arraycopy(statements, 0, all, 1, statements.length);
        execute(all);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Replication

    /**
     * Creates {@code user@'%'} with REPLICATION SLAVE and REPLICATION CLIENT, using the server's default
     * authentication (caching_sha2_password on MySQL 8, mysql_native_password on MariaDB). Not binlogged.
     */
    public void createReplicationUser(String user, String password) {
        createReplicationUser(user, password, null);
    }

    /**
     * As {@link #createReplicationUser(String, String)} with a named authentication plugin, e.g.
     * {@code mysql_native_password} to test a client's older handshake against MySQL 8.
     */
    public void createReplicationUser(String user, String password, String authPlugin) {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        executeUnlogged(engine.createUserSql(user, password, authPlugin),
                "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO " + Engine.quote(user) + "@'%'");
    }

    /**
     * Makes this server a replica of {@code master} and starts replication. With {@code useGtid}: MySQL
     * auto-positioning, MariaDB {@code MASTER_USE_GTID=slave_pos}; without: the master's first binlog file at
     * position 4.
     */
    public void replicateFrom(DbServer master, String user, String password, boolean useGtid) {
        Objects.requireNonNull(master, "master");
        String firstLog = null;
        if (!useGtid) {
            List<BinaryLog> logs = master.showBinaryLogs();
            if (logs.isEmpty()) {
                throw new TestkitException(master + " has no binary logs to replicate from");
            }
            firstLog = logs.get(0).name();
        }
        changeMasterAndStart(master.host(), master.port(), user, password, useGtid, firstLog);
    }

    /**
     * Makes this server a replica of whatever speaks the master protocol at {@code host:port} (a binlog proxy, say)
     * and starts replication. Without {@code useGtid} the replica asks for the master's first binlog.
     */
    public void replicateFrom(String host, int port, String user, String password, boolean useGtid) {
        changeMasterAndStart(Objects.requireNonNull(host, "host"), port, user, password, useGtid, null);
    }

    /**
     * Re-points this replica at {@code host:port} by file/position, continuing at {@code logFile}:{@code logPos}
     * (a binlog proxy serving the same master's files under the same names): STOP, CHANGE MASTER, START.
     */
    public void replicateFrom(String host, int port, String user, String password, String logFile, long logPos) {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(logFile, "logFile");
        execute("STOP SLAVE", engine.changeMasterSql(host, port, user, password, false, logFile, logPos),
                "START SLAVE");
    }

    private void changeMasterAndStart(String host, int masterPort, String user, String password, boolean useGtid,
                                      String logFile) {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        // STOP first so that re-pointing a running replica works too; on a fresh server it only warns.
        execute("STOP SLAVE",
                engine.changeMasterSql(host, masterPort, user, password, useGtid, logFile),
                "START SLAVE");
    }

    /** {@code SHOW SLAVE STATUS} as column name to value; empty when this server is not a replica. */
    public Map<String, String> replicaStatus() {
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW SLAVE STATUS")) {
            Map<String, String> status = new LinkedHashMap<>();
            if (rs.next()) {
                ResultSetMetaData md = rs.getMetaData();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    status.put(md.getColumnLabel(i), rs.getString(i));
                }
            }
            return Collections.unmodifiableMap(status);
        } catch (SQLException e) {
            throw new TestkitException("SHOW SLAVE STATUS failed on " + this + ": " + e.getMessage(), e);
        }
    }

    /**
     * Waits until this replica has applied everything {@code master} had when the call began: GTID sets on MySQL
     * with gtid_mode ON (file and position otherwise), gtid_slave_pos against the master's gtid_binlog_pos on
     * MariaDB. Fails at once, with the Last_*_Error text, if a replication thread stops with an error.
     */
    public void waitForReplicaCaughtUp(DbServer master, Duration timeout) {
        Objects.requireNonNull(master, "master");
        Engine.ReplicationTarget target = master.engine.currentTarget(master);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Map<String, String> status = replicaStatus();
            if (status.isEmpty()) {
                throw new TestkitException(this + " is not a replica (SHOW SLAVE STATUS is empty)");
            }
            if (target.reachedBy(this, status)) {
                return;
            }
            ReplicaStatus.requireRunning(this, status);
            if (System.nanoTime() > deadline) {
                throw new TestkitException(this + " did not catch up with " + target.describe() + " of " + master
                        + " within " + timeout + ": " + ReplicaStatus.summary(status));
            }
            sleep(20);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Binlogs

    /** {@code SHOW MASTER STATUS}: the current binlog file and end position. */
    public MasterStatus masterStatus() {
        List<List<String>> rows = query("SHOW MASTER STATUS");
        if (rows.isEmpty()) {
            throw new TestkitException(this + " has no binary log (SHOW MASTER STATUS is empty)");
        }
        return new MasterStatus(rows.get(0).get(0), Long.parseLong(rows.get(0).get(1)));
    }

    /** One {@code SHOW GLOBAL STATUS} value, e.g. Rpl_semi_sync_master_yes_tx. */
    public String globalStatus(String name) {
        List<List<String>> rows = query("SHOW GLOBAL STATUS LIKE '" + name.replace("'", "''") + "'");
        if (rows.isEmpty()) {
            throw new TestkitException(this + " has no status variable " + name);
        }
        return rows.get(0).get(1);
    }

    /**
     * {@code FLUSH BINARY LOGS}, returning once the new file's size is settled. MariaDB writes the new file's
     * BINLOG_CHECKPOINT event asynchronously, after the rotate has returned (once the old file's transactions are
     * durable in the engine), so a size read right after the flush can be 43 bytes short; this waits for that
     * event. MySQL writes nothing after the rotate.
     */
    public void flushBinaryLogs() {
        execute("FLUSH BINARY LOGS");
        if (flavor() != Flavor.MARIADB) {
            return;
        }
        String file = masterStatus().file();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            for (List<String> event : query("SHOW BINLOG EVENTS IN '" + file + "'")) {
                // columns: Log_name, Pos, Event_type, Server_id, End_log_pos, Info
                if ("Binlog_checkpoint".equals(event.get(2)) && event.get(5) != null && event.get(5).contains(file)) {
                    return;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new TestkitException(this + ": no BINLOG_CHECKPOINT for " + file + " 10 s after FLUSH BINARY LOGS");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TestkitException("interrupted waiting for the binlog checkpoint of " + file, e);
            }
        }
    }

    /** {@code SHOW BINARY LOGS}, oldest first. */
    public List<BinaryLog> showBinaryLogs() {
        List<BinaryLog> logs = new ArrayList<>();
        for (List<String> row : query("SHOW BINARY LOGS")) {
            logs.add(new BinaryLog(row.get(0), Long.parseLong(row.get(1))));
        }
        return Collections.unmodifiableList(logs);
    }

    /** Where the binlog files and their index live. */
    public Path binlogDir() {
        return layout.binlogDir();
    }

    /** The file of binlog {@code name}, as {@link #showBinaryLogs()} names it. */
    public Path binlogFile(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("binlog name: " + name + " (expected: a file name)");
        }
        return layout.binlogDir().resolve(name);
    }

    /** The bytes of binlog {@code name} as they are on disk now (the open file keeps growing). */
    public byte[] readBinlog(String name) {
        Path file = binlogFile(name);
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new TestkitException("Cannot read " + file + ": " + e, e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Lifecycle

    /** SIGKILL, as a crash would; waits until the process is gone. Data and port are kept for {@link #restart()}. */
    public synchronized void kill9() {
        checkNotClosed();
        if (state == State.RUNNING) {
            killProcess();
            state = State.STOPPED;
            LOG.info("Killed {} (SIGKILL)", this);
        }
    }

    /** Clean shutdown (SIGTERM, which both servers treat like SHUTDOWN); waits until the process is gone. */
    public synchronized void stop() {
        checkNotClosed();
        if (state != State.RUNNING) {
            return;
        }
        if (watchdog.isAlive()) { // else the server died by itself, and its pid may belong to someone else now
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        }
        if (!waitForWatchdog(STOP_TIMEOUT)) {
            LOG.warn("{} did not shut down within {}; killing it", this, STOP_TIMEOUT);
            killProcess();
        }
        closePipe();
        state = State.STOPPED;
        LOG.info("Stopped {}", this);
    }

    /**
     * Starts the server again on the same data dir, port and options, stopping it cleanly first if it runs, and
     * waits until it accepts connections.
     */
    public synchronized void restart() {
        checkNotClosed();
        if (state == State.RUNNING) {
            stop();
        }
        long startNanos = System.nanoTime();
        try {
            launch();
        } catch (AddressInUse e) {
            throw new TestkitException("Cannot restart " + this + ": port " + port
                    + " has been taken by another process\n" + e.getMessage());
        } catch (IOException e) {
            throw new TestkitException("Cannot restart " + this + ": " + e, e);
        }
        state = State.RUNNING;
        LOG.info("Restarted {} in {} ms", this, millisSince(startNanos));
    }

    /**
     * Kills the server if it runs and deletes the instance directory. Idempotent. The kill is SIGKILL rather than a
     * clean shutdown because the data is deleted right after, and a clean InnoDB shutdown costs a second or more.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            if (state == State.RUNNING) {
                killProcess();
            }
            closePipe();
            state = State.CLOSED;
        }
        KitRoot.unregister(this);
        Ports.release(port);
        try {
            FileTrees.deleteTree(layout.dir());
        } catch (IOException e) {
            throw new TestkitException("Cannot delete " + layout.dir() + " (the next sweep will): " + e, e);
        }
        LOG.debug("Closed {}", this);
    }

    /** SIGKILL the server and wait for the watchdog, which exits right after its server. */
    private void killProcess() {
        // The watchdog reaps the server, so while the watchdog lives the pid cannot have been reused.
        if (watchdog != null && watchdog.isAlive()) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        if (!waitForWatchdog(KILL_TIMEOUT)) {
            throw new TestkitException(this + ": server pid " + pid + " survived SIGKILL for " + KILL_TIMEOUT);
        }
        closePipe();
    }

    private boolean waitForWatchdog(Duration timeout) {
        try {
            return watchdog == null || watchdog.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("Interrupted while waiting for " + this + " to exit", e);
        }
    }

    /** Releases this JVM's end of the watchdog's stdin; only after the watchdog is gone, or it would kill. */
    private void closePipe() {
        if (watchdog != null && !watchdog.isAlive()) {
            try {
                watchdog.getOutputStream().close();
                watchdog.getInputStream().close();
            } catch (IOException e) {
                // Nothing left to release.
            }
        }
    }

    private void checkNotClosed() {
        if (state == State.CLOSED) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("Interrupted", e);
        }
    }
}
