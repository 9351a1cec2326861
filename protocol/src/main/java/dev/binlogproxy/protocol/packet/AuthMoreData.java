package dev.binlogproxy.protocol.packet;

import java.util.Arrays;

import dev.binlogproxy.protocol.Wire;

import io.netty.buffer.ByteBuf;

/**
 * Plugin-specific data inside an authentication exchange: 0x01 + data. For caching_sha2_password the server sends
 * one status byte ({@link #FAST_AUTH_SUCCESS}, {@link #PERFORM_FULL_AUTHENTICATION}) or, after the client asked for
 * it, its RSA public key in PEM.
 *
 * See https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_auth_more_data.html
 */
public final class AuthMoreData implements WireMessage {

    public static final int HEADER = 0x01;
    /** caching_sha2_password: the scramble matched the server's cache; an OK follows. */
    public static final int FAST_AUTH_SUCCESS = 0x03;
    /** caching_sha2_password: the server needs the password itself (over TLS, or RSA-encrypted). */
    public static final int PERFORM_FULL_AUTHENTICATION = 0x04;

    private final byte[] data;

    public AuthMoreData(byte[] data) {
        this.data = data.clone();
    }

    public static AuthMoreData decode(ByteBuf payload) {
        Commands.expectHeader(payload, HEADER, "auth more data");
        return new AuthMoreData(Wire.readRestBytes(payload));
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeByte(HEADER).writeBytes(data);
    }

    public byte[] data() {
        return data.clone();
    }

    /** True for a one-byte status such as {@link #FAST_AUTH_SUCCESS}. */
    public boolean isStatus(int status) {
        return data.length == 1 && (data[0] & 0xFF) == status;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthMoreData m && Arrays.equals(data, m.data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "AuthMoreData{" + (data.length == 1 ? "status=" + data[0] : data.length + " bytes") + "}";
    }
}
