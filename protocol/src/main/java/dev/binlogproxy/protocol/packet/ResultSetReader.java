package dev.binlogproxy.protocol.packet;

import static dev.binlogproxy.protocol.Capabilities.CLIENT_DEPRECATE_EOF;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.binlogproxy.protocol.Capabilities;
import dev.binlogproxy.protocol.MalformedPacketException;
import dev.binlogproxy.protocol.Wire;

import io.netty.buffer.ByteBuf;

/**
 * Assembles the response to a COM_QUERY from its packets' payloads into a {@link TextResultSet}: a state machine fed
 * one payload at a time, so it works from a Netty handler and from a blocking loop alike. An ERR at any point
 * becomes the server's {@link dev.binlogproxy.protocol.MySqlProtocolException}; an OK instead of a column count is a
 * statement without a result set and completes at once (no columns, no rows).
 *
 * <p>{@code capabilities} are the ones the client sent: CLIENT_DEPRECATE_EOF decides whether an EOF follows the
 * column definitions and whether the end is an EOF or an OK with header 0xFE. One reader per query; not
 * thread-safe.
 */
public final class ResultSetReader {

    private enum State { COLUMN_COUNT, COLUMNS, COLUMNS_EOF, ROWS, DONE }

    /** A 0xFE row packet this long or longer is a row whose first value has an 8-byte length, not the end. */
    private static final int MAX_TERMINATOR_LENGTH = 0xFFFFFF;

    private final boolean deprecateEof;
    private State state = State.COLUMN_COUNT;
    private int columnCount;
    private final List<ColumnDefinition41> columns = new ArrayList<>();
    private final List<List<String>> rows = new ArrayList<>();

    public ResultSetReader(long capabilities) {
        this.deprecateEof = Capabilities.has(capabilities, CLIENT_DEPRECATE_EOF);
    }

    /**
     * Takes the next payload of the response (the caller still owns and releases it). Returns the result set once
     * this payload completed it, empty while more packets are needed.
     *
     * @throws dev.binlogproxy.protocol.MySqlProtocolException the server's ERR
     * @throws MalformedPacketException a payload that does not fit the response
     * @throws IllegalStateException when called after the response completed
     */
    public Optional<TextResultSet> accept(ByteBuf payload) {
        int first = payload.isReadable() ? payload.getUnsignedByte(payload.readerIndex()) : -1;
        if (first == ErrPacket.HEADER && state != State.DONE) {
            state = State.DONE;
            throw ErrPacket.decode(payload).toException();
        }
        switch (state) {
            case COLUMN_COUNT:
                if (first == OkPacket.HEADER) {
                    OkPacket ok = OkPacket.decode(payload);
                    return finish(ok.statusFlags(), ok.warnings());
                }
                if (first == Wire.NULL_VALUE) {
                    throw new MalformedPacketException("LOCAL INFILE request: not supported here");
                }
                long count = Wire.readLenencInt(payload, "column count");
                if (count <= 0 || count > 4096) {
                    throw new MalformedPacketException("column count: " + count + " (expected: 1..4096)");
                }
                columnCount = (int) count;
                state = State.COLUMNS;
                return Optional.empty();
            case COLUMNS:
                columns.add(ColumnDefinition41.decode(payload));
                if (columns.size() == columnCount) {
                    state = deprecateEof ? State.ROWS : State.COLUMNS_EOF;
                }
                return Optional.empty();
            case COLUMNS_EOF:
                EofPacket.decode(payload);
                state = State.ROWS;
                return Optional.empty();
            case ROWS:
                if (first == EofPacket.HEADER && !deprecateEof && EofPacket.isEof(payload)) {
                    EofPacket eof = EofPacket.decode(payload);
                    return finish(eof.statusFlags(), eof.warnings());
                }
                if (first == OkPacket.EOF_HEADER && deprecateEof && payload.readableBytes() < MAX_TERMINATOR_LENGTH) {
                    OkPacket ok = OkPacket.decode(payload);
                    return finish(ok.statusFlags(), ok.warnings());
                }
                rows.add(readRow(payload));
                return Optional.empty();
            case DONE:
            default:
                throw new IllegalStateException("result set already complete");
        }
    }

    private List<String> readRow(ByteBuf payload) {
        List<String> row = new ArrayList<>(columnCount);
        for (int i = 0; i < columnCount; i++) {
            if (payload.isReadable() && payload.getUnsignedByte(payload.readerIndex()) == Wire.NULL_VALUE) {
                payload.skipBytes(1);
                row.add(null);
            } else {
                row.add(Wire.readLenencString(payload, "row " + rows.size() + " column " + i));
            }
        }
        if (payload.isReadable()) {
            throw new MalformedPacketException("row " + rows.size() + ": " + payload.readableBytes()
                    + " bytes after " + columnCount + " values");
        }
        return row;
    }

    private Optional<TextResultSet> finish(int statusFlags, int warnings) {
        state = State.DONE;
        return Optional.of(new TextResultSet(columns, rows, statusFlags, warnings));
    }

    public boolean isDone() {
        return state == State.DONE;
    }
}
