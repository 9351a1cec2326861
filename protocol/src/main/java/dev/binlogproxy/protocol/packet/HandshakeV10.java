package dev.binlogproxy.protocol.packet;

import static dev.binlogproxy.protocol.Capabilities.CLIENT_MYSQL;
import static dev.binlogproxy.protocol.Capabilities.CLIENT_PLUGIN_AUTH;
import static dev.binlogproxy.protocol.Capabilities.CLIENT_SECURE_CONNECTION;

import java.util.Arrays;
import java.util.Objects;

import dev.binlogproxy.protocol.Capabilities;
import dev.binlogproxy.protocol.MalformedPacketException;
import dev.binlogproxy.protocol.Wire;

import io.netty.buffer.ByteBuf;

/**
 * The server's greeting (protocol version 10), sent at sequence id 0 as soon as a client connects.
 *
 * <pre>
 * 1   0x0A protocol version
 * NUL server version              MariaDB: "5.5.5-10.11.x-MariaDB..." (the prefix keeps old clients working)
 * 4   connection id
 * 8   scramble part 1
 * 1   0x00 filler
 * 2   capability flags, low 16 bits
 * 1   collation
 * 2   status flags
 * 2   capability flags, high 16 bits
 * 1   auth plugin data length     (scramble + NUL = 21) if CLIENT_PLUGIN_AUTH, else 0
 * 6   reserved zeros
 * 4   MariaDB extended capabilities when CLIENT_MYSQL (bit 0) is cleared, else reserved zeros
 * n   scramble part 2 + NUL       n = max(13, auth plugin data length - 8), if CLIENT_SECURE_CONNECTION
 * NUL auth plugin name            if CLIENT_PLUGIN_AUTH
 * </pre>
 *
 * See https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_handshake_v10.html
 */
public final class HandshakeV10 implements WireMessage {

    public static final int PROTOCOL_VERSION = 10;
    /** mysqld's scramble length; its bytes are printable (0x01..0x7F), which some clients rely on. */
    public static final int SCRAMBLE_LENGTH = 20;
    /** MariaDB versions start with this so that clients reading "major >= 5" keep working. */
    public static final String MARIADB_VERSION_PREFIX = "5.5.5-";

    private static final int SCRAMBLE_PART1 = 8;
    private static final int RESERVED = 10;

    private final String serverVersion;
    private final long connectionId;
    private final byte[] scramble;
    private final long capabilities;
    private final int collation;
    private final int statusFlags;
    private final String authPluginName;

    /**
     * {@code capabilities}: bits 32..63 are MariaDB extended capabilities, sent only when bit 0 is cleared.
     * {@code authPluginName} may be null only without CLIENT_PLUGIN_AUTH.
     */
    public HandshakeV10(String serverVersion, long connectionId, byte[] scramble, long capabilities, int collation,
                        int statusFlags, String authPluginName) {
        this.serverVersion = Objects.requireNonNull(serverVersion, "serverVersion");
        if (connectionId < 0 || connectionId > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("connectionId: " + connectionId + " (expected: 0..2^32-1)");
        }
        this.connectionId = connectionId;
        this.scramble = scramble.clone();
        if (Capabilities.has(capabilities, CLIENT_SECURE_CONNECTION) ? scramble.length < SCRAMBLE_PART1
                : scramble.length != SCRAMBLE_PART1) {
            throw new IllegalArgumentException("scramble: " + scramble.length + " bytes");
        }
        if (Capabilities.has(capabilities, CLIENT_MYSQL) && Capabilities.mariaDbExtended(capabilities) != 0) {
            throw new IllegalArgumentException("MariaDB extended capabilities need CLIENT_MYSQL cleared: "
                    + Capabilities.toString(capabilities));
        }
        this.capabilities = capabilities;
        this.collation = checkByte(collation, "collation");
        this.statusFlags = statusFlags & 0xFFFF;
        if (Capabilities.has(capabilities, CLIENT_PLUGIN_AUTH) && authPluginName == null) {
            throw new IllegalArgumentException("authPluginName: null with CLIENT_PLUGIN_AUTH");
        }
        this.authPluginName = authPluginName;
    }

    static int checkByte(int value, String field) {
        if (value < 0 || value > 0xFF) {
            throw new IllegalArgumentException(field + ": " + value + " (expected: 0..255)");
        }
        return value;
    }

