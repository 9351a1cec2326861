package dev.binlogproxy.protocol;

import io.netty.buffer.ByteBuf;

/**
 * The wire packet header and the split of a long payload into wire packets: the one place both are written, for
 * the {@link PacketEncoder} and for writers that frame payloads themselves (a dump that sends an event straight
 * from a file region, or packs many small packets into one buffer).
 *
 * <pre>
 * 3   payload length of this wire packet (at most {@link Packet#MAX_CHUNK})
 * 1   sequence id
 * </pre>
 * A payload of {@link Packet#MAX_CHUNK} bytes or more goes as pieces of that size with consecutive sequence ids,
 * ending with a shorter piece, which is empty when the length is an exact multiple: a reader takes a full-size
 * piece to mean "more follows".
 */
public final class Framing {
    /** Bytes of a wire packet header. */
    public static final int HEADER_LENGTH = 4;

    private Framing() {
    }

    /** Writes one wire packet header. */
    public static void writeHeader(ByteBuf out, int pieceLength, int sequenceId) {
        if (pieceLength < 0 || pieceLength > Packet.MAX_CHUNK) {
            throw new IllegalArgumentException("piece length: " + pieceLength + " (expected: 0.." + Packet.MAX_CHUNK
                    + ")");
        }
        out.writeMediumLE(pieceLength).writeByte(sequenceId & 0xFF);
    }

    /** Receives the wire packets of one payload, in order. */
    @FunctionalInterface
    public interface PieceSink {
        /**
         * @param offset     where the piece starts in the payload
         * @param length     the piece's length (0 for the empty piece after a payload that fills whole pieces)
         * @param sequenceId the piece's sequence id
         */
        void piece(long offset, int length, int sequenceId);
    }

    /**
     * Splits a payload of {@code length} bytes into wire packets starting at {@code firstSequenceId}.
     *
     * @return the sequence id the next packet of the exchange carries
     */
    public static int split(long length, int firstSequenceId, PieceSink sink) {
        if (length < 0) {
            throw new IllegalArgumentException("length: " + length + " (expected: >= 0)");
        }
        long offset = 0;
        int sequenceId = firstSequenceId & 0xFF;
        int piece;
        do {
            piece = (int) Math.min(length - offset, Packet.MAX_CHUNK);
            sink.piece(offset, piece, sequenceId);
            offset += piece;
            sequenceId = (sequenceId + 1) & 0xFF;
        } while (piece == Packet.MAX_CHUNK);
        return sequenceId;
    }
}
