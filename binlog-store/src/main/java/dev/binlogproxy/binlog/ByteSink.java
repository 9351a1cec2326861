package dev.binlogproxy.binlog;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Little-endian writer for event bodies; the counterpart of {@link Bytes}. */
public final class ByteSink {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);

    public ByteSink u8(int v) {
        out.write(v);
        return this;
    }

    public ByteSink u16(int v) {
        return uint(v, 2);
    }

    public ByteSink u32(long v) {
        return uint(v, 4);
    }

    public ByteSink u64(long v) {
        return uint(v, 8);
    }

    public ByteSink uint(long v, int n) {
        for (int i = 0; i < n; i++) {
            out.write((int) (v >>> (8 * i)) & 0xFF);
        }
        return this;
    }

    public ByteSink packedInt(long v) {
        if (v >= 0 && v < 251) {
            return u8((int) v);
        } else if (v >= 0 && v < (1 << 16)) {
            return u8(0xFC).uint(v, 2);
        } else if (v >= 0 && v < (1 << 24)) {
            return u8(0xFD).uint(v, 3);
        }
        return u8(0xFE).u64(v);
    }

    public ByteSink bytes(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    public ByteSink utf8(String s) {
        return bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    public ByteSink latin1(String s) {
        return bytes(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    public int size() {
        return out.size();
    }

    public byte[] toByteArray() {
        return out.toByteArray();
    }
}
