package dev.binlogproxy.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.binlog.position.MySqlGtidSet;
import dev.binlogproxy.protocol.BlockingClient.Received;
import dev.binlogproxy.protocol.auth.Authenticator;
import dev.binlogproxy.protocol.packet.ComBinlogDump;
import dev.binlogproxy.protocol.packet.ComBinlogDumpGtid;
import dev.binlogproxy.protocol.packet.ComRegisterSlave;
import dev.binlogproxy.protocol.packet.EofPacket;
import dev.binlogproxy.protocol.packet.ErrPacket;
import dev.binlogproxy.protocol.packet.OkPacket;
import dev.binlogproxy.protocol.packet.WireMessage;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.Flavor;
import dev.binlogproxy.testkit.ServerOptions;

/**
 * COM_REGISTER_SLAVE and a non-blocking COM_BINLOG_DUMP (and MySQL's COM_BINLOG_DUMP_GTID) against real masters,
 * as a replication user: the stream starts with the fake ROTATE and the FORMAT_DESCRIPTION, carries every event of
 * the file byte for byte, and ends with an EOF because of BINLOG_DUMP_NON_BLOCK.
 */
@ExtendWith(NoLeaks.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class BinlogDumpTest {

    private static final int REPLICA_ID = 4242;

    private static BlockingClient replicaConnection(DbServer server, Flavor flavor) {
        server.createReplicationUser("repl", "repl-pw");
        BlockingClient client = BlockingClient.connect("127.0.0.1", server.port());
        client.login(Authenticator.builder("repl", "repl-pw").allowPublicKeyRetrieval(true).build(), null);
        // What replicas say before dumping: they take checksummed events (else MySQL refuses with CRC32 binlogs).
        client.query("SET @master_binlog_checksum = @@global.binlog_checksum");
        if (flavor == Flavor.MARIADB) {
            client.query("SET @mariadb_slave_capability = 4");
        }
        OkPacket ok = command(client, new ComRegisterSlave(REPLICA_ID, "127.0.0.1", "", "", 0, 0, 0));
        assertEquals(0, ok.affectedRows());
        return client;
    }

    private static OkPacket command(BlockingClient client, WireMessage message) {
        client.command(message);
        Received reply = client.read();
        assertEquals(1, reply.sequenceId());
        return OkPacket.decode(reply.buf());
    }

    /** The event packets up to the EOF, checking sequence ids continue from 1. */
    private static List<BinlogEvent> readUntilEof(BlockingClient client) {
        List<BinlogEvent> events = new ArrayList<>();
        for (int expectedSeq = 1; ; expectedSeq++) {
            Received r = client.read();
            assertEquals(expectedSeq & 0xFF, r.sequenceId(), "dump packets keep counting");
            if (EofPacket.isEof(r.buf())) {
                EofPacket.decode(r.buf());
                return events;
            }
            assertEquals(0x00, r.firstByte(), "event packet header");
            events.add(BinlogEvent.wrap(r.payload(), 1, r.payload().length - 1));
        }
    }

    /** Fake rotate to (file, 4), FDE, then exactly the file's events, ending at the file's size. */
    private static void assertWholeFile(DbServer server, String file, List<BinlogEvent> events) {
        BinlogEvent rotate = events.get(0);
        assertEquals(EventType.ROTATE, rotate.type());
        assertEquals(0, rotate.timestamp());
        assertEquals(0, rotate.logPos());
        assertTrue(rotate.hasFlag(EventFlags.ARTIFICIAL));
        Rotate r = Rotate.decode(rotate, ChecksumAlgorithm.CRC32);
        assertEquals(file, r.nextFile());
        assertEquals(4, r.position());

        BinlogEvent fde = events.get(1);
        assertEquals(EventType.FORMAT_DESCRIPTION, fde.type());
        assertEquals(4 + fde.eventSize(), fde.logPos());

        byte[] bytes = server.readBinlog(file);
        long end = fde.logPos();
        for (BinlogEvent e : events.subList(2, events.size())) {
            assertEquals(end + e.eventSize(), e.logPos(), "events follow each other: " + e);
            byte[] expected = Arrays.copyOfRange(bytes, (int) end, (int) e.logPos());
            assertArrayEquals(expected, e.toByteArray(), "event at " + end + " as in the file");
            end = e.logPos();
        }
        assertEquals(server.showBinaryLogs().get(0).size(), end, "the dump reached the end of the file");
    }

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void registerThenNonBlockingDumpFromTheFirstBinlog(Flavor flavor) {
        try (DbServer server = DbServer.start(ServerOptions.builder(flavor).build())) {
            server.execute("CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY)",
                    "INSERT INTO d.t VALUES (1), (2)");
            String first = server.showBinaryLogs().get(0).name();
            try (BlockingClient client = replicaConnection(server, flavor)) {
                // MariaDB leaves ANNOTATE_ROWS out unless asked (its meaning of flag 0x02); ask, to get the whole file.
                int flags = ComBinlogDump.BINLOG_DUMP_NON_BLOCK
                        | (flavor == Flavor.MARIADB ? ComBinlogDump.MARIADB_SEND_ANNOTATE_ROWS_EVENT : 0);
                client.command(new ComBinlogDump(4, flags, REPLICA_ID, first));
                List<BinlogEvent> events = readUntilEof(client);
                assertWholeFile(server, first, events);
                assertTrue(events.size() > 5, events.toString());
                // A dump is the connection's last command: after the EOF the server hangs up.
                assertTrue(client.awaitClosed(Duration.ofSeconds(10)), "server closed the connection after EOF");
            }
        }
    }

    @Test
    void mySqlGtidDumpWithAnEmptySetStreamsFromTheFirstBinlog() {
        try (DbServer server = DbServer.start(ServerOptions.mysql().build())) {
            server.execute("CREATE DATABASE d");
            String first = server.showBinaryLogs().get(0).name();
            try (BlockingClient client = replicaConnection(server, Flavor.MYSQL)) {
                client.command(new ComBinlogDumpGtid(ComBinlogDumpGtid.BINLOG_DUMP_NON_BLOCK
                        | ComBinlogDumpGtid.BINLOG_THROUGH_GTID, REPLICA_ID, "", 4, MySqlGtidSet.EMPTY.encode()));
                List<BinlogEvent> events = readUntilEof(client);
                assertWholeFile(server, first, events);
                assertEquals(EventType.PREVIOUS_GTIDS, events.get(2).type());
                assertTrue(events.stream().anyMatch(e -> e.type() == EventType.GTID));
            }
        }
    }

    @Test
    void dumpWithoutChecksumAgreementIsRefusedWithErr1236() {
        try (DbServer server = DbServer.start(ServerOptions.mysql().build())) {
            server.createReplicationUser("repl", "repl-pw");
            String first = server.showBinaryLogs().get(0).name();
            try (BlockingClient client = BlockingClient.connect("127.0.0.1", server.port())) {
                client.login(Authenticator.builder("repl", "repl-pw").allowPublicKeyRetrieval(true).build(), null);
                client.command(new ComBinlogDump(4, ComBinlogDump.BINLOG_DUMP_NON_BLOCK, REPLICA_ID, first));
                // mysqld 8.0.15 still sends its fake ROTATE (without CRC) and only then the error.
                Received rotate = client.read();
                assertEquals(0x00, rotate.firstByte());
                BinlogEvent event = BinlogEvent.wrap(rotate.payload(), 1, rotate.payload().length - 1);
                assertEquals(EventType.ROTATE, event.type());
                assertEquals(first, Rotate.decode(event, ChecksumAlgorithm.OFF).nextFile());
                Received r = client.read();
                assertEquals(2, r.sequenceId());
                MySqlProtocolException e = ErrPacket.decode(r.buf()).toException();
                assertEquals(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, e.errorCode());
                assertEquals("HY000", e.sqlState());
                assertTrue(e.serverMessage().contains("checksum"), e.serverMessage());
            }
        }
    }
}
