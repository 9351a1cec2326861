package dev.binlogproxy.protocol;

import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;

/**
 * Logical {@link Packet}s to wire packets. A payload of {@link Packet#MAX_CHUNK} bytes or more is cut into pieces
 * of that size with consecutive sequence ids, ending with a shorter piece, which is empty when the length is an exact
 * multiple (the reader needs it to know the packet ended). Large payloads are not copied: each piece is a header
 * buffer followed by a slice of the payload. Stateless, so one instance can serve every channel.
 */
@Sharable
public final class PacketEncoder extends MessageToMessageEncoder<Packet> {

    /** Below this, header and payload are copied into one buffer: fewer objects per small packet. */
    private static final int COPY_THRESHOLD = 1024;

    public PacketEncoder() {
        super(Packet.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Packet packet, List<Object> out) {
        ByteBuf payload = packet.content();
        int length = payload.readableBytes();
        int sequenceId = packet.sequenceId();
        if (length < COPY_THRESHOLD) {
            ByteBuf wire = ctx.alloc().ioBuffer(4 + length);
            wire.writeMediumLE(length).writeByte(sequenceId).writeBytes(payload, payload.readerIndex(), length);
            out.add(wire);
            return;
        }
        int offset = payload.readerIndex();
        int end = offset + length;
        int piece;
        do {
            piece = Math.min(end - offset, Packet.MAX_CHUNK);
            out.add(ctx.alloc().ioBuffer(4).writeMediumLE(piece).writeByte(sequenceId));
            if (piece > 0) {
                out.add(payload.retainedSlice(offset, piece));
            }
            offset += piece;
            sequenceId = (sequenceId + 1) & 0xFF;
        } while (piece == Packet.MAX_CHUNK);
    }
}
