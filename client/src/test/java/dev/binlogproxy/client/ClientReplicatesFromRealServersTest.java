package dev.binlogproxy.client;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.position.MariaGtidPosition;
import dev.binlogproxy.binlog.position.MySqlGtidSet;
import dev.binlogproxy.protocol.Packet;
import dev.binlogproxy.protocol.packet.ComBinlogDump;
import dev.binlogproxy.protocol.packet.EofPacket;
import dev.binlogproxy.protocol.packet.ErrPacket;
import dev.binlogproxy.protocol.packet.EventPacket;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The public client against real MySQL 8.0.15 and MariaDB 10.11 servers, as a replica: the handshake learns the
 * master's identity and files, the server lists the registered replica, and dumps by file/position and by GTID
 * (both flavors) stream the master's events, starting as a master starts every dump (fake ROTATE, then the FDE),
 * up to the EOF a non-blocking dump ends with.
 */
class ClientReplicatesFromRealServersTest {
    private static EventLoopGroup group;

    @BeforeAll
    static void startGroup() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void mysqlByPositionAndByGtid() throws Exception {
        try (DbServer master = DbServer.start(ServerOptions.mysql().gtid(true).build())) {
            master.createReplicationUser("repl", "pw-1");
            master.execute("CREATE DATABASE c", "CREATE TABLE c.t (id INT PRIMARY KEY)", "INSERT INTO c.t VALUES (1)");
            ConnectionSettings s = ConnectionSettings.plain("127.0.0.1", master.port(), "repl", "pw-1");
            try (ServerConnection conn = ServerConnection.open(group, s)) {
                MasterInfo info = ReplicaHandshake.negotiate(conn, 9301, Duration.ofSeconds(1), false, null);
                assertEquals(BinlogFlavor.MYSQL, info.flavor());
                assertEquals(master.serverId(), info.serverId());
                assertEquals(master.serverUuid(), String.valueOf(info.serverUuid()));
                assertEquals(master.showBinaryLogs().get(0).name(), info.binlogs().get(0).name());
                conn.register(9301);
                String first = info.binlogs().get(0).name();
                conn.dump(first, 4, ComBinlogDump.BINLOG_DUMP_NON_BLOCK, 9301);
                List<BinlogEvent> events = readUntilEof(conn);
                assertStartsLikeADump(events, first);
                assertTrue(events.stream().anyMatch(e -> e.type() == EventType.XID), "no transaction streamed");
            }
            // GTID: everything but the last transaction executed, so the dump sends just that one
            MySqlGtidSet executed = MySqlGtidSet.parse(master.queryValue("SELECT @@GLOBAL.gtid_executed"));
            java.util.UUID uuid = java.util.UUID.fromString(master.serverUuid());
            List<MySqlGtidSet.Interval> mine = executed.intervals(uuid);
            MySqlGtidSet allButLast = executed.subtract(MySqlGtidSet.parse(uuid + ":"
                    + mine.get(mine.size() - 1).last()));
            try (ServerConnection conn = ServerConnection.open(group, ConnectionSettings.plain("127.0.0.1",
                    master.port(), "repl", "pw-1"))) {
                ReplicaHandshake.announceChecksums(conn);
                conn.dumpGtid(allButLast, ComBinlogDump.BINLOG_DUMP_NON_BLOCK, 9302);
                List<BinlogEvent> events = readUntilEof(conn);
                assertEquals(1, events.stream().filter(e -> e.type() == EventType.GTID).count(), events.toString());
                assertEquals(1, events.stream().filter(e -> e.type() == EventType.XID).count(), events.toString());
            }
        }
    }

    @Test
    void mariadbByPositionAndByGtid() throws Exception {
        try (DbServer master = DbServer.start(ServerOptions.mariadb().build())) {
            master.createReplicationUser("repl", "pw-2");
            master.execute("CREATE DATABASE c", "CREATE TABLE c.t (id INT PRIMARY KEY)", "INSERT INTO c.t VALUES (1)");
            String before = master.queryValue("SELECT @@GLOBAL.gtid_binlog_pos");
            master.execute("INSERT INTO c.t VALUES (2)");
            ConnectionSettings s = ConnectionSettings.plain("127.0.0.1", master.port(), "repl", "pw-2");
            try (ServerConnection conn = ServerConnection.open(group, s)) {
                MasterInfo info = ReplicaHandshake.negotiate(conn, 9303, Duration.ofSeconds(1), false, null);
                assertEquals(BinlogFlavor.MARIADB, info.flavor());
                assertEquals(master.serverId(), info.serverId());
                conn.register(9303);
                assertTrue(master.query("SHOW SLAVE HOSTS").stream().anyMatch(r -> r.get(0).equals("9303")),
                        "the registered replica is not listed");
                String first = info.binlogs().get(0).name();
                conn.dump(first, 4, ComBinlogDump.BINLOG_DUMP_NON_BLOCK, 9303);
                assertStartsLikeADump(readUntilEof(conn), first);
            }
            try (ServerConnection conn = ServerConnection.open(group, s)) {
                ReplicaHandshake.announceChecksums(conn);
                conn.dumpMariaGtid(MariaGtidPosition.parse(before), ComBinlogDump.BINLOG_DUMP_NON_BLOCK, 9304);
                List<BinlogEvent> events = readUntilEof(conn);
                // the one transaction after the connect state: its GTID event and its commit
                assertEquals(1, events.stream().filter(e -> e.type() == EventType.MARIA_GTID && e.logPos() != 0)
                        .count(), events.toString());
                assertFalse(events.isEmpty());
            }
        }
    }

    private static void assertStartsLikeADump(List<BinlogEvent> events, String file) {
        assertTrue(events.size() >= 3, events.toString());
        assertEquals(EventType.ROTATE, events.get(0).type());
        assertEquals(0, events.get(0).logPos(), "the first ROTATE is the dump's fake one");
        assertEquals(EventType.FORMAT_DESCRIPTION, events.get(1).type());
        assertTrue(new String(events.get(0).toByteArray(), java.nio.charset.StandardCharsets.ISO_8859_1)
                .contains(file), "the fake ROTATE names " + file);
    }

    /** The events of a non-blocking dump, copied, up to its EOF (an ERR fails). */
    private static List<BinlogEvent> readUntilEof(ServerConnection conn) throws Exception {
        List<BinlogEvent> events = new ArrayList<>();
        while (true) {
            Packet p = conn.next(Duration.ofSeconds(10));
            try {
                if (p.firstByte() == ErrPacket.HEADER) {
                    throw ErrPacket.decode(p.payload()).toException();
                }
                if (p.firstByte() == EofPacket.HEADER && p.payload().readableBytes() < 9) {
                    return events;
                }
                events.add(BinlogEvent.wrap(BinlogEvent.wrap(EventPacket.decode(p.payload(), false).event())
                        .toByteArray()));
            } finally {
                p.release();
            }
        }
    }
}
