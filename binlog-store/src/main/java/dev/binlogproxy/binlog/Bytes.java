package dev.binlogproxy.binlog;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Bounds-checked little-endian reads for body decoders. Every read names the field it is for, so a malformed body
 * yields "GTID body truncated at byte 9: need 8 bytes for gno, 3 left" rather than an IndexOutOfBoundsException.
 */
public final class Bytes {
    private final ByteBuffer buf;
    private final String what;
    private int pos;

    public Bytes(ByteBuffer littleEndian, String what) {
        this.buf = littleEndian;
        this.what = what;
        this.pos = littleEndian.position();
    }

    public int position() {
        return pos - buf.position();
    }

    public int remaining() {
        return buf.limit() - pos;
    }

    private void need(int n, String field) {
        if (remaining() < n) {
            throw new MalformedEventException(what + " truncated at byte " + position() + ": need " + n
                    + " bytes for " + field + ", " + remaining() + " left");
        }
    }

    public int u8(String field) {
        need(1, field);
        return Byte.toUnsignedInt(buf.get(pos++));
    }

    public int u16(String field) {
        need(2, field);
        int v = Short.toUnsignedInt(buf.getShort(pos));
        pos += 2;
        return v;
    }

    public long u32(String field) {
        need(4, field);
        long v = Integer.toUnsignedLong(buf.getInt(pos));
        pos += 4;
        return v;
    }

    /** Unsigned little-endian integer of 1..8 bytes; 8-byte values may come back negative (read as unsigned). */
    public long uint(int n, String field) {
        need(n, field);
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (long) Byte.toUnsignedInt(buf.get(pos + i)) << (8 * i);
        }
        pos += n;
        return v;
    }

    public long u64(String field) {
        return uint(8, field);
    }

    /** MySQL's length-encoded ("packed") integer: < 251 in one byte, then 0xFC + 2, 0xFD + 3, 0xFE + 8. */
    public long packedInt(String field) {
        int first = u8(field);
        return switch (first) {
            case 0xFC -> uint(2, field);
            case 0xFD -> uint(3, field);
            case 0xFE -> uint(8, field);
            case 0xFB, 0xFF -> throw new MalformedEventException(what + ": invalid packed integer prefix 0x"
                    + Integer.toHexString(first) + " for " + field + " at byte " + (position() - 1));
            default -> first;
        };
    }

    public byte[] bytes(int n, String field) {
        if (n < 0) {
            throw new MalformedEventException(what + ": negative length " + n + " for " + field);
        }
        need(n, field);
        byte[] out = new byte[n];
        buf.get(pos, out);
        pos += n;
        return out;
    }

    public byte[] rest() {
        return bytes(remaining(), "rest");
    }

    public String string(int n, String field) {
        return new String(bytes(n, field), StandardCharsets.UTF_8);
    }

    /** Latin-1 keeps every byte value, for names that must round-trip exactly. */
    public String latin1(int n, String field) {
        return new String(bytes(n, field), StandardCharsets.ISO_8859_1);
    }

    public void skip(int n, String field) {
        need(n, field);
        pos += n;
    }

    public MalformedEventException malformed(String message) {
        return new MalformedEventException(what + ": " + message + " (at byte " + position() + ")");
    }
}
