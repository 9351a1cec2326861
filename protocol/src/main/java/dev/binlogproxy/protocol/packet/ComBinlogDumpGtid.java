package dev.binlogproxy.protocol.packet;

import java.util.Arrays;
import java.util.Objects;

import dev.binlogproxy.protocol.MalformedPacketException;
import dev.binlogproxy.protocol.Wire;

import io.netty.buffer.ByteBuf;

/**
 * COM_BINLOG_DUMP_GTID (MySQL): stream binlog events the replica does not have yet.
 *
 * <pre>
 * 1   0x1E
 * 2   flags          (BINLOG_DUMP_NON_BLOCK 0x01, BINLOG_THROUGH_POSITION 0x02, BINLOG_THROUGH_GTID 0x04)
 * 4   server id
 * 4   binlog file name length
 * n   binlog file name (usually empty with auto-positioning)
 * 8   binlog position (usually 4)
 * 4   GTID data length
 * n   encoded GTID set: the set the replica has executed, encoded as in {@code MySqlGtidSet.encode()}
 * </pre>
 *
 * mysqld reads the GTID data length whatever the flags say, so it is always written; clients still set
 * BINLOG_THROUGH_GTID by convention. The GTID set stays raw bytes here so this layer needs no GTID model.
 *
 * See https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_binlog_dump_gtid.html
 */
public final class ComBinlogDumpGtid implements WireMessage {

    public static final int BINLOG_DUMP_NON_BLOCK = 0x01;
    public static final int BINLOG_THROUGH_POSITION = 0x02;
    public static final int BINLOG_THROUGH_GTID = 0x04;

    private final int flags;
    private final long serverId;
    private final String fileName;
    private final long position;
    private final byte[] gtidSet;

    public ComBinlogDumpGtid(int flags, long serverId, String fileName, long position, byte[] gtidSet) {
        if (flags < 0 || flags > 0xFFFF) {
            throw new IllegalArgumentException("flags: " + flags + " (expected: 0..65535)");
        }
        ComRegisterSlave.checkUInt32(serverId, "serverId");
        this.flags = flags;
        this.serverId = serverId;
        this.fileName = Objects.requireNonNull(fileName, "fileName");
        this.position = position;
        this.gtidSet = gtidSet.clone();
    }

    public static ComBinlogDumpGtid decode(ByteBuf payload) {
        Commands.expect(payload, Commands.COM_BINLOG_DUMP_GTID);
        int flags = Wire.readUInt16(payload, "flags");
        long serverId = Wire.readUInt32(payload, "server id");
        long nameLength = Wire.readUInt32(payload, "binlog name length");
        if (nameLength > payload.readableBytes()) {
            throw new MalformedPacketException("binlog name length " + nameLength + " but " + payload.readableBytes()
                    + " bytes left");
        }
        String fileName = Wire.readFixedString(payload, (int) nameLength, "binlog name");
        long position = Wire.readInt64(payload, "binlog position");
        byte[] gtids = new byte[0];
        // Old clients without BINLOG_THROUGH_GTID may end the packet here.
        if (payload.isReadable()) {
            long dataLength = Wire.readUInt32(payload, "GTID data length");
            if (dataLength > payload.readableBytes()) {
                throw new MalformedPacketException("GTID data length " + dataLength + " but "
                        + payload.readableBytes() + " bytes left");
            }
            gtids = Wire.readBytes(payload, (int) dataLength, "GTID data");
        }
        return new ComBinlogDumpGtid(flags, serverId, fileName, position, gtids);
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeByte(Commands.COM_BINLOG_DUMP_GTID);
        out.writeShortLE(flags);
        out.writeIntLE((int) serverId);
        byte[] name = Wire.utf8(fileName);
        out.writeIntLE(name.length);
        out.writeBytes(name);
        out.writeLongLE(position);
        out.writeIntLE(gtidSet.length);
        out.writeBytes(gtidSet);
    }

    public int flags() {
        return flags;
    }

    public long serverId() {
        return serverId;
    }

    public String fileName() {
        return fileName;
    }

    public long position() {
        return position;
    }

    /** The encoded GTID set (n_sids, then per sid UUID and intervals). */
    public byte[] gtidSet() {
        return gtidSet.clone();
    }

    public boolean nonBlocking() {
        return (flags & BINLOG_DUMP_NON_BLOCK) != 0 || serverId == 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ComBinlogDumpGtid d && flags == d.flags && serverId == d.serverId
                && position == d.position && fileName.equals(d.fileName) && Arrays.equals(gtidSet, d.gtidSet);
    }

    @Override
    public int hashCode() {
        return Objects.hash(flags, serverId, fileName, position, Arrays.hashCode(gtidSet));
    }

    @Override
    public String toString() {
        return "ComBinlogDumpGtid{flags=0x" + Integer.toHexString(flags) + ", serverId=" + serverId + ", file="
                + fileName + ", position=" + position + ", gtidSet=" + gtidSet.length + " bytes}";
    }
}
