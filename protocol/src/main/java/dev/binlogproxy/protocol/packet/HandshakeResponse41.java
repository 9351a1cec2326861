package dev.binlogproxy.protocol.packet;

import static dev.binlogproxy.protocol.Capabilities.CLIENT_CONNECT_ATTRS;
import static dev.binlogproxy.protocol.Capabilities.CLIENT_CONNECT_WITH_DB;
import static dev.binlogproxy.protocol.Capabilities.CLIENT_MYSQL;
import static dev.binlogproxy.protocol.Capabilities.CLIENT_PLUGIN_AUTH;
import static dev.binlogproxy.protocol.Capabilities.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;
import static dev.binlogproxy.protocol.Capabilities.CLIENT_PROTOCOL_41;
import static dev.binlogproxy.protocol.Capabilities.CLIENT_SECURE_CONNECTION;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import dev.binlogproxy.protocol.Capabilities;
import dev.binlogproxy.protocol.MalformedPacketException;
import dev.binlogproxy.protocol.Wire;

import io.netty.buffer.ByteBuf;

/**
 * The client's answer to the greeting (sequence 1, or 2 after an {@link SslRequest} and the TLS handshake).
 *
 * <pre>
 * 4   client capability flags (low 32 bits)
 * 4   max packet size
 * 1   collation
 * 19  zeros
 * 4   MariaDB extended client capabilities when the client clears CLIENT_MYSQL, else zeros
 *     -- the 32 bytes above are exactly an SslRequest --
 * NUL user name
 * ..  auth response: lenenc if PLUGIN_AUTH_LENENC_CLIENT_DATA, 1-byte length if SECURE_CONNECTION, else NUL-ended
 * NUL database                    if CONNECT_WITH_DB
 * NUL auth plugin name            if PLUGIN_AUTH
 * ..  lenenc total length, then lenenc key/value pairs   if CONNECT_ATTRS
 * </pre>
 *
 * See https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_handshake_response.html
 */
public final class HandshakeResponse41 implements WireMessage {

    /** Length of the fixed part, which is also the whole of an {@link SslRequest}. */
    public static final int FIXED_LENGTH = 32;

    private final long capabilities;
    private final long maxPacketSize;
    private final int collation;
    private final String user;
    private final byte[] authResponse;
    private final String database;
    private final String authPluginName;
    private final Map<String, String> connectAttributes;

    /**
     * The optional parts must match the flags: {@code database} non-null exactly with CONNECT_WITH_DB,
     * {@code authPluginName} with PLUGIN_AUTH, {@code connectAttributes} non-empty only with CONNECT_ATTRS.
     */
    public HandshakeResponse41(long capabilities, long maxPacketSize, int collation, String user, byte[] authResponse,
                               String database, String authPluginName, Map<String, String> connectAttributes) {
        if (!Capabilities.has(capabilities, CLIENT_PROTOCOL_41)) {
            throw new IllegalArgumentException("HandshakeResponse41 needs CLIENT_PROTOCOL_41: "
                    + Capabilities.toString(capabilities));
        }
        this.capabilities = capabilities;
        if (maxPacketSize < 0 || maxPacketSize > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("maxPacketSize: " + maxPacketSize);
        }
        this.maxPacketSize = maxPacketSize;
        this.collation = HandshakeV10.checkByte(collation, "collation");
        this.user = Objects.requireNonNull(user, "user");
        this.authResponse = authResponse.clone();
        if (!Capabilities.has(capabilities, CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA)
                && Capabilities.has(capabilities, CLIENT_SECURE_CONNECTION) && authResponse.length > 255) {
            throw new IllegalArgumentException("auth response of " + authResponse.length
                    + " bytes needs CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA");
        }
        if ((database != null) != Capabilities.has(capabilities, CLIENT_CONNECT_WITH_DB)) {
            throw new IllegalArgumentException("database " + database + " vs CONNECT_WITH_DB in "
                    + Capabilities.toString(capabilities));
        }
        this.database = database;
        if ((authPluginName != null) != Capabilities.has(capabilities, CLIENT_PLUGIN_AUTH)) {
            throw new IllegalArgumentException("authPluginName " + authPluginName + " vs PLUGIN_AUTH in "
                    + Capabilities.toString(capabilities));
        }
        this.authPluginName = authPluginName;
        Map<String, String> attrs = connectAttributes == null ? Map.of() : connectAttributes;
        if (!attrs.isEmpty() && !Capabilities.has(capabilities, CLIENT_CONNECT_ATTRS)) {
            throw new IllegalArgumentException("connect attributes without CLIENT_CONNECT_ATTRS");
        }
        this.connectAttributes = Collections.unmodifiableMap(new LinkedHashMap<>(attrs));
    }

