package dev.binlogproxy.binlog.event;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ByteSink;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventChecksum;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;
import dev.binlogproxy.binlog.txn.EventRole;
import dev.binlogproxy.binlog.txn.TransactionTracker;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Events a master generates on the wire (never in files) and event types 8.0.15 cannot produce. */
class GeneratedEventsTest {
    @Test
    void fakeRotateHasTheMastersLayout() {
        byte[] e = Rotate.artificial(7, "mysql-bin.000003", 4).encode(ChecksumAlgorithm.OFF);
        // timestamp 0, type 4, server_id 7, size 19+8+16, log_pos 0, flags ARTIFICIAL; position 4; name
        assertEquals("00000000" + "04" + "07000000" + "2b000000" + "00000000" + "2000" + "0400000000000000"
                + HexFormat.of().formatHex("mysql-bin.000003".getBytes()), HexFormat.of().formatHex(e));
        byte[] withCrc = Rotate.artificial(7, "mysql-bin.000003", 4).encode(ChecksumAlgorithm.CRC32);
        assertTrue(EventChecksum.matches(BinlogEvent.wrap(withCrc), ChecksumAlgorithm.CRC32));
        Rotate back = Rotate.decode(BinlogEvent.wrap(withCrc), ChecksumAlgorithm.CRC32);
        assertTrue(back.isArtificial());
        assertEquals("mysql-bin.000003", back.nextFile());
    }

    @Test
    void heartbeatCarriesFileAndPosition() {
        byte[] e = Heartbeat.of(3, "mysql-bin.000009", 123456).encode(ChecksumAlgorithm.CRC32);
        BinlogEvent ev = BinlogEvent.wrap(e);
        assertEquals(EventType.HEARTBEAT, ev.type());
        assertEquals(0, ev.flags(), "masters send heartbeats with flags 0");
        assertEquals(0, ev.timestamp());
        Heartbeat h = Heartbeat.decode(ev, ChecksumAlgorithm.CRC32);
        assertEquals(123456, h.position());
        assertEquals("mysql-bin.000009", h.logFile());
        assertArrayEquals(e, h.encode(ChecksumAlgorithm.CRC32));
    }

    @Test
    void heartbeatV2CarriesPositionsPast4GiB() {
        byte[] e = HeartbeatV2.of(5, "binlog.000007", 5_000_000_000L).encode(ChecksumAlgorithm.CRC32);
        BinlogEvent ev = BinlogEvent.wrap(e);
        assertEquals(EventType.HEARTBEAT_V2, ev.type());
        assertEquals(0, ev.logPos());
        assertTrue(EventChecksum.matches(ev, ChecksumAlgorithm.CRC32));
        // type 1, length 13, name; type 2, length 9, 0xFE + 8-byte position; end mark 0
        assertEquals("010d" + HexFormat.of().formatHex("binlog.000007".getBytes()) + "0209fe" + "00f2052a01000000"
                + "00", HexFormat.of().formatHex(java.util.Arrays.copyOfRange(e, 19, e.length - 4)));
        HeartbeatV2 back = HeartbeatV2.decode(ev, ChecksumAlgorithm.CRC32);
        assertEquals("binlog.000007", back.logFile());
        assertEquals(5_000_000_000L, back.position());
        assertArrayEquals(e, back.encode(ChecksumAlgorithm.CRC32));
    }

    @Test
    void heartbeatV2WithoutItsPositionIsRefused() {
        byte[] body = new ByteSink().packedInt(1).packedInt(1).latin1("f").packedInt(0).toByteArray();
        BinlogEvent ev = BinlogEvent.wrap(EventEncoder.encode(new EventHeader(0, EventType.HEARTBEAT_V2.code(), 1, 0,
                0), body, ChecksumAlgorithm.OFF));
        assertThrows(MalformedEventException.class, () -> HeartbeatV2.decode(ev, ChecksumAlgorithm.OFF));
    }

    @Test
    void headerReadOnItsOwnMatchesTheEventView() {
        byte[] e = Heartbeat.of(77, "mysql-bin.000001", 4096).encode(ChecksumAlgorithm.CRC32);
        EventHeader h = EventHeader.read(java.util.Arrays.copyOf(e, BinlogEvent.HEADER_LENGTH));
        assertEquals(EventHeader.of(BinlogEvent.wrap(e)), h);
        assertEquals(EventType.QUERY.code(), h.withTypeCode(EventType.QUERY.code()).typeCode());
        assertThrows(IllegalArgumentException.class, () -> EventHeader.read(new byte[18]));
    }