    public static HandshakeV10 decode(ByteBuf payload) {
        int version = Wire.readUInt8(payload, "protocol version");
        if (version != PROTOCOL_VERSION) {
            throw new MalformedPacketException("greeting: protocol version " + version + " (expected: 10)");
        }
        String serverVersion = Wire.readNulString(payload, "server version");
        long connectionId = Wire.readUInt32(payload, "connection id");
        byte[] part1 = Wire.readBytes(payload, SCRAMBLE_PART1, "scramble part 1");
        Wire.readUInt8(payload, "filler");
        int capsLow = Wire.readUInt16(payload, "capability flags");
        int collation = Wire.readUInt8(payload, "collation");
        int status = Wire.readUInt16(payload, "status flags");
        int capsHigh = Wire.readUInt16(payload, "capability flags (upper)");
        int authDataLength = Wire.readUInt8(payload, "auth plugin data length");
        byte[] reserved = Wire.readBytes(payload, RESERVED, "reserved");
        long capabilities = (capsLow | (long) capsHigh << 16);
        if ((capabilities & CLIENT_MYSQL) == 0) {
            int extended = (reserved[6] & 0xFF) | (reserved[7] & 0xFF) << 8 | (reserved[8] & 0xFF) << 16
                    | (reserved[9] & 0xFF) << 24;
            capabilities = Capabilities.combine((int) capabilities, extended);
        }
        byte[] scramble = part1;
        if (Capabilities.has(capabilities, CLIENT_SECURE_CONNECTION)) {
            int part2Length = Math.max(13, authDataLength - SCRAMBLE_PART1);
            byte[] part2 = Wire.readBytes(payload, part2Length, "scramble part 2");
            // The last byte is the terminating NUL, not scramble.
            int keep = part2[part2Length - 1] == 0 ? part2Length - 1 : part2Length;
            scramble = Arrays.copyOf(part1, SCRAMBLE_PART1 + keep);
            System.arraycopy(part2, 0, scramble, SCRAMBLE_PART1, keep);
        }
        String plugin = null;
        if (Capabilities.has(capabilities, CLIENT_PLUGIN_AUTH)) {
            // MySQL 5.5.7..5.5.9 forgot the NUL; take the rest of the packet then.
            plugin = payload.indexOf(payload.readerIndex(), payload.writerIndex(), (byte) 0) >= 0
                    ? Wire.readNulString(payload, "auth plugin name") : Wire.readRestString(payload);
        }
        return new HandshakeV10(serverVersion, connectionId, scramble, capabilities, collation, status, plugin);
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeByte(PROTOCOL_VERSION);
        Wire.writeNulString(out, serverVersion);
        out.writeIntLE((int) connectionId);
        out.writeBytes(scramble, 0, SCRAMBLE_PART1);
        out.writeByte(0);
        int low32 = Capabilities.low32(capabilities);
        out.writeShortLE(low32);
        out.writeByte(collation);
        out.writeShortLE(statusFlags);
        out.writeShortLE(low32 >>> 16);
        boolean secure = Capabilities.has(capabilities, CLIENT_SECURE_CONNECTION);
        boolean pluginAuth = Capabilities.has(capabilities, CLIENT_PLUGIN_AUTH);
        out.writeByte(pluginAuth ? scramble.length + 1 : 0);
        out.writeZero(6);
        out.writeIntLE((capabilities & CLIENT_MYSQL) == 0 ? Capabilities.mariaDbExtended(capabilities) : 0);
        if (secure) {
            out.writeBytes(scramble, SCRAMBLE_PART1, scramble.length - SCRAMBLE_PART1);
            // Part 2 is at least 13 bytes on the wire, its NUL included.
            out.writeZero(Math.max(1, 13 - (scramble.length - SCRAMBLE_PART1)));
        }
        if (pluginAuth) {
            Wire.writeNulString(out, authPluginName);
        }
    }

    public String serverVersion() {
        return serverVersion;
    }

    public long connectionId() {
        return connectionId;
    }

    /** The auth plugin data without its terminating NUL: 20 bytes from MySQL and MariaDB. */
    public byte[] scramble() {
        return scramble.clone();
    }

    /** All capability bits, MariaDB's extended ones in bits 32..63. */
    public long capabilities() {
        return capabilities;
    }

    public boolean hasCapability(long flag) {
        return Capabilities.has(capabilities, flag);
    }

    public int collation() {
        return collation;
    }

    public int statusFlags() {
        return statusFlags;
    }

    /** Null when the server does not speak CLIENT_PLUGIN_AUTH. */
    public String authPluginName() {
        return authPluginName;
    }

    public boolean isMariaDb() {
        return serverVersion.contains("MariaDB");
    }

    /** MariaDB's extended capability bits (0 from MySQL, or from a MariaDB with CLIENT_MYSQL set). */
    public int mariaDbExtendedCapabilities() {
        return Capabilities.mariaDbExtended(capabilities);
    }

    /** The version without MariaDB's compatibility prefix, e.g. {@code 10.11.6-MariaDB-log}. */
    public String displayVersion() {
        return isMariaDb() && serverVersion.startsWith(MARIADB_VERSION_PREFIX)
                ? serverVersion.substring(MARIADB_VERSION_PREFIX.length()) : serverVersion;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HandshakeV10 h && connectionId == h.connectionId && capabilities == h.capabilities
                && collation == h.collation && statusFlags == h.statusFlags && serverVersion.equals(h.serverVersion)
                && Arrays.equals(scramble, h.scramble) && Objects.equals(authPluginName, h.authPluginName);
    }

    @Override
    public int hashCode() {
        return Objects.hash(serverVersion, connectionId, capabilities, Arrays.hashCode(scramble));
    }

    @Override
    public String toString() {
        return "HandshakeV10{version=" + serverVersion + ", connectionId=" + connectionId
                + ", capabilities=" + Capabilities.toString(capabilities) + ", collation=" + collation
                + ", status=0x" + Integer.toHexString(statusFlags) + ", plugin=" + authPluginName + "}";
    }
}
