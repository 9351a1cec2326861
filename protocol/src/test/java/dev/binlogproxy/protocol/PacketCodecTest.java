package dev.binlogproxy.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;

/** Framing: 3-byte length + sequence id, 16 MB continuation both ways, the size limit, reference counts. */
@ExtendWith(NoLeaks.class)
class PacketCodecTest {

    private static final int MAX = Packet.MAX_CHUNK;

    private static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** The wire bytes of one logical packet, built by hand (not by the encoder under test). */
    private static ByteBuf wire(int sequenceId, byte[] payload) {
        ByteBuf out = Unpooled.buffer();
        int offset = 0;
        int piece;
        int seq = sequenceId;
        do {
            piece = Math.min(payload.length - offset, MAX);
            out.writeMediumLE(piece).writeByte(seq).writeBytes(payload, offset, piece);
            offset += piece;
            seq = (seq + 1) & 0xFF;
        } while (piece == MAX);
        return out;
    }

    private static Packet readPacket(EmbeddedChannel ch) {
        return ch.readInbound();
    }

    private static byte[] drain(Packet p) {
        try {
            return ByteBufUtil.getBytes(p.content());
        } finally {
            assertTrue(p.release(), "the decoder's packet must be the only reference to its payload");
        }
    }

    @Test
    void decodesPacketsFedOneByteAtATime() {
        EmbeddedChannel ch = new EmbeddedChannel(new PacketDecoder());
        byte[][] payloads = {pattern(10, 1), new byte[0], pattern(300, 2), pattern(1, 3)};
        ByteBuf all = Unpooled.buffer();
        for (int i = 0; i < payloads.length; i++) {
            ByteBuf w = wire(i, payloads[i]);
            all.writeBytes(w);
            w.release();
        }
        while (all.isReadable()) {
            ch.writeInbound(all.readRetainedSlice(1));
        }
        all.release();
        for (int i = 0; i < payloads.length; i++) {
            Packet p = readPacket(ch);
            assertEquals(i, p.sequenceId());
            assertEquals(i, p.lastSequenceId());
            assertArrayEquals(payloads[i], drain(p));
        }
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
    }

    @Test
    void payloadOfExactly0xFFFFFFIsFollowedByAnEmptyPacket() {
        roundTrip(MAX, 7, new int[] {MAX, 0});
    }

    @Test
    void payloadOfTwice0xFFFFFFTakesThreePackets() {
        roundTrip(2 * MAX, 250, new int[] {MAX, MAX, 0});
    }

    @Test
    void payloadOf16MiBPlusOneTakesTwoPackets() {
        roundTrip(16 * 1024 * 1024 + 1, 3, new int[] {MAX, 16 * 1024 * 1024 + 1 - MAX});
    }

    @Test
    void continuationSequenceIdsWrapAt255() {
        roundTrip(MAX + 5, 255, new int[] {MAX, 5});
    }

    @Test
    void emptyAndSmallPayloadsAreOneWirePacket() {
        roundTrip(0, 0, new int[] {0});
        roundTrip(1023, 1, new int[] {1023});
        roundTrip(1024, 1, new int[] {1024});
    }

    /** Encoder output has the expected pieces, decoder (fed in odd-sized chunks) rebuilds the same payload. */
    private static void roundTrip(int length, int sequenceId, int[] expectedPieces) {
        byte[] payload = pattern(length, length);
        ByteBuf source = Unpooled.wrappedBuffer(payload);
        EmbeddedChannel out = new EmbeddedChannel(new PacketEncoder());
        assertTrue(out.writeOutbound(new Packet(sequenceId, source)));
        ByteBuf wire = Unpooled.buffer(length + 4 * expectedPieces.length);
        for (ByteBuf b; (b = out.readOutbound()) != null; ) {
            wire.writeBytes(b);
            b.release();
        }
        if (length > 0) { // Unpooled.EMPTY_BUFFER is never released
            assertEquals(0, source.refCnt(), "encoder released the payload after writing its slices");
        }
        assertFalse(out.finish());

        // Headers where expected.
        int offset = 0;
        for (int i = 0; i < expectedPieces.length; i++) {
            assertEquals(expectedPieces[i], wire.getUnsignedMediumLE(offset), "piece " + i + " length");
            assertEquals((sequenceId + i) & 0xFF, wire.getUnsignedByte(offset + 3), "piece " + i + " sequence id");
            offset += 4 + expectedPieces[i];
        }
        assertEquals(wire.writerIndex(), offset);
        ByteBuf byHand = wire(sequenceId, payload);
        assertTrue(ByteBufUtil.equals(byHand, wire), "encoder output equals the hand-built framing");
        byHand.release();

        EmbeddedChannel in = new EmbeddedChannel(new PacketDecoder());
        int chunk = 1 << 20;
        while (wire.isReadable()) {
            in.writeInbound(wire.readRetainedSlice(Math.min(chunk, wire.readableBytes())));
            chunk = chunk * 3 / 2 + 17; // chunk edges land everywhere relative to packet edges
        }
        wire.release();
        Packet p = readPacket(in);
        assertEquals(sequenceId, p.sequenceId());
        assertEquals((sequenceId + expectedPieces.length - 1) & 0xFF, p.lastSequenceId());
        assertEquals((sequenceId + expectedPieces.length) & 0xFF, p.nextSequenceId());
        assertEquals(length, p.content().readableBytes());
        assertArrayEquals(payload, drain(p));
        assertNull(in.readInbound());
        assertFalse(in.finish());
    }

