package dev.binlogproxy.protocol.packet;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

/** A message that writes itself as one packet payload (no header: framing is {@code PacketEncoder}'s). */
public interface WireMessage {

    /** Appends the payload to {@code out}. */
    void encode(ByteBuf out);

    /** A new buffer holding the payload; the caller owns (releases) it. */
    default ByteBuf encode(ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer();
        try {
            encode(out);
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    default byte[] toByteArray() {
        ByteBuf out = Unpooled.buffer();
        try {
            encode(out);
            return ByteBufUtil.getBytes(out);
        } finally {
            out.release();
        }
    }
}
