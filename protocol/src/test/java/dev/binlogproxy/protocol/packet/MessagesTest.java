package dev.binlogproxy.protocol.packet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import dev.binlogproxy.binlog.position.MySqlGtidSet;
import dev.binlogproxy.protocol.Capabilities;
import dev.binlogproxy.protocol.MalformedPacketException;
import dev.binlogproxy.protocol.MySqlProtocolException;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

/** Every message: decode(encode(m)) equals m and re-encodes to the same bytes; bad bytes only ever fail typed. */
class MessagesTest {

    private static final byte[] SCRAMBLE = "abcdefghijklmnopqrst".getBytes();

    private static <T extends WireMessage> T roundTrip(T message, Function<ByteBuf, T> decoder) {
        byte[] bytes = message.toByteArray();
        ByteBuf in = Unpooled.wrappedBuffer(bytes);
        T decoded = decoder.apply(in);
        assertEquals(0, in.readableBytes(), "decoder consumed the whole payload of " + message);
        assertEquals(message, decoded);
        assertArrayEquals(bytes, decoded.toByteArray(), "re-encoded bytes of " + message);
        return decoded;
    }

    @Test
    void handshakeV10MySqlAndMariaDbShapes() {
        long mysqlCaps = 0xC3FFFFFFL & ~Capabilities.CLIENT_SSL;
        HandshakeV10 mysql = roundTrip(new HandshakeV10("8.0.15", 42, SCRAMBLE, mysqlCaps, 255, 2,
                "caching_sha2_password"), HandshakeV10::decode);
        assertFalse(mysql.isMariaDb());
        assertEquals(0, mysql.mariaDbExtendedCapabilities());

        long mariaCaps = Capabilities.combine(0x81FFF7FE, 0x1D);
        HandshakeV10 maria = roundTrip(new HandshakeV10("5.5.5-10.11.6-MariaDB-log", 7, SCRAMBLE, mariaCaps, 8, 2,
                "mysql_native_password"), HandshakeV10::decode);
        assertTrue(maria.isMariaDb());
        assertEquals("10.11.6-MariaDB-log", maria.displayVersion());
        assertEquals(0x1D, maria.mariaDbExtendedCapabilities());
        assertTrue(maria.hasCapability(Capabilities.MARIADB_CLIENT_CACHE_METADATA));
        assertArrayEquals(SCRAMBLE, maria.scramble());

        assertThrows(IllegalArgumentException.class, () -> new HandshakeV10("x", 1, SCRAMBLE,
                Capabilities.combine(0xFFFF, 1), 8, 2, "p"), "extended bits need CLIENT_MYSQL cleared");
        assertThrows(MalformedPacketException.class,
                () -> HandshakeV10.decode(Unpooled.wrappedBuffer(new byte[] {9, 0})));
    }

    @Test
    void handshakeResponse41Variants() {
        long base = Capabilities.REPLICA_CLIENT_DEFAULT;
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("_client_name", "binlog-proxy");
        attrs.put("_os", "x".repeat(300));
        roundTrip(new HandshakeResponse41(base, 1 << 30, 45, "repl", new byte[20], null,
                "mysql_native_password", Map.of()), HandshakeResponse41::decode);
        long full = base | Capabilities.CLIENT_CONNECT_WITH_DB | Capabilities.CLIENT_CONNECT_ATTRS;
        roundTrip(new HandshakeResponse41(full, 16_777_216, 255, "u", new byte[300], "db", "caching_sha2_password",
                attrs), HandshakeResponse41::decode);
        // Old-style 1-byte auth length, no plugin name.
        long old = Capabilities.CLIENT_LONG_PASSWORD | Capabilities.CLIENT_PROTOCOL_41
                | Capabilities.CLIENT_SECURE_CONNECTION;
        roundTrip(new HandshakeResponse41(old, 0, 33, "u", new byte[20], null, null, null),
                HandshakeResponse41::decode);
        // A MariaDB-aware client: CLIENT_MYSQL cleared, extended bits in the filler.
        long maria = Capabilities.combine((int) (base & ~Capabilities.CLIENT_MYSQL), 0x04);
        HandshakeResponse41 r = roundTrip(new HandshakeResponse41(maria, 1024, 8, "u", new byte[0], null,
                "mysql_native_password", null), HandshakeResponse41::decode);
        assertTrue(r.hasCapability(Capabilities.MARIADB_CLIENT_STMT_BULK_OPERATIONS));

        assertThrows(IllegalArgumentException.class, () -> new HandshakeResponse41(base, 0, 8, "u", new byte[0],
                "db", "p", null), "database without CONNECT_WITH_DB");
    }