    @Test
    void oversizedPacketIsRefusedBeforeItsPayloadArrivesAndTheNextOneStillDecodes() {
        EmbeddedChannel ch = new EmbeddedChannel(new PacketDecoder(100));
        ByteBuf big = wire(0, pattern(101, 1));
        ByteBuf header = big.readRetainedSlice(4);
        TooLongFrameException e = assertThrows(TooLongFrameException.class, () -> ch.writeInbound(header));
        assertEquals("packet length: 101 (expected: <= 100)", e.getMessage());
        ByteBuf next = wire(1, pattern(100, 2));
        ch.writeInbound(big, next);
        Packet p = readPacket(ch);
        assertEquals(1, p.sequenceId());
        assertArrayEquals(pattern(100, 2), drain(p));
        assertFalse(ch.finish());
    }

    @Test
    void oversizedContinuedPacketIsSkippedWholeWithOneError() {
        EmbeddedChannel ch = new EmbeddedChannel(new PacketDecoder(MAX + 10));
        ByteBuf all = Unpooled.buffer();
        ByteBuf big = wire(0, pattern(2 * MAX + 3, 1));   // pieces: MAX, MAX (limit hit here), 3
        ByteBuf next = wire(9, pattern(5, 2));
        all.writeBytes(big).writeBytes(next);
        big.release();
        next.release();
        List<Throwable> errors = new ArrayList<>();
        while (all.isReadable()) {
            try {
                ch.writeInbound(all.readRetainedSlice(Math.min(1 << 22, all.readableBytes())));
            } catch (TooLongFrameException e) {
                errors.add(e);
            }
        }
        all.release();
        assertEquals(1, errors.size(), errors.toString());
        assertEquals("packet length: " + 2 * MAX + " and more (expected: <= " + (MAX + 10) + ")",
                errors.get(0).getMessage());
        Packet p = readPacket(ch);
        assertEquals(9, p.sequenceId());
        assertArrayEquals(pattern(5, 2), drain(p));
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
    }

    @Test
    void continuationWithWrongSequenceIdIsCorrupt() {
        EmbeddedChannel ch = new EmbeddedChannel(new PacketDecoder());
        ByteBuf first = Unpooled.buffer().writeMediumLE(MAX).writeByte(3).writeBytes(new byte[MAX]);
        ByteBuf second = Unpooled.buffer().writeMediumLE(2).writeByte(5).writeByte(1).writeByte(2);
        ByteBuf next = wire(0, new byte[] {42});
        ch.writeInbound(first);
        CorruptedFrameException e = assertThrows(CorruptedFrameException.class,
                () -> ch.writeInbound(second, next));
        assertEquals("continuation packet sequence id: 5 (expected: 4)", e.getMessage());
        Packet p = readPacket(ch);
        assertArrayEquals(new byte[] {42}, drain(p));
        assertFalse(ch.finish());
    }

    @Test
    void partialContinuationIsReleasedWhenTheChannelCloses() {
        EmbeddedChannel ch = new EmbeddedChannel(new PacketDecoder());
        ch.writeInbound(Unpooled.buffer().writeMediumLE(MAX).writeByte(0).writeBytes(new byte[MAX]));
        ch.writeInbound(Unpooled.buffer().writeMediumLE(10).writeByte(1).writeBytes(new byte[4]));
        assertFalse(ch.finish());
        // NoLeaks checks that the composite of the first piece was released with the handler.
    }

    @Test
    void packetComputesLastSequenceIdFromItsLength() {
        Packet p = new Packet(254, Unpooled.wrappedBuffer(new byte[2 * MAX]));
        assertEquals(254, p.sequenceId());
        assertEquals(0, p.lastSequenceId());
        assertEquals(1, p.nextSequenceId());
        Packet copy = p.copy();
        assertEquals(254, copy.sequenceId());
        copy.release();
        p.release();
        assertThrows(IllegalArgumentException.class, () -> new Packet(256, Unpooled.EMPTY_BUFFER));
        assertEquals(1, Packet.chunkCount(0));
        assertEquals(2, Packet.chunkCount(MAX));
        assertEquals(1, Packet.chunkCount(MAX - 1));
    }

    @Test
    void encoderAndDecoderAgreeOnRandomSizesInOneStream() {
        Random random = new Random(42);
        EmbeddedChannel enc = new EmbeddedChannel(new PacketEncoder());
        EmbeddedChannel dec = new EmbeddedChannel(new PacketDecoder());
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            byte[] payload = pattern(random.nextInt(5000), i);
            sent.add(payload);
            enc.writeOutbound(new Packet(i & 0xFF, Unpooled.wrappedBuffer(payload)));
        }
        for (ByteBuf b; (b = enc.readOutbound()) != null; ) {
            // Re-chunk the stream at random points.
            while (b.isReadable()) {
                dec.writeInbound(b.readRetainedSlice(Math.min(b.readableBytes(), 1 + random.nextInt(700))));
            }
            b.release();
        }
        for (int i = 0; i < sent.size(); i++) {
            Packet p = readPacket(dec);
            assertEquals(i & 0xFF, p.sequenceId());
            assertArrayEquals(sent.get(i), drain(p));
        }
        assertFalse(enc.finish());
        assertFalse(dec.finish());
    }
}
