package dev.binlogproxy.protocol.packet;

import java.util.Objects;

import dev.binlogproxy.protocol.Collations;
import dev.binlogproxy.protocol.MalformedPacketException;
import dev.binlogproxy.protocol.Wire;

import io.netty.buffer.ByteBuf;

/**
 * One column of a result set.
 *
 * <pre>
 * len catalog ("def")
 * len schema
 * len table (alias)
 * len org_table
 * len name (alias)
 * len org_name
 * len length of the fixed fields (0x0C)
 * 2   collation
 * 4   column length
 * 1   type
 * 2   flags
 * 1   decimals
 * 2   filler
 * </pre>
 *
 * See https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset_column_definition.html
 */
public record ColumnDefinition41(String catalog, String schema, String table, String orgTable, String name,
                                 String orgName, int collation, long columnLength, int type, int flags,
                                 int decimals) implements WireMessage {

    /** MYSQL_TYPE_VAR_STRING: what the proxy's answers use for every column; every client takes it. */
    public static final int TYPE_VAR_STRING = 0xFD;
    public static final int TYPE_LONGLONG = 0x08;
    public static final int TYPE_VARCHAR = 0x0F;

    public static final int NOT_NULL_FLAG = 0x0001;

    private static final int FIXED_FIELDS_LENGTH = 0x0C;

    public ColumnDefinition41 {
        Objects.requireNonNull(catalog, "catalog");
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(orgTable, "orgTable");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(orgName, "orgName");
        ComRegisterSlave.checkUInt32(columnLength, "columnLength");
    }

    /** A computed VAR_STRING column in utf8mb4, as the downstream server's answers use. */
    public static ColumnDefinition41 varString(String name) {
        return new ColumnDefinition41("def", "", "", "", name, "", Collations.UTF8MB4_GENERAL_CI, 1024,
                TYPE_VAR_STRING, 0, 0x1F);
    }

    public static ColumnDefinition41 decode(ByteBuf payload) {
        String catalog = Wire.readLenencString(payload, "catalog");
        String schema = Wire.readLenencString(payload, "schema");
        String table = Wire.readLenencString(payload, "table");
        String orgTable = Wire.readLenencString(payload, "org_table");
        String name = Wire.readLenencString(payload, "name");
        String orgName = Wire.readLenencString(payload, "org_name");
        long fixed = Wire.readLenencInt(payload, "fixed fields length");
        if (fixed != FIXED_FIELDS_LENGTH) {
            throw new MalformedPacketException("column definition: fixed fields length " + fixed + " (expected: 12)");
        }
        int collation = Wire.readUInt16(payload, "collation");
        long length = Wire.readUInt32(payload, "column length");
        int type = Wire.readUInt8(payload, "type");
        int flags = Wire.readUInt16(payload, "flags");
        int decimals = Wire.readUInt8(payload, "decimals");
        Wire.readUInt16(payload, "filler");
        // COM_FIELD_LIST adds default values here; this project never sends that command.
        payload.skipBytes(payload.readableBytes());
        return new ColumnDefinition41(catalog, schema, table, orgTable, name, orgName, collation, length, type, flags,
                decimals);
    }

    @Override
    public void encode(ByteBuf out) {
        Wire.writeLenencString(out, catalog);
        Wire.writeLenencString(out, schema);
        Wire.writeLenencString(out, table);
        Wire.writeLenencString(out, orgTable);
        Wire.writeLenencString(out, name);
        Wire.writeLenencString(out, orgName);
        Wire.writeLenencInt(out, FIXED_FIELDS_LENGTH);
        out.writeShortLE(collation);
        out.writeIntLE((int) columnLength);
        out.writeByte(type);
        out.writeShortLE(flags);
        out.writeByte(decimals);
        out.writeZero(2);
    }
}
