package dev.binlogproxy.binlog.live;

import dev.binlogproxy.testkit.Workload;

import com.github.shyiko.mysql.binlog.BinaryLogFileReader;
import com.github.shyiko.mysql.binlog.event.Event;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.file.BinlogFileSummary;
import dev.binlogproxy.binlog.position.MariaGtidPosition;
import dev.binlogproxy.binlog.position.MySqlGtidSet;
import dev.binlogproxy.testkit.BinaryLog;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The file reader against binlogs that real servers write while a concurrent, varied workload runs, with files
 * rotated by size and by FLUSH BINARY LOGS: every file validates, the transactions it counts equal the
 * transactions the clients saw commit and the server's own GTID state, and mysql-binlog-connector-java reads the
 * same events.
 */
class LiveBinlogReaderTest {
    static Stream<Arguments> servers() {
        return Stream.of(
                Arguments.of("MySQL 8.0.15 GTID CRC32", ServerOptions.mysql().gtid(true).binlogChecksum("CRC32")
                        .maxBinlogSize(256 * 1024).build()),
                Arguments.of("MySQL 8.0.15 anonymous NONE", ServerOptions.mysql().gtid(false).binlogChecksum("NONE")
                        .maxBinlogSize(256 * 1024).build()),
                Arguments.of("MariaDB 10.11 CRC32", ServerOptions.mariadb().binlogChecksum("CRC32")
                        .maxBinlogSize(256 * 1024).build()),
                Arguments.of("MariaDB 10.11 NONE", ServerOptions.mariadb().binlogChecksum("NONE")
                        .maxBinlogSize(256 * 1024).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("servers")
    void readerCountsEveryCommittedTransaction(String name, ServerOptions options) throws Exception {
        try (DbServer server = DbServer.start(options)) {
            Workload workload = new Workload(server);
            workload.setUp();
            workload.run(4, 250, name.hashCode());

            List<BinaryLog> logs = server.showBinaryLogs();
            assertTrue(logs.size() >= 3, "the workload should rotate several times: " + logs);
            long counted = 0;
            Map<EventType, Long> types = new EnumMap<>(EventType.class);
            for (int i = 0; i < logs.size(); i++) {
                Path file = server.binlogFile(logs.get(i).name());
                BinlogFileSummary s = BinlogFileSummary.scan(file);
                assertTrue(s.isValid(), () -> file + ": " + s.damage());
                assertFalse(s.endsInTransaction(), file + " ends inside a transaction after every client finished");
                boolean last = i == logs.size() - 1;
                assertEquals(last, s.rotate().isEmpty(), file + ": every closed file ends with a ROTATE");
                assertEquals(logs.get(i).size(), s.validEnd(), file.toString());
                counted += s.transactions();
                s.eventsByType().forEach((t, n) -> types.merge(t, n, Long::sum));
                assertEquals(connectorEventCount(file), s.events(), file + ": events seen by the connector");
            }
            assertEquals(workload.committedTransactions(), counted, "transactions the clients saw commit");
            assertEquals(serverTransactionCount(server, types), counted, "transactions by the server's GTID state");
            assertTrue(types.getOrDefault(EventType.XA_PREPARE, 0L) > 0, "workload must include XA: " + types);
        }
    }

    /** MySQL counts GTIDs (or anonymous GTID events), MariaDB the sequence number of its only domain. */
    private static long serverTransactionCount(DbServer server, Map<EventType, Long> types) {
        if (Workload.isMysql(server)) {
            if (server.options().gtid()) {
                return MySqlGtidSet.parse(server.queryValue("SELECT @@GLOBAL.gtid_executed")).count();
            }
            return types.getOrDefault(EventType.ANONYMOUS_GTID, 0L);
        }
        return MariaGtidPosition.parse(server.queryValue("SELECT @@GLOBAL.gtid_binlog_pos")).gtidFor(0)
                .orElseThrow().seqNo();
    }

    private static long connectorEventCount(Path file) throws Exception {
        List<Event> events = new ArrayList<>();
        try (BinaryLogFileReader r = new BinaryLogFileReader(file.toFile())) {
            for (Event e = r.readEvent(); e != null; e = r.readEvent()) {
                events.add(e);
            }
        }
        return events.size();
    }
}
