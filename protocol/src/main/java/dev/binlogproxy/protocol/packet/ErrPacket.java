package dev.binlogproxy.protocol.packet;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.MySqlProtocolException;
import dev.binlogproxy.protocol.Wire;

import io.netty.buffer.ByteBuf;

/**
 * ERR: a command (or the login) failed.
 *
 * <pre>
 * 1   0xFF
 * 2   error code
 * 1   '#' SQLSTATE marker      (4.1 protocol; absent in errors sent before the handshake, e.g. "host not allowed")
 * 5   SQLSTATE
 * ..  message (rest of packet)
 * </pre>
 *
 * {@link #sqlState()} is null when the marker was absent. {@link #toException()} and {@link
 * #of(MySqlProtocolException)} convert to and from the typed exception.
 *
 * See https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_err_packet.html
 */
public record ErrPacket(int errorCode, String sqlState, String message) implements WireMessage {

    public static final int HEADER = 0xFF;
    private static final int SQLSTATE_MARKER = '#';

    public ErrPacket {
        if (errorCode < 0 || errorCode > 0xFFFF) {
            throw new IllegalArgumentException("errorCode: " + errorCode + " (expected: 0..65535)");
        }
        if (sqlState != null && sqlState.length() != 5) {
            throw new IllegalArgumentException("sqlState: '" + sqlState + "' (expected: 5 characters)");
        }
        Objects.requireNonNull(message, "message");
    }

    public static ErrPacket of(MySqlProtocolException e) {
        return new ErrPacket(e.errorCode(), e.sqlState(), e.serverMessage());
    }

    public static ErrPacket decode(ByteBuf payload) {
        Commands.expectHeader(payload, HEADER, "ERR");
        int code = Wire.readUInt16(payload, "error code");
        String state = null;
        if (payload.isReadable() && payload.getUnsignedByte(payload.readerIndex()) == SQLSTATE_MARKER) {
            payload.skipBytes(1);
            state = new String(Wire.readBytes(payload, 5, "SQLSTATE"), StandardCharsets.US_ASCII);
        }
        return new ErrPacket(code, state, Wire.readRestString(payload));
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeByte(HEADER);
        out.writeShortLE(errorCode);
        if (sqlState != null) {
            out.writeByte(SQLSTATE_MARKER);
            out.writeCharSequence(sqlState, StandardCharsets.US_ASCII);
        }
        out.writeCharSequence(message, StandardCharsets.UTF_8);
    }

    /** The typed exception; HY000 when the packet had no SQLSTATE. */
    public MySqlProtocolException toException() {
        return new MySqlProtocolException(errorCode, sqlState == null ? ErrorCodes.SQLSTATE_GENERAL : sqlState,
                message);
    }
}
