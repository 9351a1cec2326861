package dev.binlogproxy.binlog;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;

/**
 * The one place that computes and checks binlog CRC32 trailers.
 *
 * <p>Two server behaviours, seen on MySQL 8.0.15 and MariaDB 10.11 (see the fixtures), shape this class:
 * <ul>
 *   <li>A Format_description always carries a CRC trailer when it is checksum-aware (server 5.6.1+), even in a
 *       file whose algorithm is NONE.</li>
 *   <li>The FDE of an open file has BINLOG_IN_USE set, but its CRC is computed over the bytes with that flag
 *       clear: the server clears the flag in place when it closes the file, and the CRC then matches.</li>
 * </ul>
 */
public final class EventChecksum {
    private EventChecksum() {
    }

    /** CRC32 of {@code length} bytes of {@code buf} starting at absolute index {@code from}. */
    private static int crc32(ByteBuffer buf, int from, int length) {
        CRC32 crc = new CRC32();
        update(crc, buf, from, length);
        return (int) crc.getValue();
    }

    private static void update(CRC32 crc, ByteBuffer buf, int from, int length) {
        if (buf.hasArray()) {
            crc.update(buf.array(), buf.arrayOffset() + from, length);
        } else {
            crc.update(buf.duplicate().limit(from + length).position(from));
        }
    }

    /** The CRC the event's trailer should hold (FDE rule included). */
    public static int expected(BinlogEvent event) {
        ByteBuffer b = event.raw();
        int len = event.eventSize() - 4;
        if (event.typeCode() == EventType.FORMAT_DESCRIPTION.code() && event.hasFlag(EventFlags.BINLOG_IN_USE)) {
            CRC32 crc = new CRC32();
            update(crc, b, 0, BinlogEvent.FLAGS_OFFSET);
            crc.update((byte) (event.flags() & ~EventFlags.BINLOG_IN_USE));
            update(crc, b, BinlogEvent.FLAGS_OFFSET + 1, len - BinlogEvent.FLAGS_OFFSET - 1);
            return (int) crc.getValue();
        }
        return crc32(b, 0, len);
    }

    /**
     * Whether the event's checksum is right under the file's algorithm. FDEs are checked by
     * {@code FormatDescription} (they are checksummed regardless of the algorithm); here an FDE is checked only
     * when the algorithm is CRC32.
     */
    public static boolean matches(BinlogEvent event, ChecksumAlgorithm algorithm) {
        if (algorithm == ChecksumAlgorithm.OFF) {
            return true;
        }
        if (event.eventSize() < BinlogEvent.HEADER_LENGTH + 4) {
            return false;
        }
        return event.storedChecksum() == expected(event);
    }

    /**
     * Writes the CRC trailer of the event occupying {@code bytes[offset, offset + size)} in place, following the
     * FDE rule. Every rewrite of event bytes (fake events, cleared flags, rewritten positions) goes through here.
     */
    public static void writeTrailer(byte[] bytes, int offset, int size) {
        BinlogEvent view = BinlogEvent.wrap(bytes, offset, size);
        int crc = expected(view);
        ByteBuffer.wrap(bytes, offset, size).order(ByteOrder.LITTLE_ENDIAN).putInt(offset + size - 4, crc);
    }
}
