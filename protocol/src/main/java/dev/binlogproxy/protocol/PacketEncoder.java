package dev.binlogproxy.protocol;

import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;

/**
 * Logical {@link Packet}s to wire packets, split as {@link Framing} says. Large payloads are not copied: each piece
 * is a header buffer followed by a slice of the payload. Stateless, so one instance can serve every channel.
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
            ByteBuf wire = ctx.alloc().ioBuffer(Framing.HEADER_LENGTH + length);
            Framing.writeHeader(wire, length, sequenceId);
            wire.writeBytes(payload, payload.readerIndex(), length);
            out.add(wire);
            return;
        }
        int start = payload.readerIndex();
        Framing.split(length, sequenceId, (offset, piece, id) -> {
            ByteBuf header = ctx.alloc().ioBuffer(Framing.HEADER_LENGTH);
            Framing.writeHeader(header, piece, id);
            out.add(header);
            if (piece > 0) {
                out.add(payload.retainedSlice(start + (int) offset, piece));
            }
        });
    }
}
