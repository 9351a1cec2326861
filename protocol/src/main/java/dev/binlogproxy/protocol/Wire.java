package dev.binlogproxy.protocol;

import java.nio.charset.StandardCharsets;

import io.netty.buffer.ByteBuf;

/**
 * The protocol's basic data types over a payload {@link ByteBuf}: little-endian fixed integers, length-encoded
 * integers and strings, NUL-terminated and rest-of-packet strings. Every read checks bounds first and throws
 * {@link MalformedPacketException} naming the field, never {@link IndexOutOfBoundsException}: payloads come from
 * peers. Strings are UTF-8 (connections run with utf8mb4); binary fields have {@code byte[]} variants.
 *
 * <p>See https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_dt_integers.html and
 * {@code page_protocol_basic_dt_strings.html}.
 */
public final class Wire {

    /** First byte of a length-encoded value in a text row that stands for SQL NULL. */
    public static final int NULL_VALUE = 0xFB;

    private Wire() {
    }

    public static void require(ByteBuf buf, int bytes, String field) {
        if (buf.readableBytes() < bytes) {
            throw new MalformedPacketException(field + ": needs " + bytes + " bytes, " + buf.readableBytes()
                    + " left");
        }
    }

    public static int readUInt8(ByteBuf buf, String field) {
        require(buf, 1, field);
        return buf.readUnsignedByte();
    }

    public static int readUInt16(ByteBuf buf, String field) {
        require(buf, 2, field);
        return buf.readUnsignedShortLE();
    }

    public static int readUInt24(ByteBuf buf, String field) {
        require(buf, 3, field);
        return buf.readUnsignedMediumLE();
    }

    public static long readUInt32(ByteBuf buf, String field) {
        require(buf, 4, field);
        return buf.readUnsignedIntLE();
    }

    /** An 8-byte integer; values above {@link Long#MAX_VALUE} come back negative (read them as unsigned). */
    public static long readInt64(ByteBuf buf, String field) {
        require(buf, 8, field);
        return buf.readLongLE();
    }

    /**
     * A length-encoded integer: < 0xFB in one byte, 0xFC + 2 bytes, 0xFD + 3, 0xFE + 8. 0xFB (NULL in rows) and 0xFF
     * (ERR header) are not integers and are refused.
     */
    public static long readLenencInt(ByteBuf buf, String field) {
        int first = readUInt8(buf, field);
        switch (first) {
            case 0xFC:
                return readUInt16(buf, field);
            case 0xFD:
                return readUInt24(buf, field);
            case 0xFE:
                return readInt64(buf, field);
            case 0xFB:
            case 0xFF:
                throw new MalformedPacketException(field + ": 0x" + Integer.toHexString(first)
                        + " is not a length-encoded integer");
            default:
                return first;
        }
    }

    public static void writeLenencInt(ByteBuf buf, long value) {
        if (value < 0) {
            // Unsigned 64-bit values above Long.MAX_VALUE; only the 9-byte form can hold them.
            buf.writeByte(0xFE).writeLongLE(value);
        } else if (value < 0xFB) {
            buf.writeByte((int) value);
        } else if (value < (1 << 16)) {
            buf.writeByte(0xFC).writeShortLE((int) value);
        } else if (value < (1 << 24)) {
            buf.writeByte(0xFD).writeMediumLE((int) value);
        } else {
            buf.writeByte(0xFE).writeLongLE(value);
        }
    }

    public static int lenencIntSize(long value) {
        if (value < 0) {
            return 9;
        } else if (value < 0xFB) {
            return 1;
        } else if (value < (1 << 16)) {
            return 3;
        } else if (value < (1 << 24)) {
            return 4;
        }
        return 9;
    }

    /** A length as an {@code int} that also fits in what is left of the payload. */
    private static int readLength(ByteBuf buf, String field) {
        long length = readLenencInt(buf, field);
        if (length < 0 || length > buf.readableBytes()) {
            throw new MalformedPacketException(field + ": length " + Long.toUnsignedString(length) + " but "
                    + buf.readableBytes() + " bytes left");
        }
        return (int) length;
    }

    public static byte[] readLenencBytes(ByteBuf buf, String field) {
        return readBytes(buf, readLength(buf, field), field);
    }

    public static String readLenencString(ByteBuf buf, String field) {
        int length = readLength(buf, field);
        String s = buf.toString(buf.readerIndex(), length, StandardCharsets.UTF_8);
        buf.skipBytes(length);
        return s;
    }

    public static void writeLenencBytes(ByteBuf buf, byte[] bytes) {
        writeLenencInt(buf, bytes.length);
        buf.writeBytes(bytes);
    }

    public static void writeLenencString(ByteBuf buf, String s) {
        writeLenencBytes(buf, utf8(s));
    }

    public static byte[] readBytes(ByteBuf buf, int length, String field) {
        require(buf, length, field);
        byte[] bytes = new byte[length];
        buf.readBytes(bytes);
        return bytes;
    }

    public static String readFixedString(ByteBuf buf, int length, String field) {
        return new String(readBytes(buf, length, field), StandardCharsets.UTF_8);
    }

    /** Bytes up to (not including) a NUL, which is consumed; a missing NUL is malformed. */
    public static byte[] readNulBytes(ByteBuf buf, String field) {
        int nul = buf.indexOf(buf.readerIndex(), buf.writerIndex(), (byte) 0);
        if (nul < 0) {
            throw new MalformedPacketException(field + ": no NUL terminator in the " + buf.readableBytes()
                    + " bytes left");
        }
        byte[] bytes = readBytes(buf, nul - buf.readerIndex(), field);
        buf.skipBytes(1);
        return bytes;
    }

    public static String readNulString(ByteBuf buf, String field) {
        return new String(readNulBytes(buf, field), StandardCharsets.UTF_8);
    }

    public static void writeNulString(ByteBuf buf, String s) {
        byte[] bytes = utf8(s);
        for (byte b : bytes) {
            if (b == 0) {
                throw new IllegalArgumentException("NUL inside a NUL-terminated string: " + s);
            }
        }
        buf.writeBytes(bytes).writeByte(0);
    }

    public static byte[] readRestBytes(ByteBuf buf) {
        return readBytes(buf, buf.readableBytes(), "rest");
    }

    public static String readRestString(ByteBuf buf) {
        String s = buf.toString(StandardCharsets.UTF_8);
        buf.skipBytes(buf.readableBytes());
        return s;
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
