package dev.binlogproxy.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

class WireTest {

    private static byte[] hex(String hex) {
        return ByteBufUtil.decodeHexDump(hex.replace(" ", ""));
    }

    private static byte[] lenenc(long value) {
        ByteBuf out = Unpooled.buffer();
        Wire.writeLenencInt(out, value);
        assertEquals(Wire.lenencIntSize(value), out.readableBytes());
        byte[] bytes = ByteBufUtil.getBytes(out);
        assertEquals(value, Wire.readLenencInt(out, "x"));
        out.release();
        return bytes;
    }

    @Test
    void lengthEncodedIntegersUseTheShortestFormAtEachBoundary() {
        assertArrayEquals(hex("00"), lenenc(0));
        assertArrayEquals(hex("fa"), lenenc(250));
        assertArrayEquals(hex("fc fb00"), lenenc(251));
        assertArrayEquals(hex("fc ffff"), lenenc(0xFFFF));
        assertArrayEquals(hex("fd 000001"), lenenc(0x10000));
        assertArrayEquals(hex("fd ffffff"), lenenc(0xFFFFFF));
        assertArrayEquals(hex("fe 00000001 00000000"), lenenc(0x1000000));
        assertArrayEquals(hex("fe ffffffff ffffff7f"), lenenc(Long.MAX_VALUE));
        assertArrayEquals(hex("fe ffffffff ffffffff"), lenenc(-1)); // 2^64 - 1, unsigned
    }

    @Test
    void nullAndErrMarkersAreNotIntegers() {
        for (String marker : new String[] {"fb", "ff"}) {
            ByteBuf in = Unpooled.wrappedBuffer(hex(marker));
            MalformedPacketException e = assertThrows(MalformedPacketException.class,
                    () -> Wire.readLenencInt(in, "column count"));
            assertTrue(e.getMessage().contains("column count"), e.getMessage());
            assertEquals(1835, e.errorCode());
        }
    }

    @Test
    void truncatedValuesAreMalformedNotIndexErrors() {
        for (String hex : new String[] {"", "fc 01", "fd 0102", "fe 01020304050607"}) {
            ByteBuf in = Unpooled.wrappedBuffer(hex(hex));
            assertThrows(MalformedPacketException.class, () -> Wire.readLenencInt(in, "n"), hex);
        }
        assertThrows(MalformedPacketException.class,
                () -> Wire.readLenencString(Unpooled.wrappedBuffer(hex("05 616263")), "s"));
        assertThrows(MalformedPacketException.class,
                () -> Wire.readNulString(Unpooled.wrappedBuffer(hex("616263")), "s"));
        assertThrows(MalformedPacketException.class,
                () -> Wire.readUInt32(Unpooled.wrappedBuffer(hex("010203")), "i"));
    }

    @Test
    void stringsRoundTrip() {
        ByteBuf out = Unpooled.buffer();
        String long300 = "x".repeat(300);
        Wire.writeLenencString(out, "héllo");
        Wire.writeLenencString(out, long300);
        Wire.writeNulString(out, "mysql_native_password");
        out.writeBytes(Wire.utf8("rest"));
        assertEquals("héllo", Wire.readLenencString(out, "a"));
        assertEquals(long300, Wire.readLenencString(out, "b"));
        assertEquals("mysql_native_password", Wire.readNulString(out, "c"));
        assertEquals("rest", Wire.readRestString(out));
        assertEquals(0, out.readableBytes());
        out.release();
        assertThrows(IllegalArgumentException.class, () -> Wire.writeNulString(Unpooled.buffer(), "a\0b"));
    }
}
