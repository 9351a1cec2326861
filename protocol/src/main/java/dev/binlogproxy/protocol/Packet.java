package dev.binlogproxy.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * One logical packet: a payload of any length and the sequence id of its first wire packet. A payload of 16 MB - 1
 * bytes or more travels as several wire packets with consecutive ids ({@link PacketEncoder}, {@link
 * PacketDecoder}); {@link #lastSequenceId()} is the id of the last of them, so the next packet of the exchange
 * carries {@link #nextSequenceId()}.
 *
 * <p>Reference-counted like any {@link io.netty.buffer.ByteBufHolder}: whoever receives a Packet releases it
 * (a Netty encoder does that after writing). The fields never change; the payload's reader index does as it is
 * read, so the length and last id are fixed when the packet is made.
 */
public final class Packet extends DefaultByteBufHolder {

    /** Largest payload of one wire packet; a payload of exactly this size says "continued in the next packet". */
    public static final int MAX_CHUNK = 0xFFFFFF;

    private final int sequenceId;
    private final int lastSequenceId;

    /** Takes ownership of {@code payload} (its readable bytes are the packet's payload). */
    public Packet(int sequenceId, ByteBuf payload) {
        super(payload);
        if (sequenceId < 0 || sequenceId > 0xFF) {
            throw new IllegalArgumentException("sequenceId: " + sequenceId + " (expected: 0..255)");
        }
        this.sequenceId = sequenceId;
        this.lastSequenceId = (sequenceId + chunkCount(payload.readableBytes()) - 1) & 0xFF;
    }

    /**
     * Wire packets a payload of {@code length} bytes needs: one per started 16 MB - 1 chunk, plus an empty one when
     * the length is an exact multiple of it (the reader would otherwise wait for more).
     */
    public static int chunkCount(int length) {
        return length / MAX_CHUNK + 1;
    }

    public int sequenceId() {
        return sequenceId;
    }

    public int lastSequenceId() {
        return lastSequenceId;
    }

    /** The id the next packet of this exchange carries, in either direction. */
    public int nextSequenceId() {
        return (lastSequenceId + 1) & 0xFF;
    }

    public ByteBuf payload() {
        return content();
    }

    /** The first payload byte without consuming it (packet type: 0x00 OK, 0xFF ERR, 0xFE EOF, ...); -1 if empty. */
    public int firstByte() {
        ByteBuf payload = content();
        return payload.isReadable() ? payload.getUnsignedByte(payload.readerIndex()) : -1;
    }

    @Override
    public Packet replace(ByteBuf content) {
        return new Packet(sequenceId, content);
    }

    @Override
    public Packet copy() {
        return replace(content().copy());
    }

    @Override
    public Packet duplicate() {
        return replace(content().duplicate());
    }

    @Override
    public Packet retainedDuplicate() {
        return replace(content().retainedDuplicate());
    }

    @Override
    public Packet retain() {
        super.retain();
        return this;
    }

    @Override
    public Packet retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public Packet touch() {
        super.touch();
        return this;
    }

    @Override
    public Packet touch(Object hint) {
        super.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        String ids = sequenceId == lastSequenceId ? "seq=" + sequenceId : "seq=" + sequenceId + ".." + lastSequenceId;
        return "Packet(" + ids + ", " + (refCnt() > 0 ? content().readableBytes() + " bytes" : "released") + ")";
    }
}