    @Test
    void sslRequestIsTheFirst32BytesOfTheResponse() {
        long caps = Capabilities.REPLICA_CLIENT_DEFAULT | Capabilities.CLIENT_SSL;
        SslRequest ssl = roundTrip(new SslRequest(caps, 1 << 30, 45), SslRequest::decode);
        byte[] response = new HandshakeResponse41(caps, 1 << 30, 45, "u", new byte[20], null, "p", null)
                .toByteArray();
        byte[] head = new byte[32];
        System.arraycopy(response, 0, head, 0, 32);
        assertArrayEquals(head, ssl.toByteArray());
        assertTrue(SslRequest.isSslRequest(Unpooled.wrappedBuffer(ssl.toByteArray())));
        assertFalse(SslRequest.isSslRequest(Unpooled.wrappedBuffer(response)));
    }

    @Test
    void authPackets() {
        AuthSwitchRequest sw = roundTrip(AuthSwitchRequest.withScramble("mysql_native_password", SCRAMBLE),
                AuthSwitchRequest::decode);
        assertEquals(21, sw.pluginData().length);
        assertEquals(0, sw.pluginData()[20], "trailing NUL as mysqld sends it");
        assertArrayEquals(SCRAMBLE, sw.scramble());
        AuthMoreData fast = roundTrip(new AuthMoreData(new byte[] {3}), AuthMoreData::decode);
        assertTrue(fast.isStatus(AuthMoreData.FAST_AUTH_SUCCESS));
        assertFalse(fast.isStatus(AuthMoreData.PERFORM_FULL_AUTHENTICATION));
    }

