package dev.binlogproxy.protocol.packet;

import java.util.Objects;

import dev.binlogproxy.protocol.Wire;

import io.netty.buffer.ByteBuf;

/**
 * COM_BINLOG_DUMP: stream binlog events from a file and position. The master answers with event packets (0x00 +
 * event), no OK first; with {@link #BINLOG_DUMP_NON_BLOCK} (or server id 0) an EOF when it runs out.
 *
 * <pre>
 * 1   0x12
 * 4   binlog position (a 4-byte field: files past 4 GiB need COM_BINLOG_DUMP_GTID)
 * 2   flags
 * 4   server id of the replica
 * ..  binlog file name (rest of packet, no NUL); empty = the oldest file
 * </pre>
 *
 * See https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_binlog_dump.html
 */
public record ComBinlogDump(long position, int flags, long serverId, String fileName) implements WireMessage {

    /** Send an EOF at the end of the binlog instead of waiting for more. */
    public static final int BINLOG_DUMP_NON_BLOCK = 0x01;
    /**
     * MariaDB: also send ANNOTATE_ROWS events (the SQL text before row events); without it MariaDB leaves them out
     * of the stream, so the bytes a replica receives are not the whole file.
     */
    public static final int MARIADB_SEND_ANNOTATE_ROWS_EVENT = 0x02;
    /** MySQL 8.0.26+: the same bit asks for HEARTBEAT_LOG_EVENT_V2 (41). Decode bit 0x02 per flavor. */
    public static final int MYSQL_USE_HEARTBEAT_EVENT_V2 = 0x02;

    public ComBinlogDump {
        ComRegisterSlave.checkUInt32(position, "position");
        if (flags < 0 || flags > 0xFFFF) {
            throw new IllegalArgumentException("flags: " + flags + " (expected: 0..65535)");
        }
        ComRegisterSlave.checkUInt32(serverId, "serverId");
        Objects.requireNonNull(fileName, "fileName");
    }

    public static ComBinlogDump decode(ByteBuf payload) {
        Commands.expect(payload, Commands.COM_BINLOG_DUMP);
        long position = Wire.readUInt32(payload, "binlog position");
        int flags = Wire.readUInt16(payload, "flags");
        long serverId = Wire.readUInt32(payload, "server id");
        return new ComBinlogDump(position, flags, serverId, Wire.readRestString(payload));
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeByte(Commands.COM_BINLOG_DUMP);
        out.writeIntLE((int) position);
        out.writeShortLE(flags);
        out.writeIntLE((int) serverId);
        out.writeBytes(Wire.utf8(fileName));
    }

    public boolean nonBlocking() {
        return (flags & BINLOG_DUMP_NON_BLOCK) != 0 || serverId == 0;
    }
}
