package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.position.MySqlGtidSet;
import dev.binlogproxy.protocol.RealMasterDump;
import dev.binlogproxy.protocol.packet.ComBinlogDump;
import dev.binlogproxy.protocol.packet.ComBinlogDumpGtid;
import dev.binlogproxy.protocol.packet.WireMessage;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

class ProbeTmpTest {
    static void show(String title, DbServer s, List<String> setup, WireMessage dump, boolean semi, int max, long idleMs) {
        System.out.println("=== " + title);
        for (var it : RealMasterDump.capture(s, "repl", "pw", setup, dump, semi, max, Duration.ofMillis(idleMs))) {
            if (it instanceof RealMasterDump.Event e) {
                BinlogEvent ev = BinlogEvent.wrap(e.bytes());
                StringBuilder hex = new StringBuilder();
                if (ev.eventSize() < 120) for (byte b : e.bytes()) hex.append(String.format("%02x", b));
                System.out.println("  seq=" + e.sequenceId() + " " + ev + " ts=" + ev.timestamp() + (e.semiSync() ? " semi ack=" + e.ackRequested() : "") + " " + hex);
            } else {
                System.out.println("  " + it);
            }
        }
    }

    static void workload(DbServer s) {
        s.execute("CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY, v VARCHAR(20))",
                "INSERT INTO d.t VALUES (1,'a')", "INSERT INTO d.t VALUES (2,'b')", "INSERT INTO d.t VALUES (3,'c')",
                "FLUSH BINARY LOGS", "INSERT INTO d.t VALUES (4,'d')", "INSERT INTO d.t VALUES (5,'e')");
    }

    @Test
    void mysql() {
        try (DbServer s = DbServer.start(ServerOptions.mysql().build())) {
            s.createReplicationUser("repl", "pw");
            workload(s);
            System.out.println(s.showBinaryLogs() + " uuid=" + s.serverUuid() + " id=" + s.serverId());
            String f1 = s.showBinaryLogs().get(0).name();
            String f2 = s.showBinaryLogs().get(1).name();
            List<String> crc = List.of("SET @master_binlog_checksum = @@global.binlog_checksum");
            show("full", s, crc, new ComBinlogDump(4, 1, 77, ""), false, 100, 2000);
            show("none-said", s, List.of("SET @master_binlog_checksum = 'NONE'"), new ComBinlogDump(4, 1, 77, f2), false, 100, 2000);
            show("unknown file", s, crc, new ComBinlogDump(4, 1, 77, "mysql-bin.000099"), false, 100, 2000);
            show("pos>size", s, crc, new ComBinlogDump(100000, 1, 77, f2), false, 100, 2000);
            show("pos 3", s, crc, new ComBinlogDump(3, 1, 77, f2), false, 100, 2000);
            show("pos inside", s, crc, new ComBinlogDump(130, 1, 77, f2), false, 100, 2000);
            long size2 = s.showBinaryLogs().get(1).size();
            show("pos at end", s, crc, new ComBinlogDump(size2, 1, 77, f2), false, 100, 2000);
            show("heartbeat blocking at end", s, List.of(crc.get(0), "SET @master_heartbeat_period = 200000000"), new ComBinlogDump(size2, 0, 77, f2), false, 4, 1500);
            show("heartbeat flag2", s, List.of(crc.get(0), "SET @master_heartbeat_period = 200000000"), new ComBinlogDump(size2, 2, 77, f2), false, 4, 1500);
            show("server id 0", s, crc, new ComBinlogDump(size2, 0, 0, f2), false, 100, 2000);
            String uuid = s.serverUuid();
            show("gtid 1-4", s, crc, new ComBinlogDumpGtid(1 | 4, 77, "", 4, MySqlGtidSet.parse(uuid + ":1-4").encode()), false, 100, 2000);
            show("gtid 1-3 hole", s, crc, new ComBinlogDumpGtid(1 | 4, 77, "", 4, MySqlGtidSet.parse(uuid + ":1-2:4").encode()), false, 100, 2000);
            show("gtid all", s, crc, new ComBinlogDumpGtid(1 | 4, 77, "", 4, MySqlGtidSet.parse(uuid + ":1-7").encode()), false, 100, 2000);
            show("gtid nochecksum", s, List.of(), new ComBinlogDumpGtid(1 | 4, 77, "", 4, MySqlGtidSet.parse(uuid + ":1-4").encode()), false, 100, 2000);
            s.execute("PURGE BINARY LOGS TO '" + f2 + "'");
            show("gtid purged", s, crc, new ComBinlogDumpGtid(1 | 4, 77, "", 4, MySqlGtidSet.EMPTY.encode()), false, 100, 2000);
            show("file purged", s, crc, new ComBinlogDump(4, 1, 77, f1), false, 100, 2000);
        }
    }

