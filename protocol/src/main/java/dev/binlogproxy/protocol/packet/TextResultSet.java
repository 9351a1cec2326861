package dev.binlogproxy.protocol.packet;

import static dev.binlogproxy.protocol.Capabilities.CLIENT_DEPRECATE_EOF;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import dev.binlogproxy.protocol.Capabilities;
import dev.binlogproxy.protocol.ServerStatus;
import dev.binlogproxy.protocol.Wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * A complete text-protocol result set: columns and rows of nullable strings, plus the status and warnings of the
 * packet that ended it. Read one with {@link ResultSetReader}; {@link #encode(ByteBufAllocator, long)} writes one
 * the way mysqld does for the client's capabilities.
 *
 * <p>A statement that returns no result set (answered by OK) reads as a result set without columns.
 *
 * <pre>
 * column count (lenenc)
 * ColumnDefinition41 per column
 * EOF                              unless CLIENT_DEPRECATE_EOF
 * per row, per column: lenenc string, or 0xFB for NULL
 * EOF, or OK with header 0xFE under CLIENT_DEPRECATE_EOF
 * </pre>
 *
 * See https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset.html
 */
public final class TextResultSet {

    private final List<ColumnDefinition41> columns;
    private final List<List<String>> rows;
    private final int statusFlags;
    private final int warnings;

    /** Each row must have one value (null for SQL NULL) per column. */
    public TextResultSet(List<ColumnDefinition41> columns, List<List<String>> rows, int statusFlags, int warnings) {
        this.columns = List.copyOf(columns);
        List<List<String>> copy = new ArrayList<>(rows.size());
        for (List<String> row : rows) {
            if (row.size() != this.columns.size()) {
                throw new IllegalArgumentException("row of " + row.size() + " values for " + this.columns.size()
                        + " columns: " + row);
            }
            // Arrays.asList, not List.copyOf: values may be null.
            copy.add(Collections.unmodifiableList(Arrays.asList(row.toArray(new String[0]))));
        }
        this.rows = Collections.unmodifiableList(copy);
        this.statusFlags = statusFlags & 0xFFFF;
        this.warnings = warnings & 0xFFFF;
    }

    /** VAR_STRING columns with these names, autocommit status: what the downstream server answers with. */
    public static TextResultSet of(List<String> columnNames, List<List<String>> rows) {
        List<ColumnDefinition41> columns = new ArrayList<>(columnNames.size());
        for (String name : columnNames) {
            columns.add(ColumnDefinition41.varString(name));
        }
        return new TextResultSet(columns, rows, ServerStatus.SERVER_STATUS_AUTOCOMMIT, 0);
    }

    public List<ColumnDefinition41> columns() {
        return columns;
    }

    public List<String> columnNames() {
        List<String> names = new ArrayList<>(columns.size());
        for (ColumnDefinition41 c : columns) {
            names.add(c.name());
        }
        return Collections.unmodifiableList(names);
    }

    /** Unmodifiable rows; values are null for SQL NULL. */
    public List<List<String>> rows() {
        return rows;
    }

    /** The value at {@code row} in the column named {@code column} (case-insensitive, first match). */
    public String value(int row, String column) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equalsIgnoreCase(column)) {
                return rows.get(row).get(i);
            }
        }
        throw new IllegalArgumentException("no column " + column + " in " + columnNames());
    }

    public int statusFlags() {
        return statusFlags;
    }

    public int warnings() {
        return warnings;
    }

    /**
     * The payloads, in order, that send this result set to a client with {@code clientCapabilities}; they go out
     * with sequence ids 1, 2, ... after the query. The caller owns (releases) the buffers.
     */
    public List<ByteBuf> encode(ByteBufAllocator alloc, long clientCapabilities) {
        boolean deprecateEof = Capabilities.has(clientCapabilities, CLIENT_DEPRECATE_EOF);
        List<ByteBuf> payloads = new ArrayList<>(columns.size() + rows.size() + 3);
        try {
            ByteBuf count = alloc.buffer(9);
            payloads.add(count);
            Wire.writeLenencInt(count, columns.size());
            for (ColumnDefinition41 column : columns) {
                payloads.add(column.encode(alloc));
            }
            if (!deprecateEof) {
                payloads.add(new EofPacket(0, statusFlags).encode(alloc));
            }
            for (List<String> row : rows) {
                ByteBuf out = alloc.buffer();
                payloads.add(out);
                for (String value : row) {
                    if (value == null) {
                        out.writeByte(Wire.NULL_VALUE);
                    } else {
                        Wire.writeLenencString(out, value);
                    }
                }
            }
            payloads.add(deprecateEof ? OkPacket.endOfResultSet(statusFlags, warnings).encode(alloc)
                    : new EofPacket(warnings, statusFlags).encode(alloc));
            return payloads;
        } catch (RuntimeException e) {
            payloads.forEach(ByteBuf::release);
            throw e;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TextResultSet r && columns.equals(r.columns) && rows.equals(r.rows)
                && statusFlags == r.statusFlags && warnings == r.warnings;
    }

    @Override
    public int hashCode() {
        return Objects.hash(columns, rows, statusFlags, warnings);
    }

    @Override
    public String toString() {
        return "TextResultSet{columns=" + columnNames() + ", rows=" + rows + "}";
    }
}
