package dev.binlogproxy.protocol.packet;

import java.util.Objects;

import dev.binlogproxy.protocol.Wire;

import io.netty.buffer.ByteBuf;

/**
 * A semi-sync replica's acknowledgement, sent on the dump connection as a new exchange (sequence id 0) after it has
 * the event the master flagged; the master does not answer.
 *
 * <pre>
 * 1   0xEF
 * 8   binlog position: the end of the flagged event
 * ..  binlog file name (rest of packet, no NUL)
 * </pre>
 *
 * The same 0xEF magic opens the 2-byte header the master puts on every event packet once semi-sync is negotiated:
 * {@link #MAGIC}, then a flag byte with {@link #ACK_REQUIRED}.
 */
public record SemiSyncAck(long position, String fileName) implements WireMessage {

    public static final int MAGIC = 0xEF;
    /** The event's flag byte: the master waits for an ACK of this event. */
    public static final int ACK_REQUIRED = 0x01;

    public SemiSyncAck {
        Objects.requireNonNull(fileName, "fileName");
    }

    public static SemiSyncAck decode(ByteBuf payload) {
        Commands.expect(payload, Commands.SEMI_SYNC_ACK);
        long position = Wire.readInt64(payload, "binlog position");
        return new SemiSyncAck(position, Wire.readRestString(payload));
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeByte(MAGIC);
        out.writeLongLE(position);
        out.writeBytes(Wire.utf8(fileName));
    }
}
