package dev.binlogproxy.binlog;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The fields of a v4 event header other than event_size (which encoders compute). Immutable; used by typed events
 * so that decoding and re-encoding reproduce the original bytes exactly.
 */
public record EventHeader(long timestamp, int typeCode, long serverId, long logPos, int flags) {
    public EventHeader {
        if (typeCode < 0 || typeCode > 255) {
            throw new IllegalArgumentException("type code: " + typeCode + " (expected: 0..255)");
        }
        requireU32("timestamp", timestamp);
        requireU32("server_id", serverId);
        requireU32("log_pos", logPos);
        if (flags < 0 || flags > 0xFFFF) {
            throw new IllegalArgumentException("flags: " + flags + " (expected: 0..0xFFFF)");
        }
    }

    public static EventHeader of(BinlogEvent event) {
        return new EventHeader(event.timestamp(), event.typeCode(), event.serverId(), event.logPos(), event.flags());
    }

    /**
     * The fields of a header read on its own, before (or without) the body: the first {@link
     * BinlogEvent#HEADER_LENGTH} bytes of {@code bytes}; event_size is not among them.
     */
    public static EventHeader read(byte[] bytes) {
        if (bytes.length < BinlogEvent.HEADER_LENGTH) {
            throw new IllegalArgumentException("header: " + bytes.length + " bytes (expected: >= "
                    + BinlogEvent.HEADER_LENGTH + ")");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        return new EventHeader(Integer.toUnsignedLong(b.getInt(0)), Byte.toUnsignedInt(b.get(BinlogEvent.TYPE_OFFSET)),
                Integer.toUnsignedLong(b.getInt(BinlogEvent.SERVER_ID_OFFSET)),
                Integer.toUnsignedLong(b.getInt(BinlogEvent.LOG_POS_OFFSET)),
                Short.toUnsignedInt(b.getShort(BinlogEvent.FLAGS_OFFSET)));
    }

    public EventHeader withTypeCode(int newTypeCode) {
        return new EventHeader(timestamp, newTypeCode, serverId, logPos, flags);
    }

    public EventHeader withLogPos(long newLogPos) {
        return new EventHeader(timestamp, typeCode, serverId, newLogPos, flags);
    }

    public EventHeader withFlags(int newFlags) {
        return new EventHeader(timestamp, typeCode, serverId, logPos, newFlags);
    }

    private static void requireU32(String name, long v) {
        if (v < 0 || v > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(name + ": " + v + " (expected: 0..4294967295)");
        }
    }
}
