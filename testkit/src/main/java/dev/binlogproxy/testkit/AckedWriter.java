package dev.binlogproxy.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The client that accounts for every acknowledged transaction: one thread inserts increasing ids, one autocommit
 * INSERT each, and records an id only once its commit returned OK. A commit that failed (connection lost, server
 * killed) is not recorded: it may or may not exist, and "extra un-acknowledged ids" are allowed after a crash;
 * a recorded id missing anywhere is a lost acknowledged transaction.
 *
 * <p>The target can change while it runs ({@link #retarget}): after a failover the client writes to the new
 * master, as an application behind a moved VIP would. It also measures the longest gap between two successful
 * commits (a switchover's write pause).
 */
public final class AckedWriter implements AutoCloseable {
    public static final String TABLE = "acked.t";
    /**
     * The account the writer uses: an application's, with no SUPER or admin privilege, so read_only stops it as it
     * stops applications (root bypasses read_only on MariaDB). Created on the master and replicated.
     */
    public static final String USER = "acked";
    private static final String PASSWORD = "acked-pw-1";

    private final AtomicReference<String> url = new AtomicReference<>();
    private final ConcurrentSkipListSet<Long> acked = new ConcurrentSkipListSet<>();
    private final AtomicLong next = new AtomicLong(1);
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong longestGapNanos = new AtomicLong();
    private final List<String> errors = new ArrayList<>();
    private final long pauseNanos;
    private volatile boolean stop;
    private Thread thread;

    /**
     * @param pauseMicros sleep between commits (0: as fast as the server acknowledges)
     */
    private AckedWriter(String jdbcUrl, long pauseMicros) {
        url.set(jdbcUrl);
        this.pauseNanos = pauseMicros * 1000;
    }

    /** Creates the table on {@code master} (replicated like any DDL) and starts writing. */
    public static AckedWriter start(DbServer master, long pauseMicros) throws SQLException {
        try (Connection c = master.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE IF NOT EXISTS acked");
            st.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (id BIGINT PRIMARY KEY, at TIMESTAMP(6) NOT NULL"
                    + " DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB");
            st.execute("CREATE USER IF NOT EXISTS '" + USER + "'@'%' IDENTIFIED BY '" + PASSWORD + "'");
            st.execute("GRANT SELECT, INSERT ON acked.* TO '" + USER + "'@'%'");
        }
        AckedWriter w = new AckedWriter(master.jdbcUrl(), pauseMicros);
        w.thread = new Thread(w::loop, "acked-writer");
        w.thread.setDaemon(true);
        w.thread.start();
        return w;
    }

    /** From the next commit on, writes to this server (a failover moved the master). */
    public void retarget(DbServer master) {
        url.set(master.jdbcUrl());
    }

    /** Waits until at least {@code n} more commits were acknowledged than now (fails after 60 s). */
    public void awaitMore(int n) throws InterruptedException {
        long target = acked.size() + (long) n;
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (acked.size() < target) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the writer did not get " + n + " more commits acknowledged: " + this);
            }
            Thread.sleep(5);
        }
    }

    /** Stops writing and waits for the thread; what is recorded then is final. */
    public void stop() throws InterruptedException {
        stop = true;
        if (thread != null) {
            thread.join(30_000);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    /** The ids whose commit returned OK. */
    public NavigableSet<Long> acknowledged() {
        return new TreeSet<>(acked);
    }

    /** Commits that failed (errors, lost connections): possibly committed, never recorded. */
    public long failedCommits() {
        return failures.get();
    }

    /** The longest time between two acknowledged commits, in nanoseconds. */
    public long longestGapNanos() {
        return longestGapNanos.get();
    }

    public synchronized List<String> errors() {
        return List.copyOf(errors);
    }

    /** The acknowledged ids missing from {@code present} (what a server has of {@link #TABLE}). */
    public NavigableSet<Long> missingFrom(Set<Long> present) {
        NavigableSet<Long> missing = acknowledged();
        missing.removeAll(present);
        return missing;
    }

    /** The ids in {@link #TABLE} on {@code server}. */
    public static Set<Long> idsOn(DbServer server) {
        Set<Long> ids = new TreeSet<>();
        for (List<String> row : server.query("SELECT id FROM " + TABLE)) {
            ids.add(Long.parseLong(row.get(0)));
        }
        return ids;
    }

    private void loop() {
        Connection c = null;
        String connectedTo = null;
        long lastOk = System.nanoTime();
        while (!stop) {
            long id = next.getAndIncrement();
            try {
                String target = url.get();
                if (c == null || !target.equals(connectedTo)) {
                    closeQuietly(c);
                    c = DriverManager.getConnection(target + "&connectTimeout=2000&socketTimeout=30000", USER,
                            PASSWORD);
                    connectedTo = target;
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE + " (id) VALUES (?)")) {
                    ps.setLong(1, id);
                    ps.executeUpdate();
                }
                acked.add(id);
                long now = System.nanoTime();
                longestGapNanos.accumulateAndGet(now - lastOk, Math::max);
                lastOk = now;
                if (pauseNanos > 0) {
                    Thread.sleep(pauseNanos / 1_000_000, (int) (pauseNanos % 1_000_000));
                }
            } catch (SQLException e) {
                failures.incrementAndGet();
                synchronized (this) {
                    if (errors.size() < 50) {
                        errors.add(id + ": " + e.getMessage());
                    }
                }
                closeQuietly(c);
                c = null;
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
        }
        closeQuietly(c);
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the server may be gone: nothing to close
            }
        }
    }

    @Override
    public String toString() {
        return "AckedWriter{acked=" + acked.size() + ", next=" + next.get() + ", failed=" + failures.get() + "}";
    }
}