    @Test
    void mariadb() {
        try (DbServer s = DbServer.start(ServerOptions.mariadb().semiSyncMaster(true).build())) {
            s.createReplicationUser("repl", "pw");
            workload(s);
            System.out.println(s.showBinaryLogs() + " id=" + s.serverId() + " pos=" + s.queryValue("SELECT @@gtid_binlog_pos"));
            String f1 = s.showBinaryLogs().get(0).name();
            String f2 = s.showBinaryLogs().get(1).name();
            String crc = "SET @master_binlog_checksum = @@global.binlog_checksum";
            String cap = "SET @mariadb_slave_capability = 4";
            show("full", s, List.of(crc, cap), new ComBinlogDump(4, 1, 77, ""), false, 100, 2000);
            show("cap0 f1", s, List.of(crc), new ComBinlogDump(4, 1, 77, f1), false, 100, 2000);
            show("nochecksum", s, List.of(cap), new ComBinlogDump(4, 1, 77, f2), false, 100, 2000);
            show("unknown file", s, List.of(crc, cap), new ComBinlogDump(4, 1, 77, "mysql-bin.000099"), false, 100, 2000);
            show("pos>size", s, List.of(crc, cap), new ComBinlogDump(100000, 1, 77, f2), false, 100, 2000);
            show("pos inside", s, List.of(crc, cap), new ComBinlogDump(330, 1, 77, f2), false, 100, 2000);
            long size2 = s.showBinaryLogs().get(1).size();
            show("mid file f2 first GTID", s, List.of(crc, cap), new ComBinlogDump(size2, 1, 77, f2), false, 100, 2000);
            var p = s.query("SHOW BINLOG EVENTS IN '" + f2 + "'");
            for (var row : p) System.out.println("   " + row);
            show("gtid 0-1-3", s, List.of(crc, cap, "SET @slave_connect_state='0-" + s.serverId() + "-3'"), new ComBinlogDump(4, 1, 77, ""), false, 100, 2000);
            show("gtid 0-1-4", s, List.of(crc, cap, "SET @slave_connect_state='0-" + s.serverId() + "-4'"), new ComBinlogDump(4, 1, 77, ""), false, 100, 2000);
            show("gtid 0-1-2", s, List.of(crc, cap, "SET @slave_connect_state='0-" + s.serverId() + "-2'"), new ComBinlogDump(4, 1, 77, ""), false, 100, 2000);
            show("gtid empty", s, List.of(crc, cap, "SET @slave_connect_state=''"), new ComBinlogDump(4, 1, 77, ""), false, 100, 2000);
            show("gtid missing", s, List.of(crc, cap, "SET @slave_connect_state='0-" + s.serverId() + "-99'"), new ComBinlogDump(4, 1, 77, ""), false, 100, 2000);
            show("gtid other domain", s, List.of(crc, cap, "SET @slave_connect_state='5-1-3'"), new ComBinlogDump(4, 1, 77, ""), false, 100, 2000);
            show("heartbeat", s, List.of(crc, cap, "SET @master_heartbeat_period = 200000000"), new ComBinlogDump(size2, 0, 77, f2), false, 4, 1500);
            show("semi", s, List.of(crc, cap, "SET @rpl_semi_sync_slave = 1"), new ComBinlogDump(4, 1, 77, f2), true, 100, 2000);
        }
    }
}
