package dev.binlogproxy.protocol.packet;

import static dev.binlogproxy.protocol.Capabilities.CLIENT_SESSION_TRACK;

import java.util.Objects;

import dev.binlogproxy.protocol.Capabilities;
import dev.binlogproxy.protocol.MalformedPacketException;
import dev.binlogproxy.protocol.ServerStatus;
import dev.binlogproxy.protocol.Wire;

import io.netty.buffer.ByteBuf;

/**
 * OK: a command succeeded, or (header 0xFE, with CLIENT_DEPRECATE_EOF) a result set ended.
 *
 * <pre>
 * 1   0x00, or 0xFE when it stands in for the EOF that ends a result set
 * len affected rows
 * len last insert id
 * 2   status flags
 * 2   warnings
 * ..  info: with CLIENT_SESSION_TRACK a lenenc string then lenenc session state (if SESSION_STATE_CHANGED);
 *     without it, a lenenc string as well in what servers send (the docs say "rest of packet")
 * </pre>
 *
 * The session state is skipped on decode (this project never asks for it); {@link #encode} never writes any.
 *
 * See https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_ok_packet.html
 */
public record OkPacket(int header, long affectedRows, long lastInsertId, int statusFlags, int warnings, String info)
        implements WireMessage {

    public static final int HEADER = 0x00;
    /** The header of the OK that ends a result set under CLIENT_DEPRECATE_EOF. */
    public static final int EOF_HEADER = 0xFE;

    public OkPacket {
        if (header != HEADER && header != EOF_HEADER) {
            throw new IllegalArgumentException("header: 0x" + Integer.toHexString(header) + " (expected: 0x00, 0xFE)");
        }
        Objects.requireNonNull(info, "info");
        statusFlags &= 0xFFFF;
        warnings &= 0xFFFF;
    }

    /** A plain OK with autocommit status, as sent after a login or a SET. */
    public static OkPacket of() {
        return new OkPacket(HEADER, 0, 0, ServerStatus.SERVER_STATUS_AUTOCOMMIT, 0, "");
    }

    /** The result-set terminator that replaces EOF under CLIENT_DEPRECATE_EOF. */
    public static OkPacket endOfResultSet(int statusFlags, int warnings) {
        return new OkPacket(EOF_HEADER, 0, 0, statusFlags, warnings, "");
    }

    /** Decodes an OK from a connection without CLIENT_SESSION_TRACK. */
    public static OkPacket decode(ByteBuf payload) {
        return decode(payload, 0);
    }

    public static OkPacket decode(ByteBuf payload, long capabilities) {
        int header = Wire.readUInt8(payload, "OK header");
        if (header != HEADER && header != EOF_HEADER) {
            throw new MalformedPacketException("OK: first byte 0x" + Integer.toHexString(header));
        }
        long affected = Wire.readLenencInt(payload, "affected rows");
        long insertId = Wire.readLenencInt(payload, "last insert id");
        int status = Wire.readUInt16(payload, "status flags");
        int warnings = Wire.readUInt16(payload, "warnings");
        String info = "";
        if (payload.isReadable()) {
            if (Capabilities.has(capabilities, CLIENT_SESSION_TRACK)) {
                info = Wire.readLenencString(payload, "info");
                payload.skipBytes(payload.readableBytes());
            } else {
                info = readInfo(payload);
            }
        }
        return new OkPacket(header, affected, insertId, status, warnings, info);
    }

    /**
     * The info string without SESSION_TRACK: mysqld and MariaDB send it length-encoded, the protocol pages call it
     * the rest of the packet. Take the length prefix when it accounts for the rest exactly, else the rest.
     */
    private static String readInfo(ByteBuf payload) {
        int start = payload.readerIndex();
        try {
            long length = Wire.readLenencInt(payload, "info");
            if (length == payload.readableBytes()) {
                return Wire.readRestString(payload);
            }
        } catch (MalformedPacketException e) {
            // Not a length prefix: plain rest-of-packet text.
        }
        payload.readerIndex(start);
        return Wire.readRestString(payload);
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeByte(header);
        Wire.writeLenencInt(out, affectedRows);
        Wire.writeLenencInt(out, lastInsertId);
        out.writeShortLE(statusFlags);
        out.writeShortLE(warnings);
        if (!info.isEmpty()) {
            Wire.writeLenencString(out, info);
        }
    }

    public boolean isEndOfResultSet() {
        return header == EOF_HEADER;
    }
}
