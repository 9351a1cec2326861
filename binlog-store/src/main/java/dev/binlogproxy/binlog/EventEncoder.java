package dev.binlogproxy.binlog;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Assembles header + body (+ CRC trailer) into event bytes; the only place events are built from fields. */
public final class EventEncoder {
    private EventEncoder() {
    }

    /**
     * @param withCrc whether to append a CRC32 trailer (for FDEs: whether the FDE is checksum-aware, which is
     *                independent of the algorithm it declares)
     */
    public static byte[] encode(EventHeader header, byte[] body, boolean withCrc) {
        byte[] out = layout(header, body, withCrc);
        if (withCrc) {
            EventChecksum.writeTrailer(out, 0, out.length);
        }
        return out;
    }

    public static byte[] encode(EventHeader header, byte[] body, ChecksumAlgorithm algorithm) {
        return encode(header, body, algorithm == ChecksumAlgorithm.CRC32);
    }

    /**
     * With a CRC trailer that is given, not computed: for a rewrite that must send the bytes a server sends, which
     * for one event (an FDE of a binlog without checksums, see {@code FormatDescription.encodeWithCrcOf}) keep the
     * trailer of the event before the rewrite.
     */
    public static byte[] encodeWithStoredCrc(EventHeader header, byte[] body, int crc) {
        byte[] out = layout(header, body, true);
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(out.length - 4, crc);
        return out;
    }

    /** Header and body, with room for a trailer if asked (left zero). */
    private static byte[] layout(EventHeader header, byte[] body, boolean withTrailer) {
        long size = (long) BinlogEvent.HEADER_LENGTH + body.length + (withTrailer ? 4 : 0);
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("event size: " + size + " (expected: <= " + (Integer.MAX_VALUE - 8) + ")");
        }
        byte[] out = new byte[(int) size];
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt((int) header.timestamp());
        b.put((byte) header.typeCode());
        b.putInt((int) header.serverId());
        b.putInt((int) size);
        b.putInt((int) header.logPos());
        b.putShort((short) header.flags());
        b.put(body);
        return out;
    }
}
