package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.archive.RetentionPolicy;
import dev.binlogproxy.archive.UpstreamIdentity;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.position.MariaGtidPosition;
import dev.binlogproxy.binlog.position.MySqlGtidSet;
import dev.binlogproxy.protocol.RealMasterDump;
import dev.binlogproxy.protocol.packet.ComBinlogDump;
import dev.binlogproxy.protocol.packet.ComBinlogDumpGtid;
import dev.binlogproxy.protocol.packet.WireMessage;
import dev.binlogproxy.testkit.BinaryLog;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The oracle: for the same binlog files and the same request, the sender writes what the real master sends. Each
 * case captures the real server's dump with a raw client (the production protocol layer), copies the server's
 * files into an archive through the mirror's writer, runs the sender on the same request and compares the two
 * streams packet by packet: archived events byte for byte, fake events (ROTATE, FORMAT_DESCRIPTION rewrites,
 * heartbeats, GTID_LIST) field by field, ERR by code, SQLSTATE and message (up to the server's file paths).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SenderMatchesRealMasterTest {
    private static final String USER = "repl";
    private static final String PASSWORD = "repl-pw";
    private static final String CHECKSUM = "SET @master_binlog_checksum = @@global.binlog_checksum";
    private static final String CAPABILITY = "SET @mariadb_slave_capability = 4";
    private static final long REPLICA_ID = 77;

    @TempDir
    Path dir;

    /** One request: the SET statements and dump command for the real master, the same as a DumpRequest. */
    record Case(String name, List<String> setup, WireMessage dump, DumpRequest request, int maxItems, long idleMs,
                String user, String password) {
        Case(String name, List<String> setup, WireMessage dump, DumpRequest request, int maxItems, long idleMs) {
            this(name, setup, dump, request, maxItems, idleMs, USER, PASSWORD);
        }

        Case as(String u, String p) {
            return new Case(name, setup, dump, request, maxItems, idleMs, u, p);
        }

        Case withServerId(long serverId) {
            DumpRequest r = request;
            return new Case(name, setup, dump, new DumpRequest(r.start(), serverId, r.flags(), r.flavor(),
                    r.clientChecksum(), r.heartbeatPeriodNanos(), r.semiSync(), r.mariadbSlaveCapability(),
                    r.skipReplication()), maxItems, idleMs);
        }

        Case limit(int items, long idle) {
            return new Case(name, setup, dump, request, items, idle);
        }
    }

    @Test
    void mySql() throws Exception {
        try (DbServer s = DbServer.start(ServerOptions.mysql().maxAllowedPacket(64L << 20).build())) {
            s.createReplicationUser(USER, PASSWORD);
            s.execute("CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY, v VARCHAR(20), b LONGBLOB)",
                    "INSERT INTO d.t VALUES (1, 'a', NULL)", "INSERT INTO d.t VALUES (2, 'b', NULL)",
                    "INSERT INTO d.t VALUES (3, 'c', REPEAT('x', 100000))",
                    "FLUSH BINARY LOGS",
                    "INSERT INTO d.t VALUES (4, 'd', NULL)",
                    // above 16 MB: split into several protocol packets on the wire, one event
                    "INSERT INTO d.t VALUES (5, 'huge', REPEAT('y', 17 * 1024 * 1024))",
                    "INSERT INTO d.t VALUES (6, 'f', NULL)");
            List<BinaryLog> logs = s.showBinaryLogs();
            String f1 = logs.get(0).name();
            String f2 = logs.get(1).name();
            long size2 = logs.get(1).size();
            String uuid = s.serverUuid();
            long mid2 = firstTransactionEnd(s.readBinlog(f2));
            List<Case> cases = new ArrayList<>();
            cases.add(mysqlCase("from the oldest", List.of(CHECKSUM), new ComBinlogDump(4, 1, REPLICA_ID, ""),
                    pos("", 4), 1, ChecksumAlgorithm.CRC32, 0));
            cases.add(mysqlCase("mid-file", List.of(CHECKSUM), new ComBinlogDump(mid2, 1, REPLICA_ID, f2),
                    pos(f2, mid2), 1, ChecksumAlgorithm.CRC32, 0));
            cases.add(mysqlCase("client said NONE", List.of("SET @master_binlog_checksum = 'NONE'"),
                    new ComBinlogDump(4, 1, REPLICA_ID, f2), pos(f2, 4), 1, ChecksumAlgorithm.OFF, 0));
            cases.add(mysqlCase("client said nothing", List.of(), new ComBinlogDump(4, 1, REPLICA_ID, f2),
                    pos(f2, 4), 1, null, 0));
            cases.add(mysqlCase("unknown file", List.of(CHECKSUM), new ComBinlogDump(4, 1, REPLICA_ID, "mysql-bin.000099"),
                    pos("mysql-bin.000099", 4), 1, ChecksumAlgorithm.CRC32, 0));
            cases.add(mysqlCase("beyond the end", List.of(CHECKSUM), new ComBinlogDump(size2 + 1, 1, REPLICA_ID, f2),
                    pos(f2, size2 + 1), 1, ChecksumAlgorithm.CRC32, 0));
            cases.add(mysqlCase("below 4", List.of(CHECKSUM), new ComBinlogDump(3, 1, REPLICA_ID, f2),
                    pos(f2, 3), 1, ChecksumAlgorithm.CRC32, 0));
            cases.add(mysqlCase("server_id 0 at the end", List.of(CHECKSUM), new ComBinlogDump(size2, 0, 0, f2),
                    pos(f2, size2), 0, ChecksumAlgorithm.CRC32, 0).withServerId(0));
            cases.add(mysqlCase("heartbeats at the end",
                    List.of(CHECKSUM, "SET @master_heartbeat_period = 100000000"),
                    new ComBinlogDump(size2, 0, REPLICA_ID, f2), pos(f2, size2), 0, ChecksumAlgorithm.CRC32,
                    100_000_000L).limit(4, 1500));
            cases.add(mysqlCase("heartbeat flag 0x02 on 8.0.15 (v1)",
                    List.of(CHECKSUM, "SET @master_heartbeat_period = 100000000"),
                    new ComBinlogDump(size2, 2, REPLICA_ID, f2), pos(f2, size2), 2, ChecksumAlgorithm.CRC32,
                    100_000_000L).limit(4, 1500));
            for (String set : List.of("", ":1-3", ":1-2:4", ":1-5", ":1-9")) {
                MySqlGtidSet executed = set.isEmpty() ? MySqlGtidSet.EMPTY : MySqlGtidSet.parse(uuid + set);
                cases.add(mysqlCase("GTID set '" + set + "'", List.of(CHECKSUM),
                        new ComBinlogDumpGtid(1 | 4, REPLICA_ID, "", 4, executed.encode()),
                        new StartPoint.MySqlGtids(executed), 1 | 4, ChecksumAlgorithm.CRC32, 0));
            }
            MySqlGtidSet some = MySqlGtidSet.parse(uuid + ":1-3");
            cases.add(mysqlCase("GTID without checksum agreement", List.of(),
                    new ComBinlogDumpGtid(1 | 4, REPLICA_ID, "", 4, some.encode()),
                    new StartPoint.MySqlGtids(some), 1 | 4, null, 0));

            try (BinlogArchive archive = archiveOf(s, UpstreamIdentity.mysql(UUID.fromString(uuid), s.serverId(),
                    "mysql-bin"))) {
                compareAll(s, archive, cases);
                insideAnEvent(s, archive, f2, BinlogFlavor.MYSQL);
                // The 17 MB row event went out as a file region (the output splits it into 16 MB packets).
                RecordingOutput all = record(archive, cases.get(0).request(), s.serverId(), 1000);
                int huge = 0;
                for (int i = 0; i < all.items.size(); i++) {
                    if (all.items.get(i) instanceof RealMasterDump.Event e && e.bytes().length > (16 << 20)) {
                        assertTrue(all.regions.get(i), "large event sent zero-copy");
                        huge++;
                    }
                }
                assertEquals(1, huge, "one event above 16 MB");
                // Purged: the master and the archive both drop the first file.
                s.execute("PURGE BINARY LOGS TO '" + f2 + "'");
                archive.purge(new RetentionPolicy(null, 0, 1));
                compareAll(s, archive, List.of(
                        mysqlCase("GTIDs purged", List.of(CHECKSUM),
                                new ComBinlogDumpGtid(1 | 4, REPLICA_ID, "", 4, MySqlGtidSet.EMPTY.encode()),
                                new StartPoint.MySqlGtids(MySqlGtidSet.EMPTY), 1 | 4, ChecksumAlgorithm.CRC32, 0),
                        mysqlCase("file purged", List.of(CHECKSUM), new ComBinlogDump(4, 1, REPLICA_ID, f1),
                                pos(f1, 4), 1, ChecksumAlgorithm.CRC32, 0)));
            }
        }
    }

    @Test
    void mariaDb() throws Exception {
        try (DbServer s = DbServer.start(ServerOptions.mariadb().semiSyncMaster(true).build())) {
            s.createReplicationUser(USER, PASSWORD);
            s.execute("CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY, v VARCHAR(20), b LONGBLOB)",
                    "INSERT INTO d.t VALUES (1, 'a', NULL)", "INSERT INTO d.t VALUES (2, 'b', NULL)",
                    "INSERT INTO d.t VALUES (3, 'c', REPEAT('x', 100000))",
                    "FLUSH BINARY LOGS",
                    "INSERT INTO d.t VALUES (4, 'd', NULL)", "INSERT INTO d.t VALUES (5, 'e', NULL)",
                    // events flagged SKIP_REPLICATION, for replicas that SET skip_replication=1
                    "SET skip_replication = 1", "INSERT INTO d.t VALUES (6, 'skip', NULL)",
                    "CREATE TABLE d.s (id INT)", "SET skip_replication = 0",
                    "INSERT INTO d.t VALUES (7, 'g', NULL)");
            // SET skip_replication needs more than REPLICATION SLAVE
            s.execute("CREATE USER 'su'@'%' IDENTIFIED BY 'su-pw'", "GRANT ALL ON *.* TO 'su'@'%'");
            List<BinaryLog> logs = s.showBinaryLogs();
            String f2 = logs.get(1).name();
            long size2 = logs.get(1).size();
            long mid2 = firstTransactionEnd(s.readBinlog(f2));
            long id = s.serverId();
            List<Case> cases = new ArrayList<>();
            List<String> std = List.of(CHECKSUM, CAPABILITY);
            cases.add(mariaCase("from the oldest", std, new ComBinlogDump(4, 1, REPLICA_ID, ""), pos("", 4), 1,
                    ChecksumAlgorithm.CRC32, 0));
            cases.add(mariaCase("with ANNOTATE_ROWS", std, new ComBinlogDump(4, 3, REPLICA_ID, ""), pos("", 4), 3,
                    ChecksumAlgorithm.CRC32, 0));
            cases.add(mariaCase("mid-file", std, new ComBinlogDump(mid2, 3, REPLICA_ID, f2), pos(f2, mid2), 3,
                    ChecksumAlgorithm.CRC32, 0));
            cases.add(mariaCase("client said nothing", List.of(CAPABILITY), new ComBinlogDump(4, 1, REPLICA_ID, f2),
                    pos(f2, 4), 1, null, 0));
            cases.add(mariaCase("unknown file", std, new ComBinlogDump(4, 1, REPLICA_ID, "mysql-bin.000099"),
                    pos("mysql-bin.000099", 4), 1, ChecksumAlgorithm.CRC32, 0));
            cases.add(mariaCase("beyond the end", std, new ComBinlogDump(size2 + 100, 1, REPLICA_ID, f2),
                    pos(f2, size2 + 100), 1, ChecksumAlgorithm.CRC32, 0));
            cases.add(mariaCase("heartbeats at the end", List.of(CHECKSUM, CAPABILITY,
                            "SET @master_heartbeat_period = 100000000"), new ComBinlogDump(size2, 0, REPLICA_ID, f2),
                    pos(f2, size2), 0, ChecksumAlgorithm.CRC32, 100_000_000L).limit(4, 1500));
            for (String state : List.of("", "0-" + id + "-2", "0-" + id + "-4", "0-" + id + "-5", "0-" + id + "-7",
                    "0-" + id + "-99", "5-1-3", "0-" + id + "-3,7-1-1")) {
                List<String> setup = List.of(CHECKSUM, CAPABILITY, "SET @slave_connect_state = '" + state + "'");
                cases.add(mariaCase("connect state '" + state + "'", setup, new ComBinlogDump(4, 1, REPLICA_ID, ""),
                        new StartPoint.MariaGtids(MariaGtidPosition.parse(state)), 1, ChecksumAlgorithm.CRC32, 0));
            }
            // Replicas of old capabilities get same-sized stand-ins (BEGIN, dummy QUERY/USER_VAR events).
            for (int cap : new int[] {0, 1, 2, 3}) {
                List<String> setup = cap == 0 ? List.of(CHECKSUM)
                        : List.of(CHECKSUM, "SET @mariadb_slave_capability = " + cap);
                for (int flags : new int[] {1, 3}) {
                    cases.add(new Case("capability " + cap + " flags " + flags, setup,
                            new ComBinlogDump(4, flags, REPLICA_ID, ""), new DumpRequest(pos("", 4), REPLICA_ID,
                            flags, BinlogFlavor.MARIADB, ChecksumAlgorithm.CRC32, 0, false, cap, false), 1000, 3000));
                }
            }
            for (int cap : new int[] {1, 4}) {
                List<String> setup = List.of(CHECKSUM, "SET @mariadb_slave_capability = " + cap,
                        "SET skip_replication = 1");
                cases.add(new Case("skip_replication, capability " + cap, setup,
                        new ComBinlogDump(4, 3, REPLICA_ID, f2), new DumpRequest(pos(f2, 4), REPLICA_ID, 3,
                        BinlogFlavor.MARIADB, ChecksumAlgorithm.CRC32, 0, false, cap, true), 1000, 3000)
                        .as("su", "su-pw"));
            }
            // Blocking: with NON_BLOCK a semi-sync MariaDB master sends no EOF after the flagged event (it waits for
            // the ack that this raw client never sends), so only the events are compared.
            DumpRequest semi = new DumpRequest(pos(f2, 4), REPLICA_ID, 0, BinlogFlavor.MARIADB,
                    ChecksumAlgorithm.CRC32, 0, true, 4, false);
            cases.add(new Case("semi-sync", List.of(CHECKSUM, CAPABILITY, "SET @rpl_semi_sync_slave = 1"),
                    new ComBinlogDump(4, 0, REPLICA_ID, f2), semi, 1000, 3000));
            try (BinlogArchive archive = archiveOf(s, UpstreamIdentity.mariadb(id, "mysql-bin"))) {
                compareAll(s, archive, cases);
                insideAnEvent(s, archive, f2, BinlogFlavor.MARIADB);
            }
        }
    }

    /**
     * A position inside an event: both masters send the fake ROTATE and the FORMAT_DESCRIPTION, then read whatever
     * the bytes there declare (MySQL 8.0.15 even sent an 8 MB packet of them) and end with ERR 1236. The sender
     * checks the position against the event boundaries instead: same ROTATE and FDE, then ERR 1236.
     */
    private static void insideAnEvent(DbServer s, BinlogArchive archive, String file, BinlogFlavor flavor)
            throws Exception {
        long inside = 130;
        List<String> setup = flavor == BinlogFlavor.MYSQL ? List.of(CHECKSUM) : List.of(CHECKSUM, CAPABILITY);
        List<RealMasterDump.Item> real = RealMasterDump.capture(s, USER, PASSWORD, setup,
                new ComBinlogDump(inside, 1, REPLICA_ID, file), false, 1000, Duration.ofMillis(3000));
        List<RealMasterDump.Item> ours = runSender(archive, new DumpRequest(pos(file, inside), REPLICA_ID, 1, flavor,
                ChecksumAlgorithm.CRC32, 0, false, 4, false), s.serverId(), 1000);
        assertEquals(null, diff(real.subList(0, 2), ours.subList(0, 2)), "fake ROTATE and FDE");
        assertEquals(3, ours.size(), ours.toString());
        RealMasterDump.Err realErr = (RealMasterDump.Err) real.get(real.size() - 1);
        RealMasterDump.Err ourErr = (RealMasterDump.Err) ours.get(2);
        assertEquals(realErr.code(), ourErr.code());
        assertEquals(realErr.sqlState(), ourErr.sqlState());
        assertTrue(ourErr.message().contains("the first event '" + file + "' at " + inside), ourErr.message());
    }

    /** Binlogs without checksums: the FDE still has a CRC trailer; what happens to it when the dump rewrites it. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(dev.binlogproxy.testkit.Flavor.class)
    void checksumNone(dev.binlogproxy.testkit.Flavor flavor) throws Exception {
        try (DbServer s = DbServer.start(ServerOptions.builder(flavor).binlogChecksum("NONE").build())) {
            s.createReplicationUser(USER, PASSWORD);
            s.execute("CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY)", "INSERT INTO d.t VALUES (1)",
                    "FLUSH BINARY LOGS", "INSERT INTO d.t VALUES (2)", "INSERT INTO d.t VALUES (3)");
            List<BinaryLog> logs = s.showBinaryLogs();
            String f2 = logs.get(1).name();
            long mid2 = firstTransactionEnd(s.readBinlog(f2));
            boolean maria = flavor == dev.binlogproxy.testkit.Flavor.MARIADB;
            BinlogFlavor bf = maria ? BinlogFlavor.MARIADB : BinlogFlavor.MYSQL;
            int cap = maria ? 4 : 0;
            List<String> std = maria ? List.of(CHECKSUM, CAPABILITY) : List.of(CHECKSUM);
            List<Case> cases = new ArrayList<>();
            cases.add(new Case("from the oldest", std, new ComBinlogDump(4, 3, REPLICA_ID, ""),
                    new DumpRequest(pos("", 4), REPLICA_ID, 3, bf, ChecksumAlgorithm.OFF, 0, false, cap, false),
                    1000, 3000));
            cases.add(new Case("mid-file", std, new ComBinlogDump(mid2, 3, REPLICA_ID, f2),
                    new DumpRequest(pos(f2, mid2), REPLICA_ID, 3, bf, ChecksumAlgorithm.OFF, 0, false, cap, false),
                    1000, 3000));
            cases.add(new Case("client said nothing", maria ? List.of(CAPABILITY) : List.of(),
                    new ComBinlogDump(mid2, 3, REPLICA_ID, f2),
                    new DumpRequest(pos(f2, mid2), REPLICA_ID, 3, bf, null, 0, false, cap, false), 1000, 3000));
            UpstreamIdentity id = maria ? UpstreamIdentity.mariadb(s.serverId(), "mysql-bin")
                    : UpstreamIdentity.mysql(UUID.fromString(s.serverUuid()), s.serverId(), "mysql-bin");
            try (BinlogArchive archive = archiveOf(s, id)) {
                compareAll(s, archive, cases);
            }
        }
    }

    private static StartPoint pos(String file, long position) {
        return new StartPoint.FilePosition(file, position);
    }

    private static Case mysqlCase(String name, List<String> setup, WireMessage dump, StartPoint start, int flags,
                                  ChecksumAlgorithm checksum, long heartbeat) {
        return new Case(name, setup, dump, new DumpRequest(start, REPLICA_ID, flags, BinlogFlavor.MYSQL, checksum,
                heartbeat, false, 0, false), 1000, 3000);
    }

    private static Case mariaCase(String name, List<String> setup, WireMessage dump, StartPoint start, int flags,
                                  ChecksumAlgorithm checksum, long heartbeat) {
        return new Case(name, setup, dump, new DumpRequest(start, REPLICA_ID, flags, BinlogFlavor.MARIADB, checksum,
                heartbeat, false, 4, false), 1000, 3000);
    }

    private BinlogArchive archiveOf(DbServer s, UpstreamIdentity identity) throws Exception {
        BinlogArchive a = BinlogArchive.open(dir.resolve("archive"), Durability.WRITE);
        a.checkIdentity(identity);
        List<dev.binlogproxy.archive.Appended> last = null;
        for (BinaryLog log : s.showBinaryLogs()) {
            last = Archives.feed(a, log.name(), s.readBinlog(log.name()));
        }
        Archives.awaitVisible(last);
        return a;
    }

    /** End of the first transaction of a file image (a real resume point past 4). */
    private static long firstTransactionEnd(byte[] file) {
        for (Archives.Positioned p : Archives.events(file)) {
            if (p.event().type() == EventType.XID) {
                return p.end();
            }
        }
        throw new IllegalStateException("no XID");
    }

    private static void compareAll(DbServer s, BinlogArchive archive, List<Case> cases) throws Exception {
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            List<RealMasterDump.Item> real = RealMasterDump.capture(s, c.user(), c.password(), c.setup(), c.dump(),
                    c.request().semiSync(), c.maxItems(), Duration.ofMillis(c.idleMs()));
            List<RealMasterDump.Item> ours = runSender(archive, c.request(), s.serverId(), c.maxItems());
            String diff = diff(real, ours);
            if (diff != null) {
                failures.add(c.name() + ": " + diff);
            }
            assertTrue(!real.isEmpty(), c.name() + ": the real master sent something");
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + cases.size() + " cases differ from the real master:\n"
                    + String.join("\n", failures));
        }
    }

    static List<RealMasterDump.Item> runSender(BinlogArchive archive, DumpRequest request, long masterId,
                                               int maxItems) throws Exception {
        return record(archive, request, masterId, maxItems).snapshot();
    }

    static RecordingOutput record(BinlogArchive archive, DumpRequest request, long masterId, int maxItems)
            throws Exception {
        RecordingOutput out = new RecordingOutput(maxItems, i -> false);
        BinlogSender sender = new BinlogSender(archive, request, out, masterId, new DumpMetrics(new SimpleMeterRegistry()));
        Thread t = new Thread(() -> {
            try {
                sender.run();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "sender");
        t.start();
        t.join(request.nonBlocking() ? 30_000 : 3_000);
        sender.stop();
        t.join(10_000);
        assertTrue(!t.isAlive(), "sender stopped");
        return out;
    }

    /** Null if the streams agree, else where and how they differ. */
    static String diff(List<RealMasterDump.Item> real, List<RealMasterDump.Item> ours) {
        for (int i = 0; i < Math.max(real.size(), ours.size()); i++) {
            RealMasterDump.Item r = i < real.size() ? real.get(i) : null;
            RealMasterDump.Item o = i < ours.size() ? ours.get(i) : null;
            String d = diffItem(r, o);
            if (d != null) {
                return "packet " + i + ": " + d + " (real " + real.size() + " packets, ours " + ours.size() + ")";
            }
        }
        return null;
    }

    private static String diffItem(RealMasterDump.Item r, RealMasterDump.Item o) {
        if (r == null || o == null) {
            return "real " + r + " vs ours " + o;
        }
        if (r instanceof RealMasterDump.Err re && o instanceof RealMasterDump.Err oe) {
            if (re.code() != oe.code() || !re.sqlState().equals(oe.sqlState())
                    || !withoutPaths(re.message()).equals(withoutPaths(oe.message()))) {
                return "real " + re + " vs ours " + oe;
            }
            return null;
        }
        if (r instanceof RealMasterDump.Event re && o instanceof RealMasterDump.Event oe) {
            if (re.semiSync() != oe.semiSync() || re.ackRequested() != oe.ackRequested()) {
                return "semi-sync header: real " + re + " vs ours " + oe;
            }
            if (java.util.Arrays.equals(re.bytes(), oe.bytes())) {
                return null;
            }
            return fieldDiff(BinlogEvent.wrap(re.bytes()), BinlogEvent.wrap(oe.bytes()));
        }
        return r.equals(o) ? null : "real " + r + " vs ours " + o;
    }

    private static String fieldDiff(BinlogEvent r, BinlogEvent o) {
        StringBuilder sb = new StringBuilder("event differs: real " + r + " ts=" + r.timestamp() + " vs ours " + o
                + " ts=" + o.timestamp());
        byte[] rb = r.toByteArray();
        byte[] ob = o.toByteArray();
        for (int i = 0; i < Math.min(rb.length, ob.length); i++) {
            if (rb[i] != ob[i]) {
                sb.append("; first differing byte ").append(i);
                break;
            }
        }
        if (rb.length < 300 && ob.length < 300) {
            sb.append("\n   real ").append(HexFormat.of().formatHex(rb)).append("\n   ours ")
                    .append(HexFormat.of().formatHex(ob));
        }
        return sb.toString();
    }

    /**
     * MySQL names its binlog directory in read errors ("the last event read from '/path/mysql-bin.000002'"); the
     * archive's path is another. Everything else must match.
     */
    static String withoutPaths(String message) {
        return message.replaceAll("'/[^']*/([^/']+)'", "'$1'");
    }

    @Test
    void pathsAreIgnoredOnlyInQuotedNames() {
        assertEquals("read from 'mysql-bin.000002' at 4", withoutPaths("read from '/tmp/x/binlog/mysql-bin.000002' at 4"));
    }
}