    @Test
    void okErrEof() {
        roundTrip(OkPacket.of(), OkPacket::decode);
        roundTrip(new OkPacket(0, 2, 300, 0x22, 1, "Rows matched: 2  Changed: 2  Warnings: 0"), OkPacket::decode);
        OkPacket end = roundTrip(OkPacket.endOfResultSet(2, 0), OkPacket::decode);
        assertTrue(end.isEndOfResultSet());
        // Info as "rest of packet", which the protocol pages describe, reads too.
        OkPacket restInfo = OkPacket.decode(Unpooled.wrappedBuffer(
                concat(ByteBufUtil.decodeHexDump("00000002000000"), "hello".getBytes())));
        assertEquals("hello", restInfo.info());

        ErrPacket err = roundTrip(new ErrPacket(1045, "28000", "Access denied for user 'x'@'h'"), ErrPacket::decode);
        MySqlProtocolException e = err.toException();
        assertEquals(1045, e.errorCode());
        assertEquals("28000", e.sqlState());
        assertEquals("Access denied for user 'x'@'h'", e.serverMessage());
        assertEquals("ERROR 1045 (28000): Access denied for user 'x'@'h'", e.getMessage());
        assertEquals(err, ErrPacket.of(e));
        ErrPacket noState = roundTrip(new ErrPacket(1130, null, "Host 'h' is not allowed"), ErrPacket::decode);
        assertNull(noState.sqlState());
        assertEquals("HY000", noState.toException().sqlState());

        EofPacket eof = roundTrip(new EofPacket(1, 0x22), EofPacket::decode);
        assertEquals(5, eof.toByteArray().length);
        assertTrue(EofPacket.isEof(Unpooled.wrappedBuffer(eof.toByteArray())));
        assertFalse(EofPacket.isEof(Unpooled.wrappedBuffer(new byte[] {(byte) 0xFE, 0, 0, 0, 0, 0, 0, 0, 0})));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void replicationCommands() {
        roundTrip(new ComQuery("SELECT @@server_id, 'é'"), ComQuery::decode);
        ComRegisterSlave reg = roundTrip(new ComRegisterSlave(4_000_000_000L, "127.0.0.1", "repl", "secret", 3306, 0,
                0), ComRegisterSlave::decode);
        assertFalse(reg.toString().contains("secret"));
        ComBinlogDump dump = roundTrip(new ComBinlogDump(4, ComBinlogDump.BINLOG_DUMP_NON_BLOCK, 77,
                "mysql-bin.000001"), ComBinlogDump::decode);
        assertTrue(dump.nonBlocking());
        assertFalse(new ComBinlogDump(4, 0, 77, "").nonBlocking());
        assertTrue(new ComBinlogDump(4, 0, 0, "").nonBlocking(), "server id 0 implies non-blocking");

        MySqlGtidSet gtids = MySqlGtidSet.parse("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:11-18");
        ComBinlogDumpGtid gtidDump = roundTrip(new ComBinlogDumpGtid(ComBinlogDumpGtid.BINLOG_THROUGH_GTID, 77, "",
                4, gtids.encode()), ComBinlogDumpGtid::decode);
        assertEquals(gtids, MySqlGtidSet.decode(gtidDump.gtidSet()));
        // Layout by hand: 1 + 2 + 4 + 4 + 0 + 8 + 4 + data.
        assertEquals(23 + gtids.encodedLength(), gtidDump.toByteArray().length);

        SemiSyncAck ack = roundTrip(new SemiSyncAck(1234, "mysql-bin.000002"), SemiSyncAck::decode);
        byte[] bytes = ack.toByteArray();
        assertEquals(0xEF, bytes[0] & 0xFF);
        assertEquals(1234, Unpooled.wrappedBuffer(bytes).getLongLE(1));
    }

    @Test
    void columnDefinition() {
        roundTrip(ColumnDefinition41.varString("Log_name"), ColumnDefinition41::decode);
        roundTrip(new ColumnDefinition41("def", "mysql", "u", "user", "User", "User", 45, 128, 0xFE, 0x4083, 0),
                ColumnDefinition41::decode);
    }

    /** Peer payloads, truncated or mutated: a decoder returns or throws MalformedPacketException, nothing else. */
    @Test
    void damagedPayloadsFailOnlyAsMalformedPackets() {
        Map<byte[], Function<ByteBuf, ?>> samples = new LinkedHashMap<>();
        samples.put(new HandshakeV10("8.0.15", 42, SCRAMBLE, 0xC3FFFFFFL, 255, 2, "caching_sha2_password")
                .toByteArray(), HandshakeV10::decode);
        samples.put(new HandshakeResponse41(Capabilities.REPLICA_CLIENT_DEFAULT | Capabilities.CLIENT_CONNECT_ATTRS
                | Capabilities.CLIENT_CONNECT_WITH_DB, 0, 45, "u", new byte[20], "d", "p", Map.of("a", "b"))
                .toByteArray(), HandshakeResponse41::decode);
        samples.put(AuthSwitchRequest.withScramble("p", SCRAMBLE).toByteArray(), AuthSwitchRequest::decode);
        samples.put(new OkPacket(0, 300, 70000, 2, 0, "info").toByteArray(), OkPacket::decode);
        samples.put(new ErrPacket(1045, "28000", "denied").toByteArray(), ErrPacket::decode);
        samples.put(new EofPacket(0, 2).toByteArray(), EofPacket::decode);
        samples.put(new ComRegisterSlave(1, "h", "u", "p", 1, 0, 0).toByteArray(), ComRegisterSlave::decode);
        samples.put(new ComBinlogDump(4, 1, 2, "f").toByteArray(), ComBinlogDump::decode);
        samples.put(new ComBinlogDumpGtid(4, 2, "f", 4, new byte[8]).toByteArray(), ComBinlogDumpGtid::decode);
        samples.put(new SemiSyncAck(4, "f").toByteArray(), SemiSyncAck::decode);
        samples.put(ColumnDefinition41.varString("c").toByteArray(), ColumnDefinition41::decode);
        Random random = new Random(7);
        for (Map.Entry<byte[], Function<ByteBuf, ?>> e : samples.entrySet()) {
            byte[] full = e.getKey();
            for (int cut = 0; cut < full.length; cut++) {
                tryDecode(e.getValue(), Arrays.copyOf(full, cut));
            }
            for (int i = 0; i < 2000; i++) {
                byte[] mutated = full.clone();
                int flips = 1 + random.nextInt(3);
                for (int f = 0; f < flips; f++) {
                    mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
                }
                tryDecode(e.getValue(), mutated);
            }
        }
    }

    private static void tryDecode(Function<ByteBuf, ?> decoder, byte[] bytes) {
        try {
            decoder.apply(Unpooled.wrappedBuffer(bytes));
        } catch (MalformedPacketException expected) {
            // fine
        } catch (RuntimeException e) {
            throw new AssertionError("decoding " + ByteBufUtil.hexDump(bytes) + " threw " + e, e);
        }
    }

    @Test
    void textResultSetRejectsRowsOfTheWrongWidth() {
        assertThrows(IllegalArgumentException.class,
                () -> TextResultSet.of(List.of("a", "b"), List.of(List.of("1"))));
    }
}
