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

    /**
     * The event's bytes, little-endian, position 0. Not read-only: a read-only heap buffer hides its array and
     * makes CRC32.update copy through a temporary buffer (measured 2.5-3.3x slower), and a read-only view made for
     * every event was a tenth of what a catch-up allocated. Never handed out: {@link #bytes()} and
     * {@link #body} give read-only views.
     */
    private final ByteBuffer raw;

    private BinlogEvent(ByteBuffer raw) {
        this.raw = raw;
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
        return Integer.toUnsignedLong(raw.getInt(0));
    }

    public int typeCode() {
        return Byte.toUnsignedInt(raw.get(TYPE_OFFSET));
    }

    public EventType type() {
        return EventType.of(typeCode());
    }

    public long serverId() {
        return Integer.toUnsignedLong(raw.getInt(SERVER_ID_OFFSET));
    }

    public int eventSize() {
        return raw.limit();
    }

    /** End offset of this event in its file (0 for artificial events and some relay-log events). */
    public long logPos() {
        return Integer.toUnsignedLong(raw.getInt(LOG_POS_OFFSET));
    }

    public int flags() {
        return Short.toUnsignedInt(raw.getShort(FLAGS_OFFSET));
    }

    public boolean hasFlag(int flag) {
        return (flags() & flag) != 0;
    }

    /**
     * The byte at {@code index} of the event, unsigned, read in place. For peeks into a body that is otherwise not
     * decoded (a statement's leading keyword, a GTID event's flags), which run for every event of a stream: a view
     * per peek ({@link #bytes()}) was an allocation per event on the archive's append path.
     *
     * @throws IndexOutOfBoundsException outside the event
     */
    public int u8(int index) {
        return Byte.toUnsignedInt(raw.get(index));
    }

    /** As {@link #u8}: the little-endian 2-byte unsigned integer at {@code index}. */
    public int u16(int index) {
        return Short.toUnsignedInt(raw.getShort(index));
    }

    /** As {@link #u8}: the little-endian 4-byte unsigned integer at {@code index}. */
    public long u32(int index) {
        return Integer.toUnsignedLong(raw.getInt(index));
    }

    /** As {@link #u8}: the little-endian 8-byte integer at {@code index}. */
    public long i64(int index) {
        return raw.getLong(index);
    }

    /**
     * Copies the whole event into {@code dst} at its position and advances it; {@code dst} must have room. Builds no
     * view (the archive copies every event this way, and a view per event was a tenth of a catch-up's allocation).
     */
    public void copyTo(ByteBuffer dst) {
        int n = raw.limit();
        int at = dst.position();
        dst.put(at, raw, 0, n);
        dst.position(at + n);
    }

    /** A read-only little-endian view of the whole event, position 0. */
    public ByteBuffer bytes() {
        return raw.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    public byte[] toByteArray() {
        byte[] out = new byte[raw.limit()];
        raw.get(0, out);
        return out;
    }

    /**
     * The body between the header and the checksum trailer, as a little-endian view positioned at 0.
     *
     * @param checksum the algorithm the file's FDE declares (FDEs themselves: use FormatDescription)
     */
    public ByteBuffer body(ChecksumAlgorithm checksum) {
        int end = raw.limit() - checksum.trailerLength();
        if (end < HEADER_LENGTH) {
            throw new MalformedEventException("event of " + raw.limit() + " bytes has no room for a "
                    + checksum + " trailer");
        }
        return raw.slice(HEADER_LENGTH, end - HEADER_LENGTH).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The stored CRC32 trailer (last 4 bytes); meaningless unless the event is checksummed. */
    public int storedChecksum() {
        return raw.getInt(raw.limit() - 4);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BinlogEvent other && raw.equals(other.raw);
    }

    @Override
    public int hashCode() {
        return raw.hashCode();
    }

    @Override
    public String toString() {
        return type() + "(" + typeCode() + ") size=" + eventSize() + " log_pos=" + logPos() + " server_id="
                + serverId() + " flags=0x" + Integer.toHexString(flags());
    }

}
