package dev.binlogproxy.binlog;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A lazy, read-only view over the raw bytes of one binlog event (v4 header + body + optional checksum trailer).
 *
 * <p>The raw bytes are the source of truth: this class never copies or rewrites them. Construction checks the only
 * thing the header accessors rely on (at least 19 bytes, event_size equal to the bytes given), so header accessors
 * cannot fail; typed body views in {@code dev.binlogproxy.binlog.event} decode on demand and throw
 * {@link MalformedEventException} for bodies that do not fit their type.
 */
public final class BinlogEvent {
    /** Size of the v4 common header. */
    public static final int HEADER_LENGTH = 19;
    static final int TYPE_OFFSET = 4;
    static final int SERVER_ID_OFFSET = 5;
    static final int EVENT_SIZE_OFFSET = 9;
    static final int LOG_POS_OFFSET = 13;
    /** Offset of the 2-byte flags field; the FDE's IN_USE bit lives here. */
    public static final int FLAGS_OFFSET = 17;

    private final ByteBuffer buf;
    /**
     * The same bytes as {@link #buf}, not read-only: a read-only heap buffer hides its array and makes
     * CRC32.update copy through a temporary buffer (measured 2.5-3.3x slower). Never handed out.
     */
    private final ByteBuffer raw;

    private BinlogEvent(ByteBuffer raw) {
        this.raw = raw;
        this.buf = raw.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Package-private: the bytes for in-package readers that must not copy (checksums, keyword peeks). */
    ByteBuffer raw() {
        return raw;
    }

    /**
     * Views the bytes from {@code src.position()} to {@code src.limit()} as one event. The buffer's content must
     * not change while the view is used; its position and limit are not touched.
     */
    public static BinlogEvent wrap(ByteBuffer src) {
        ByteBuffer b = src.slice().order(ByteOrder.LITTLE_ENDIAN);
        int available = b.remaining();
        if (available < HEADER_LENGTH) {
            throw new MalformedEventException("event too short: " + available + " bytes (expected: >= "
                    + HEADER_LENGTH + ")");
        }
        long size = Integer.toUnsignedLong(b.getInt(EVENT_SIZE_OFFSET));
        if (size != available) {
            throw new MalformedEventException("event_size " + size + " does not match the " + available
                    + " bytes given (type " + Byte.toUnsignedInt(b.get(TYPE_OFFSET)) + ")");
        }
        return new BinlogEvent(b);
    }

    public static BinlogEvent wrap(byte[] bytes) {
        return wrap(ByteBuffer.wrap(bytes));
    }

    public static BinlogEvent wrap(byte[] bytes, int offset, int length) {
        return wrap(ByteBuffer.wrap(bytes, offset, length));
    }

    /** Reads event_size from a header without building a view; for framing code that must know how much to read. */
    public static long eventSizeOf(ByteBuffer header, int headerStart) {
        return Integer.toUnsignedLong(header.order(ByteOrder.LITTLE_ENDIAN).getInt(headerStart + EVENT_SIZE_OFFSET));
    }

    public long timestamp() {
        return Integer.toUnsignedLong(buf.getInt(0));
    }

    public int typeCode() {
        return Byte.toUnsignedInt(buf.get(TYPE_OFFSET));
    }

    public EventType type() {
        return EventType.of(typeCode());
    }

    public long serverId() {
        return Integer.toUnsignedLong(buf.getInt(SERVER_ID_OFFSET));
    }

    public int eventSize() {
        return buf.limit();
    }

    /** End offset of this event in its file (0 for artificial events and some relay-log events). */
    public long logPos() {
        return Integer.toUnsignedLong(buf.getInt(LOG_POS_OFFSET));
    }

    public int flags() {
        return Short.toUnsignedInt(buf.getShort(FLAGS_OFFSET));
    }

    public boolean hasFlag(int flag) {
        return (flags() & flag) != 0;
    }

    /** A read-only little-endian view of the whole event, position 0. */
    public ByteBuffer bytes() {
        return buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    public byte[] toByteArray() {
        byte[] out = new byte[buf.limit()];
        buf.get(0, out);
        return out;
    }

    /**
     * The body between the header and the checksum trailer, as a little-endian view positioned at 0.
     *
     * @param checksum the algorithm the file's FDE declares (FDEs themselves: use FormatDescription)
     */
    public ByteBuffer body(ChecksumAlgorithm checksum) {
        int end = buf.limit() - checksum.trailerLength();
        if (end < HEADER_LENGTH) {
            throw new MalformedEventException("event of " + buf.limit() + " bytes has no room for a "
                    + checksum + " trailer");
        }
        return buf.slice(HEADER_LENGTH, end - HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The stored CRC32 trailer (last 4 bytes); meaningless unless the event is checksummed. */
    public int storedChecksum() {
        return buf.getInt(buf.limit() - 4);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BinlogEvent other && buf.equals(other.buf);
    }

    @Override
    public int hashCode() {
        return buf.hashCode();
    }

    @Override
    public String toString() {
        return type() + "(" + typeCode() + ") size=" + eventSize() + " log_pos=" + logPos() + " server_id="
                + serverId() + " flags=0x" + Integer.toHexString(flags());
    }

}