    @Test
    void fakeGtidListIsArtificial() {
        java.util.List<dev.binlogproxy.binlog.position.MariaGtid> state = java.util.List.of(
                new dev.binlogproxy.binlog.position.MariaGtid(0, 21, 9));
        byte[] e = MariaGtidList.artificial(21, 1234, state).encode(ChecksumAlgorithm.CRC32);
        MariaGtidList back = MariaGtidList.decode(BinlogEvent.wrap(e), ChecksumAlgorithm.CRC32);
        assertEquals(EventFlags.ARTIFICIAL, back.header().flags());
        assertEquals(0, back.header().timestamp());
        assertEquals(1234, back.header().logPos());
        assertEquals(state, back.gtids());
    }

    /** What both masters send for a NONE binlog's FDE they rewrite: the new fields, the file's old CRC. */
    @Test
    void rewrittenFormatDescriptionCanKeepItsSourcesCrc() {
        FormatDescription source = new FormatDescription(new EventHeader(1700000000L,
                EventType.FORMAT_DESCRIPTION.code(), 1, 124, EventFlags.BINLOG_IN_USE), 4, "8.0.15", 1700000000L, 19,
                new byte[40], true, ChecksumAlgorithm.OFF);
        FormatDescription rewritten = source.withHeader(source.header().withLogPos(0).withFlags(0))
                .withCreateTimestamp(0);
        byte[] fresh = rewritten.encode();
        byte[] stale = rewritten.encodeWithCrcOf(source);
        assertEquals(BinlogEvent.wrap(source.encode()).storedChecksum(), BinlogEvent.wrap(stale).storedChecksum());
        assertTrue(FormatDescription.checksumMatches(BinlogEvent.wrap(fresh)));
        assertTrue(!FormatDescription.checksumMatches(BinlogEvent.wrap(stale)), "the source's CRC is stale here");
        assertArrayEquals(java.util.Arrays.copyOf(fresh, fresh.length - 4),
                java.util.Arrays.copyOf(stale, stale.length - 4));
        assertEquals(rewritten, FormatDescription.decode(BinlogEvent.wrap(stale)));
    }

    private static byte[] payloadEvent(long declaredSize, int compression, byte[] payload) {
        ByteSink body = new ByteSink()
                .packedInt(1).packedInt(new ByteSink().packedInt(declaredSize).size()).packedInt(declaredSize)
                .packedInt(2).packedInt(1).packedInt(compression)
                .packedInt(3).packedInt(new ByteSink().packedInt(70000).size()).packedInt(70000)
                .packedInt(0).bytes(payload);
        return EventEncoder.encode(new EventHeader(1, EventType.TRANSACTION_PAYLOAD.code(), 1, 0, 0),
                body.toByteArray(), ChecksumAlgorithm.CRC32);
    }

    @Test
    void transactionPayloadIsAWholeTransactionAfterItsGtid() {
        byte[] payload = new byte[300];
        TransactionPayload p = TransactionPayload.decode(BinlogEvent.wrap(payloadEvent(300, 0, payload)),
                ChecksumAlgorithm.CRC32);
        assertEquals(300, p.payloadSize());
        assertEquals(0, p.compressionType());
        assertEquals(70000, p.uncompressedSize());

        TransactionTracker t = new TransactionTracker(dev.binlogproxy.binlog.BinlogFlavor.MYSQL, ChecksumAlgorithm.CRC32);
        byte[] gtid = new MySqlGtidEvent(new EventHeader(1, EventType.GTID.code(), 1, 0, 0), 1,
                java.util.UUID.randomUUID(), 5, true, 0, 1, 1, 1, 400, 80020, 80020, new byte[0])
                .encode(ChecksumAlgorithm.CRC32);
        assertEquals(EventRole.START, t.accept(BinlogEvent.wrap(gtid)));
        assertEquals(EventRole.END, t.accept(BinlogEvent.wrap(payloadEvent(300, 0, payload))));
        assertEquals(1, t.completedTransactions());
    }

    @Test
    void transactionPayloadWithAWrongSizeIsRefused() {
        MalformedEventException e = assertThrows(MalformedEventException.class, () -> TransactionPayload.decode(
                BinlogEvent.wrap(payloadEvent(301, 0, new byte[300])), ChecksumAlgorithm.CRC32));
        assertTrue(e.getMessage().contains("payload size 301 but 300 bytes follow"), e.getMessage());
    }

    @Test
    void mysqlGtidWithDistinctOriginalFieldsRoundTrips() {
        MySqlGtidEvent g = new MySqlGtidEvent(new EventHeader(1, EventType.GTID.code(), 2, 0, 0), 1,
                java.util.UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562"), 77, true, 10, 11,
                1_700_000_000_123_456L, 1_600_000_000_000_001L, 1234, 80015, 50730, new byte[0]);
        byte[] bytes = g.encode(ChecksumAlgorithm.CRC32);
        assertEquals(g, MySqlGtidEvent.decode(BinlogEvent.wrap(bytes), ChecksumAlgorithm.CRC32));
    }
}
