package dev.binlogproxy.protocol.packet;

import static dev.binlogproxy.protocol.Capabilities.CLIENT_MYSQL;
import static dev.binlogproxy.protocol.Capabilities.CLIENT_SSL;

import dev.binlogproxy.protocol.Capabilities;
import dev.binlogproxy.protocol.MalformedPacketException;
import dev.binlogproxy.protocol.Wire;

import io.netty.buffer.ByteBuf;

/**
 * The first 32 bytes of a {@link HandshakeResponse41}, with CLIENT_SSL, sent at sequence 1 instead of the full
 * response; the client then starts TLS and sends the full response at sequence 2 over it. A server tells the two
 * apart by length: {@link #isSslRequest(ByteBuf)}.
 */
public record SslRequest(long capabilities, long maxPacketSize, int collation) implements WireMessage {

    public SslRequest {
        if (!Capabilities.has(capabilities, CLIENT_SSL)) {
            throw new IllegalArgumentException("SslRequest without CLIENT_SSL: " + Capabilities.toString(capabilities));
        }
        HandshakeV10.checkByte(collation, "collation");
    }

    /** True for a 32-byte payload with CLIENT_SSL: the client wants TLS before it says who it is. */
    public static boolean isSslRequest(ByteBuf payload) {
        return payload.readableBytes() == HandshakeResponse41.FIXED_LENGTH
                && (payload.getIntLE(payload.readerIndex()) & CLIENT_SSL) != 0;
    }

    public static SslRequest decode(ByteBuf payload) {
        if (payload.readableBytes() != HandshakeResponse41.FIXED_LENGTH) {
            throw new MalformedPacketException("SSL request: " + payload.readableBytes() + " bytes (expected: 32)");
        }
        int capsLow = (int) Wire.readUInt32(payload, "client capability flags");
        long maxPacket = Wire.readUInt32(payload, "max packet size");
        int collation = Wire.readUInt8(payload, "collation");
        payload.skipBytes(19);
        int extended = payload.readIntLE();
        long caps = Capabilities.combine(capsLow, (capsLow & CLIENT_MYSQL) == 0 ? extended : 0);
        if (!Capabilities.has(caps, CLIENT_SSL)) {
            throw new MalformedPacketException("SSL request without CLIENT_SSL");
        }
        return new SslRequest(caps, maxPacket, collation);
    }

    @Override
    public void encode(ByteBuf out) {
        encodeFixedPart(out, capabilities, maxPacketSize, collation);
    }

    static void encodeFixedPart(ByteBuf out, long capabilities, long maxPacketSize, int collation) {
        out.writeIntLE(Capabilities.low32(capabilities));
        out.writeIntLE((int) maxPacketSize);
        out.writeByte(collation);
        out.writeZero(19);
        out.writeIntLE((capabilities & CLIENT_MYSQL) == 0 ? Capabilities.mariaDbExtended(capabilities) : 0);
    }
}
