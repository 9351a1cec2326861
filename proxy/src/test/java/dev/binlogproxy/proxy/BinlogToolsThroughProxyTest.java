package dev.binlogproxy.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;


import dev.binlogproxy.testkit.BinaryLog;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import dev.binlogproxy.testkit.Workload;

/**
 * Binlog tools nobody here wrote, streaming from the proxy as from the master: {@code mariadb-binlog
 * --read-from-remote-server --raw} writes files byte-identical to the master's, and mysql-binlog-connector-java
 * receives every event of every file at its real position, with checksums on and off.
 */
class BinlogToolsThroughProxyTest {
    @TempDir
    Path dir;

    @Test
    void mariadbBinlogRawCopiesAreByteIdentical() throws Exception {
        try (DbServer master = DbServer.start(ServerOptions.mariadb().maxBinlogSize(1 << 20).build())) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            Workload w = new Workload(master);
            w.setUp();
            w.run(3, 80, 21);
            master.execute("FLUSH BINARY LOGS");
            try (ServeHarness proxy = ServeHarness.start(master, dir, 9701, false)) {
                List<BinaryLog> logs = master.showBinaryLogs();
                assertTrue(logs.size() >= 3, logs.toString());
                Path out = ServeHarness.rawCopy(proxy.port(), logs.get(0).name(), dir.resolve("raw"));
                // every closed file (all but the master's current one) byte for byte
                for (BinaryLog log : logs.subList(0, logs.size() - 1)) {
                    byte[] theirs = master.readBinlog(log.name());
                    byte[] ours = Files.readAllBytes(out.resolve(log.name()));
                    assertEquals(theirs.length, ours.length, log.name());
                    assertArrayEquals(theirs, ours, log.name());
                }
            }
        }
    }

    /**
     * A backlog far behind the end is read through file mappings: its ~8 KB row events (~1 KB rows in 1 MB
     * transactions) are copied from the mapping into the send batch, its ~30 KB ones (one 30 KB row each) go to
     * the socket from the mapping without a copy (the in-place path). Still byte for byte, and the counters show
     * that both paths were taken.
     */
    @Test
    void aBacklogServedFromFileMappingsIsByteIdenticalToo() throws Exception {
        try (DbServer master = DbServer.start(ServerOptions.mariadb().maxBinlogSize(8 << 20).build())) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            master.execute("CREATE DATABASE big", "CREATE TABLE big.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, "
                    + "b VARBINARY(1000))", "CREATE TABLE big.l (id BIGINT AUTO_INCREMENT PRIMARY KEY, "
                    + "b VARBINARY(30000))");
            for (int i = 0; i < 24; i++) {
                master.execute("INSERT INTO big.l (b) SELECT REPEAT(CHAR(97 + seq % 26), 29000 + seq * 97) "
                        + "FROM big.seq_1_to_10");
                master.execute("INSERT INTO big.t (b) SELECT REPEAT(CHAR(65 + seq % 26), 900 + seq % 100) "
                        + "FROM big.seq_1_to_1000");
            }
            master.execute("FLUSH BINARY LOGS");
            try (ServeHarness proxy = ServeHarness.start(master, dir, 9703, false)) {
                List<BinaryLog> logs = master.showBinaryLogs();
                assertTrue(logs.size() >= 3, logs.toString());
                Path out = ServeHarness.rawCopy(proxy.port(), logs.get(0).name(), dir.resolve("raw-mapped"));
                for (BinaryLog log : logs.subList(0, logs.size() - 1)) {
                    assertEquals(-1, Files.mismatch(master.binlogFile(log.name()), out.resolve(log.name())),
                            log.name());
                }
                double mapped = proxy.registry.get("binlog_proxy_downstream_mapped_bytes").counter().count();
                double inPlace = proxy.registry.get("binlog_proxy_downstream_in_place_bytes").counter().count();
                assertTrue(mapped > 16 << 20, "bytes sent from mappings: " + mapped);
                assertTrue(inPlace > 1 << 20, "bytes sent in place from mappings: " + inPlace);
                assertTrue(mapped - inPlace > 8 << 20, "bytes copied from mappings: " + (mapped - inPlace));
            }
        }
    }

    @Test
    void connectorJavaGetsEveryEventAtItsPositionWithCrc32() throws Exception {
        connectorJava("CRC32");
    }

    @Test
    void connectorJavaGetsEveryEventAtItsPositionWithoutChecksums() throws Exception {
        connectorJava("NONE");
    }

    private void connectorJava(String checksum) throws Exception {
        ServerOptions options = ServerOptions.mysql().gtid(true).binlogChecksum(checksum).maxBinlogSize(1 << 20)
                .build();
        try (DbServer master = DbServer.start(options)) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            Workload w = new Workload(master);
            w.setUp();
            w.run(3, 60, 31);
            try (ServeHarness proxy = ServeHarness.start(master, dir, 9702, false)) {
                List<ConnectorTail.Seen> expected = ConnectorTail.eventsOf(master, type -> true);
                var end = master.masterStatus();
                try (ConnectorTail tail = ConnectorTail.start(proxy.port(), ServeHarness.REPL, ServeHarness.REPL_PW,
                        7702, master.showBinaryLogs().get(0).name())) {
                    tail.awaitReached(end.file(), end.position(), 60_000);
                    tail.assertSawExactly(expected);
                }
            }
        }
    }
}
