package dev.binlogproxy.testkit;


import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A varied, seeded workload run by several client threads at once, counting the transactions the server
 * acknowledged: autocommit and multi-statement row changes, rollbacks (which write nothing), savepoints, DDL,
 * non-transactional (MyISAM) statements, XA committed and rolled back (two binlog transactions each), large rows
 * and FLUSH BINARY LOGS. Shared by the reader tests and the replication tests ({@link #TABLES} to compare).
 */
public final class Workload {
    /** The tables the workload writes, for CHECKSUM TABLE comparisons between a master and its replicas. */
    public static final java.util.List<String> TABLES = java.util.List.of("wl.t", "wl.m");

    private final DbServer server;
    private final AtomicLong committed = new AtomicLong();
    private final AtomicInteger ids = new AtomicInteger(1000);
    private final AtomicInteger tables = new AtomicInteger();

    public Workload(DbServer server) {
        this.server = server;
    }

    public long committedTransactions() {
        return committed.get();
    }

    public void setUp() throws SQLException {
        try (Connection c = server.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE wl");
            st.execute("CREATE TABLE wl.t (id INT PRIMARY KEY, v VARCHAR(100), n INT, b LONGBLOB) ENGINE=InnoDB");
            st.execute("CREATE TABLE wl.m (id INT, v VARCHAR(20)) ENGINE=MyISAM");
        }
        committed.addAndGet(3);
    }

    public void run(int threads, int opsPerThread, long seed) throws Exception {
        List<Thread> workers = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int i = 0; i < threads; i++) {
            long s = seed + i;
            int worker = i;
            Thread t = new Thread(() -> {
                try (Connection c = server.connect()) {
                    SplittableRandom rnd = new SplittableRandom(s);
                    List<Integer> own = new ArrayList<>();
                    for (int op = 0; op < opsPerThread; op++) {
                        step(c, rnd, worker, op, own);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "workload-" + i);
            workers.add(t);
            t.start();
        }
        for (Thread t : workers) {
            t.join();
        }
        if (!failures.isEmpty()) {
            TestkitException e = new TestkitException("workload failed: " + failures.get(0), failures.get(0));
            failures.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }

 /**
     * One operation. Each worker updates and deletes only rows it inserted itself, by primary key, so the workers
     * never deadlock and every statement changes exactly the rows counted (a change of zero rows would write no
     * transaction).
     */
    private void step(Connection c, SplittableRandom rnd, int worker, int op, List<Integer> own) throws SQLException {
        int dice = rnd.nextInt(100);
        try (Statement st = c.createStatement()) {
            if (dice < 35) {
                own.add(insert(c, ids.incrementAndGet(), "auto", rnd.nextInt(200)));
                committed.incrementAndGet();
            } else if (dice < 55) {
                st.execute("BEGIN");
                int n = 1 + rnd.nextInt(5);
                for (int i = 0; i < n; i++) {
                    own.add(insert(c, ids.incrementAndGet(), "multi", rnd.nextInt(200)));
                }
                st.execute("UPDATE wl.t SET n = n + 1 WHERE id = " + own.get(rnd.nextInt(own.size())));
                st.execute("COMMIT");
                committed.incrementAndGet();
            } else if (dice < 62) {
                st.execute("BEGIN");
                insert(c, ids.incrementAndGet(), "rolled back", 10);
                st.execute("ROLLBACK");
            } else if (dice < 68) {
                st.execute("BEGIN");
                own.add(insert(c, ids.incrementAndGet(), "kept", 10));
                st.execute("SAVEPOINT sp");
                insert(c, ids.incrementAndGet(), "undone", 10);
                st.execute("ROLLBACK TO SAVEPOINT sp");
                st.execute("COMMIT");
                committed.incrementAndGet();
            } else if (dice < 74) {
                st.execute("INSERT INTO wl.m VALUES (" + op + ", 'myisam')");
                committed.incrementAndGet();
            } else if (dice < 80) {
                String xid = "'w" + worker + "-" + op + "'";
                st.execute("XA START " + xid);
                insert(c, ids.incrementAndGet(), "xa", 1);
                st.execute("XA END " + xid);
                st.execute("XA PREPARE " + xid);
                st.execute(rnd.nextBoolean() ? "XA COMMIT " + xid : "XA ROLLBACK " + xid);
                committed.addAndGet(2);
            } else if (dice < 85) {
                String table = "wl.d" + tables.incrementAndGet();
                st.execute("CREATE TABLE " + table + " (id INT PRIMARY KEY) ENGINE=InnoDB");
                st.execute("DROP TABLE " + table);
                committed.addAndGet(2);
            } else if (dice < 90 && !own.isEmpty()) {
                int victim = own.remove(rnd.nextInt(own.size()));
                assertOneRow(st.executeUpdate("DELETE FROM wl.t WHERE id = " + victim));
                committed.incrementAndGet();
            } else if (dice < 95 && dice >= 90) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO wl.t VALUES (?, 'large', 0, ?)")) {
                    byte[] blob = new byte[20_000 + rnd.nextInt(200_000)];
                    rnd.nextBytes(blob);
                    ps.setInt(1, ids.incrementAndGet());
                    ps.setBytes(2, blob);
                    ps.execute();
                }
                committed.incrementAndGet();
            } else if (dice >= 95 && dice < 97) {
                st.execute("FLUSH BINARY LOGS");
            } else {
                st.execute("INSERT INTO wl.t (id, v, n) VALUES (" + ids.incrementAndGet() + ", 'a', 1), ("
                        + ids.incrementAndGet() + ", 'b', 2)");
                committed.incrementAndGet();
            }
        }
    }

    private static int insert(Connection c, int id, String v, int n) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO wl.t (id, v, n) VALUES (?, ?, ?)")) {
            ps.setInt(1, id);
            ps.setString(2, v);
            ps.setInt(3, n);
            assertOneRow(ps.executeUpdate());
        }
        return id;
    }

    private static void assertOneRow(int changed) {
        if (changed != 1) {
            throw new TestkitException("expected one row changed, got " + changed);
        }
    }

    public static boolean isMysql(DbServer s) {
        return s.flavor() == Flavor.MYSQL;
    }
}
