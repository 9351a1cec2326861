package dev.binlogproxy.protocol;

import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;

/**
 * Byte stream to logical {@link Packet}s: 3-byte little-endian payload length, 1-byte sequence id, payload. A wire
 * packet of exactly {@link Packet#MAX_CHUNK} bytes is continued by the next one; the pieces are joined (zero-copy,
 * as a composite of slices) into one Packet that keeps the first sequence id and whose {@link
 * Packet#lastSequenceId()} is the last piece's. Continuation pieces must carry consecutive ids.
 *
 * <p>The size limit applies to the logical packet and is checked at each header, before any of that payload is
 * buffered: a peer announcing too much never makes us hold it. The oversized packet (all its pieces) is then
 * skipped and a {@link TooLongFrameException} "packet length: N (expected: <= M)" fired once down the pipeline, so
 * a handler can answer ER_NET_PACKET_TOO_LARGE and close, as MySQL does. A continuation piece with the wrong id is
 * skipped the same way with a {@link CorruptedFrameException}.
 *
 * <p>States: {@code HEADER} (need 4 bytes), {@code PAYLOAD} (need the piece's bytes), {@code DISCARD} (skipping a
 * refused packet's bytes). One instance per channel.
 *
 * <p>See https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html.
 */
public final class PacketDecoder extends ByteToMessageDecoder {

    /** MySQL's upper bound for max_allowed_packet, and so for any packet a conforming peer sends. */
    public static final int DEFAULT_MAX_PACKET_SIZE = 1 << 30;

    private static final int HEADER_LENGTH = 4;

    private enum State { HEADER, PAYLOAD, DISCARD }

    private final int maxPacketSize;

    private State state = State.HEADER;
    /** Length and id of the wire packet being read (or discarded). */
    private int pieceLength;
    private int pieceSequenceId;
    /** Pieces of a continued packet so far; null while no continuation is in progress. */
    private CompositeByteBuf pieces;
    private int firstSequenceId;
    /** Bytes of the current logical packet in the pieces before this one. */
    private long accumulated;
    /** While discarding: bytes of the current piece still to skip, and whether another piece follows it. */
    private int discardRemaining;
    private boolean discardContinues;

    public PacketDecoder() {
        this(DEFAULT_MAX_PACKET_SIZE);
    }

    /** {@code maxPacketSize}: the largest logical payload accepted, in bytes. */
    public PacketDecoder(int maxPacketSize) {
        if (maxPacketSize < 0) {
            throw new IllegalArgumentException("maxPacketSize: " + maxPacketSize + " (expected: >= 0)");
        }
        this.maxPacketSize = maxPacketSize;
    }

    public int maxPacketSize() {
        return maxPacketSize;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (true) {
            switch (state) {
                case HEADER:
                    if (in.readableBytes() < HEADER_LENGTH) {
                        return;
                    }
                    pieceLength = in.readUnsignedMediumLE();
                    pieceSequenceId = in.readUnsignedByte();
                    if (discardContinues) {
                        // Next piece of a packet already refused: skip it without another report.
                        startDiscarding();
                        break;
                    }
                    checkPiece(ctx);
                    break;
                case PAYLOAD:
                    if (in.readableBytes() < pieceLength) {
                        return;
                    }
                    Packet packet = readPiece(ctx, in);
                    state = State.HEADER;
                    if (packet != null) {
                        out.add(packet);
                        // One logical packet per call keeps a handler's reaction (say, a pipeline change on the
                        // SSL request) ahead of the bytes that follow it; ByteToMessageDecoder calls again.
                        return;
                    }
                    break;
                case DISCARD:
                    int skip = Math.min(discardRemaining, in.readableBytes());
                    in.skipBytes(skip);
                    discardRemaining -= skip;
                    if (discardRemaining > 0) {
                        return;
                    }
                    state = State.HEADER;
                    break;
                default:
                    throw new IllegalStateException("state: " + state);
            }
        }
    }

    /**
     * Refuses a header that breaks the sequence or the limit: the piece and the rest of its packet get skipped and
     * the failure goes down the pipeline as an exception event. Decoding goes on after the skipped bytes, so the
     * packets behind it are not held back until more input arrives.
     */
    private void checkPiece(ChannelHandlerContext ctx) {
        if (pieces != null) {
            int expected = (firstSequenceId + pieces.numComponents()) & 0xFF;
            if (pieceSequenceId != expected) {
                dropPieces();
                startDiscarding();
                ctx.fireExceptionCaught(new CorruptedFrameException("continuation packet sequence id: "
                        + pieceSequenceId + " (expected: " + expected + ")"));
                return;
            }
        }
        long length = accumulated + pieceLength;
        if (length > maxPacketSize) {
            dropPieces();
            startDiscarding();
            ctx.fireExceptionCaught(new TooLongFrameException("packet length: " + length
                    + (discardContinues ? " and more" : "") + " (expected: <= " + maxPacketSize + ")"));
            return;
        }
        state = State.PAYLOAD;
    }

    private void startDiscarding() {
        discardRemaining = pieceLength;
        discardContinues = pieceLength == Packet.MAX_CHUNK;
        state = State.DISCARD;
    }

    /** The completed logical packet, or null when this piece is continued by the next. */
    private Packet readPiece(ChannelHandlerContext ctx, ByteBuf in) {
        ByteBuf piece = in.readRetainedSlice(pieceLength);
        if (pieceLength == Packet.MAX_CHUNK) {
            if (pieces == null) {
                pieces = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
                firstSequenceId = pieceSequenceId;
            }
            pieces.addComponent(true, piece);
            accumulated += pieceLength;
            return null;
        }
        if (pieces == null) {
            return new Packet(pieceSequenceId, piece);
        }
        pieces.addComponent(true, piece);
        Packet packet = new Packet(firstSequenceId, pieces);
        pieces = null;
        accumulated = 0;
        if (packet.lastSequenceId() != pieceSequenceId) {
            packet.release();
            throw new IllegalStateException("last sequence id " + pieceSequenceId + " vs computed " + packet);
        }
        return packet;
    }

    /**
     * Hands over the bytes received but not decoded yet (the caller owns the buffer). A server that has just read
     * an SSL request calls it from its channelRead: what follows that packet is the client's TLS handshake, which
     * belongs in the SslHandler it now puts in front of this decoder, not in a packet.
     */
    public ByteBuf takeUndecoded(ChannelHandlerContext ctx) {
        ByteBuf buffered = internalBuffer();
        ByteBuf out = ctx.alloc().buffer(buffered.readableBytes());
        out.writeBytes(buffered);
        return out;
    }

    private void dropPieces() {
        if (pieces != null) {
            pieces.release();
            pieces = null;
        }
        accumulated = 0;
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        dropPieces();
    }
}
