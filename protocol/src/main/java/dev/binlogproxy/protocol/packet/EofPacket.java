package dev.binlogproxy.protocol.packet;

import dev.binlogproxy.protocol.MalformedPacketException;
import dev.binlogproxy.protocol.Wire;

import io.netty.buffer.ByteBuf;

/**
 * EOF (4.1 protocol): ends column definitions and rows of a result set without CLIENT_DEPRECATE_EOF, and a
 * non-blocking binlog dump.
 *
 * <pre>
 * 1   0xFE
 * 2   warnings
 * 2   status flags
 * </pre>
 *
 * A payload starting with 0xFE is an EOF only if it is shorter than 9 bytes: a row or event can start with 0xFE too.
 *
 * See https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_eof_packet.html
 */
public record EofPacket(int warnings, int statusFlags) implements WireMessage {

    public static final int HEADER = 0xFE;
    public static final int LENGTH = 5;

    public EofPacket {
        warnings &= 0xFFFF;
        statusFlags &= 0xFFFF;
    }

    /** 0xFE and shorter than 9 bytes. */
    public static boolean isEof(ByteBuf payload) {
        return payload.isReadable() && payload.getUnsignedByte(payload.readerIndex()) == HEADER
                && payload.readableBytes() < 9;
    }

    public static EofPacket decode(ByteBuf payload) {
        if (!isEof(payload)) {
            throw new MalformedPacketException("EOF: " + payload.readableBytes() + " bytes starting 0x"
                    + (payload.isReadable() ? Integer.toHexString(payload.getUnsignedByte(payload.readerIndex()))
                    : "") + " (expected: 0xFE, < 9 bytes)");
        }
        payload.skipBytes(1);
        int warnings = Wire.readUInt16(payload, "EOF warnings");
        int status = Wire.readUInt16(payload, "EOF status flags");
        return new EofPacket(warnings, status);
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeByte(HEADER).writeShortLE(warnings).writeShortLE(statusFlags);
    }
}
