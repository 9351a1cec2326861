package dev.binlogproxy.protocol.packet;

import java.nio.ByteBuffer;

import dev.binlogproxy.protocol.MalformedPacketException;

import io.netty.buffer.ByteBuf;

/**
 * One binlog event of a dump, as a master sends it after COM_BINLOG_DUMP[_GTID]:
 *
 * <pre>
 * 1   0x00 (the OK byte every event packet starts with)
 * 1   0xEF            only once semi-sync is negotiated on this dump (the replica set @rpl_semi_sync_slave)
 * 1   flags           ditto; {@link #ACK_REQUIRED}: the master waits for a {@link SemiSyncAck} of this event
 * n   the event: 19-byte header, body, checksum
 * </pre>
 *
 * Both sides use this type: the mirror decodes what its master sends, the server writes the prefix of what it
 * sends its replicas. The header is all-or-nothing for a dump: once negotiated, every event packet has it, fake
 * ROTATE, FORMAT_DESCRIPTION and heartbeats included (EOF and ERR packets never do).
 *
 * @param event a view of the event's bytes inside the packet (valid while the packet is)
 */
public record EventPacket(boolean semiSync, boolean ackRequired, ByteBuffer event) {
    /** The first payload byte of every event packet. */
    public static final int OK = 0x00;
    /** Opens the semi-sync header; the same byte opens a {@link SemiSyncAck}. */
    public static final int SEMI_SYNC_MAGIC = SemiSyncAck.MAGIC;
    /** The flag byte's bit that asks for an ACK. */
    public static final int ACK_REQUIRED = SemiSyncAck.ACK_REQUIRED;

    public EventPacket {
        if (ackRequired && !semiSync) {
            throw new IllegalArgumentException("an ACK can only be asked for on a semi-sync dump");
        }
    }

    /** Bytes before the event: the OK byte, and the semi-sync header when negotiated. */
    public static int prefixLength(boolean semiSync) {
        return semiSync ? 3 : 1;
    }

    /** Writes the bytes before the event. */
    public static void writePrefix(ByteBuf out, boolean semiSync, boolean ackRequired) {
        out.writeByte(OK);
        if (semiSync) {
            out.writeByte(SEMI_SYNC_MAGIC).writeByte(ackRequired ? ACK_REQUIRED : 0);
        } else if (ackRequired) {
            throw new IllegalArgumentException("an ACK can only be asked for on a semi-sync dump");
        }
    }

    /**
     * Reads an event packet's prefix; the event is a view of the rest of the payload (no copy). The caller has
     * checked that the packet is not an ERR or EOF.
     *
     * @param semiSync whether this dump negotiated semi-sync (then the header must be there)
     * @throws MalformedPacketException for a packet that is not an event packet of this dump
     */
    public static EventPacket decode(ByteBuf payload, boolean semiSync) {
        int at = payload.readerIndex();
        int length = payload.readableBytes();
        if (length < 1 || payload.getUnsignedByte(at) != OK) {
            throw new MalformedPacketException("event packet: first byte "
                    + (length < 1 ? "missing" : "0x" + Integer.toHexString(payload.getUnsignedByte(at)))
                    + " (expected: 0x00)");
        }
        int prefix = prefixLength(semiSync);
        boolean ack = false;
        if (semiSync) {
            if (length < prefix || payload.getUnsignedByte(at + 1) != SEMI_SYNC_MAGIC) {
                throw new MalformedPacketException("event packet: semi-sync was negotiated but the packet lacks the"
                        + " 0xEF header");
            }
            ack = (payload.getUnsignedByte(at + 2) & ACK_REQUIRED) != 0;
        }
        return new EventPacket(semiSync, ack, payload.nioBuffer(at + prefix, length - prefix));
    }
}
