package dev.binlogproxy.protocol.packet;

import java.util.Objects;

import dev.binlogproxy.protocol.MalformedPacketException;
import dev.binlogproxy.protocol.Wire;

import io.netty.buffer.ByteBuf;

/**
 * COM_REGISTER_SLAVE: a replica announces itself (it shows in SHOW REPLICAS / SHOW SLAVE HOSTS); answered with OK.
 *
 * <pre>
 * 1   0x15
 * 4   server id
 * 1+n report host (1-byte length)
 * 1+n report user
 * 1+n report password
 * 2   report port
 * 4   replication rank (unused, 0)
 * 4   master id (0: the master fills in its own)
 * </pre>
 *
 * See https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_register_slave.html
 */
public record ComRegisterSlave(long serverId, String host, String user, String password, int port, long rank,
                               long masterId) implements WireMessage {

    public ComRegisterSlave {
        checkUInt32(serverId, "serverId");
        checkShortString(host, "host");
        checkShortString(user, "user");
        checkShortString(password, "password");
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
        }
        checkUInt32(rank, "rank");
        checkUInt32(masterId, "masterId");
    }

    static void checkUInt32(long value, String field) {
        if (value < 0 || value > 0xFFFFFFFFL) {
            throw new IllegalArgumentException(field + ": " + value + " (expected: 0..4294967295)");
        }
    }

    private static void checkShortString(String s, String field) {
        Objects.requireNonNull(s, field);
        if (Wire.utf8(s).length > 255) {
            throw new IllegalArgumentException(field + ": longer than 255 bytes");
        }
    }

    public static ComRegisterSlave decode(ByteBuf payload) {
        Commands.expect(payload, Commands.COM_REGISTER_SLAVE);
        long serverId = Wire.readUInt32(payload, "server id");
        String host = Wire.readFixedString(payload, Wire.readUInt8(payload, "host length"), "host");
        String user = Wire.readFixedString(payload, Wire.readUInt8(payload, "user length"), "user");
        String password = Wire.readFixedString(payload, Wire.readUInt8(payload, "password length"), "password");
        int port = Wire.readUInt16(payload, "port");
        long rank = Wire.readUInt32(payload, "rank");
        long masterId = Wire.readUInt32(payload, "master id");
        try {
            return new ComRegisterSlave(serverId, host, user, password, port, rank, masterId);
        } catch (IllegalArgumentException e) {
            // bytes that are not UTF-8 decode to U+FFFD, three bytes each: a 255-byte field can come out longer
            throw new MalformedPacketException("COM_REGISTER_SLAVE: " + e.getMessage());
        }
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeByte(Commands.COM_REGISTER_SLAVE);
        out.writeIntLE((int) serverId);
        writeShortString(out, host);
        writeShortString(out, user);
        writeShortString(out, password);
        out.writeShortLE(port);
        out.writeIntLE((int) rank);
        out.writeIntLE((int) masterId);
    }

    private static void writeShortString(ByteBuf out, String s) {
        byte[] bytes = Wire.utf8(s);
        out.writeByte(bytes.length).writeBytes(bytes);
    }

    @Override
    public String toString() {
        // The password is a replica's report_password: keep it out of logs.
        return "ComRegisterSlave{serverId=" + serverId + ", host=" + host + ", user=" + user + ", port=" + port
                + ", rank=" + rank + ", masterId=" + masterId + "}";
    }
}