    public static HandshakeResponse41 decode(ByteBuf payload) {
        int capsLow = (int) Wire.readUInt32(payload, "client capability flags");
        long maxPacket = Wire.readUInt32(payload, "max packet size");
        int collation = Wire.readUInt8(payload, "collation");
        Wire.require(payload, 23, "filler");
        payload.skipBytes(19);
        int extended = payload.readIntLE();
        long caps = Capabilities.combine(capsLow, (capsLow & CLIENT_MYSQL) == 0 ? extended : 0);
        if (!Capabilities.has(caps, CLIENT_PROTOCOL_41)) {
            throw new MalformedPacketException("handshake response without CLIENT_PROTOCOL_41: "
                    + Capabilities.toString(caps));
        }
        String user = Wire.readNulString(payload, "user");
        byte[] auth;
        if (Capabilities.has(caps, CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA)) {
            auth = Wire.readLenencBytes(payload, "auth response");
        } else if (Capabilities.has(caps, CLIENT_SECURE_CONNECTION)) {
            auth = Wire.readBytes(payload, Wire.readUInt8(payload, "auth response length"), "auth response");
        } else {
            auth = Wire.readNulBytes(payload, "auth response");
        }
        String database = null;
        if (Capabilities.has(caps, CLIENT_CONNECT_WITH_DB)) {
            // Clients send CONNECT_WITH_DB and then end the packet when no database was given.
            database = payload.isReadable() ? Wire.readNulString(payload, "database") : "";
        }
        String plugin = null;
        if (Capabilities.has(caps, CLIENT_PLUGIN_AUTH)) {
            plugin = payload.isReadable() ? Wire.readNulString(payload, "auth plugin name") : "";
        }
        Map<String, String> attrs = new LinkedHashMap<>();
        if (Capabilities.has(caps, CLIENT_CONNECT_ATTRS) && payload.isReadable()) {
            long total = Wire.readLenencInt(payload, "connect attributes length");
            if (total < 0 || total > payload.readableBytes()) {
                throw new MalformedPacketException("connect attributes length " + total + " but "
                        + payload.readableBytes() + " bytes left");
            }
            ByteBuf attrBytes = payload.readSlice((int) total);
            while (attrBytes.isReadable()) {
                String key = Wire.readLenencString(attrBytes, "connect attribute name");
                attrs.put(key, Wire.readLenencString(attrBytes, "connect attribute value"));
            }
        }
        return new HandshakeResponse41(caps, maxPacket, collation, user, auth, database, plugin, attrs);
    }

    @Override
    public void encode(ByteBuf out) {
        SslRequest.encodeFixedPart(out, capabilities, maxPacketSize, collation);
        Wire.writeNulString(out, user);
        if (Capabilities.has(capabilities, CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA)) {
            Wire.writeLenencBytes(out, authResponse);
        } else if (Capabilities.has(capabilities, CLIENT_SECURE_CONNECTION)) {
            out.writeByte(authResponse.length).writeBytes(authResponse);
        } else {
            out.writeBytes(authResponse).writeByte(0);
        }
        if (database != null) {
            Wire.writeNulString(out, database);
        }
        if (authPluginName != null) {
            Wire.writeNulString(out, authPluginName);
        }
        if (Capabilities.has(capabilities, CLIENT_CONNECT_ATTRS)) {
            int start = out.writerIndex();
            // Written once to learn the length, then moved behind its lenenc prefix.
            for (Map.Entry<String, String> e : connectAttributes.entrySet()) {
                Wire.writeLenencString(out, e.getKey());
                Wire.writeLenencString(out, e.getValue());
            }
            int length = out.writerIndex() - start;
            byte[] attrs = new byte[length];
            out.getBytes(start, attrs);
            out.writerIndex(start);
            Wire.writeLenencBytes(out, attrs);
        }
    }

    /** Bits 32..63: MariaDB extended capabilities (sent only with CLIENT_MYSQL cleared). */
    public long capabilities() {
        return capabilities;
    }

    public boolean hasCapability(long flag) {
        return Capabilities.has(capabilities, flag);
    }

    public long maxPacketSize() {
        return maxPacketSize;
    }

    public int collation() {
        return collation;
    }

    public String user() {
        return user;
    }

    public byte[] authResponse() {
        return authResponse.clone();
    }

    /** Null without CONNECT_WITH_DB; empty when the flag was set but no name sent. */
    public String database() {
        return database;
    }

    /** Null without PLUGIN_AUTH. */
    public String authPluginName() {
        return authPluginName;
    }

    /** In the order sent; empty without CONNECT_ATTRS. */
    public Map<String, String> connectAttributes() {
        return connectAttributes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HandshakeResponse41 r && capabilities == r.capabilities
                && maxPacketSize == r.maxPacketSize && collation == r.collation && user.equals(r.user)
                && Arrays.equals(authResponse, r.authResponse) && Objects.equals(database, r.database)
                && Objects.equals(authPluginName, r.authPluginName)
                && connectAttributes.equals(r.connectAttributes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(capabilities, user, database, authPluginName);
    }

    @Override
    public String toString() {
        return "HandshakeResponse41{capabilities=" + Capabilities.toString(capabilities) + ", maxPacketSize="
                + maxPacketSize + ", collation=" + collation + ", user=" + user + ", authResponse="
                + authResponse.length + " bytes, database=" + database + ", plugin=" + authPluginName
                + ", attributes=" + connectAttributes + "}";
    }
}
