package dev.binlogproxy.protocol.packet;

import java.util.Arrays;
import java.util.Objects;

import dev.binlogproxy.protocol.Wire;

import io.netty.buffer.ByteBuf;

/**
 * Server to client during authentication: "use this plugin with this data instead" (0xFE header).
 *
 * <pre>
 * 1   0xFE
 * NUL plugin name
 * n   plugin data (rest of the packet)
 * </pre>
 *
 * For mysql_native_password and caching_sha2_password the data is the new 20-byte scramble followed by a NUL that
 * MySQL 8.0.15 and MariaDB 10.11 both send (and libmysqlclient-based clients expect): {@link #pluginData()} keeps
 * the bytes as sent, {@link #scramble()} drops that NUL.
 *
 * See https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_auth_switch_request.html
 */
public final class AuthSwitchRequest implements WireMessage {

    public static final int HEADER = 0xFE;

    private final String pluginName;
    private final byte[] pluginData;

    public AuthSwitchRequest(String pluginName, byte[] pluginData) {
        this.pluginName = Objects.requireNonNull(pluginName, "pluginName");
        this.pluginData = pluginData.clone();
    }

    /** What a MySQL server sends: the scramble plus the trailing NUL. */
    public static AuthSwitchRequest withScramble(String pluginName, byte[] scramble) {
        byte[] data = Arrays.copyOf(scramble, scramble.length + 1);
        return new AuthSwitchRequest(pluginName, data);
    }

    public static AuthSwitchRequest decode(ByteBuf payload) {
        Commands.expectHeader(payload, HEADER, "auth switch request");
        String plugin = Wire.readNulString(payload, "auth switch plugin name");
        return new AuthSwitchRequest(plugin, Wire.readRestBytes(payload));
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeByte(HEADER);
        Wire.writeNulString(out, pluginName);
        out.writeBytes(pluginData);
    }

    public String pluginName() {
        return pluginName;
    }

    /** The data exactly as sent. */
    public byte[] pluginData() {
        return pluginData.clone();
    }

    /** The data without a trailing NUL: the scramble for the password plugins. */
    public byte[] scramble() {
        int n = pluginData.length;
        return n > 0 && pluginData[n - 1] == 0 ? Arrays.copyOf(pluginData, n - 1) : pluginData.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthSwitchRequest r && pluginName.equals(r.pluginName)
                && Arrays.equals(pluginData, r.pluginData);
    }

    @Override
    public int hashCode() {
        return pluginName.hashCode() * 31 + Arrays.hashCode(pluginData);
    }

    @Override
    public String toString() {
        return "AuthSwitchRequest{plugin=" + pluginName + ", data=" + pluginData.length + " bytes}";
    }
}
