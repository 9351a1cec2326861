package dev.binlogproxy.binlog.event;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ByteSink;
import dev.binlogproxy.binlog.Bytes;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;

import java.nio.ByteBuffer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * QUERY_EVENT (2): post-header thread_id (4), exec_time (4), db_len (1), error_code (2), status_vars_len (2);
 * then the status variables (kept raw: only their length matters here), the default database + NUL, the statement.
 * The statement is kept as raw bytes because its charset is whatever the client used; {@link #sql()} decodes it
 * for boundary checks, which only look at ASCII keywords.
 */
public record Query(EventHeader header, long threadId, long execTime, int errorCode, byte[] statusVars,
                    byte[] database, byte[] statement) {
    public Query {
        statusVars = statusVars.clone();
        database = database.clone();
        statement = statement.clone();
    }

    public static Query decode(BinlogEvent event, ChecksumAlgorithm checksum) {
        Events.requireType(event, EventType.QUERY);
        Bytes in = new Bytes(event.body(checksum), "QUERY body");
        long thread = in.u32("thread_id");
        long exec = in.u32("exec_time");
        int dbLen = in.u8("db_len");
        int error = in.u16("error_code");
        int statusLen = in.u16("status_vars_len");
        byte[] status = in.bytes(statusLen, "status_vars");
        byte[] db = in.bytes(dbLen, "db");
        if (in.u8("db terminator") != 0) {
            throw in.malformed("database name not NUL-terminated");
        }
        return new Query(EventHeader.of(event), thread, exec, error, status, db, in.rest());
    }

    private static final int POST_HEADER = 13;

    /**
     * The first {@code max} bytes of the statement as Latin-1, read in place without decoding the event: boundary
     * detection only needs the leading ASCII keyword, and does it for every QUERY event of every stream.
     */
    public static String statementPrefix(BinlogEvent event, ChecksumAlgorithm checksum, int max) {
        ByteBuffer b = event.bytes();
        int start = statementStart(event, b, checksum);
        int n = Math.min(max, event.eventSize() - checksum.trailerLength() - start);
        char[] chars = new char[n];
        for (int i = 0; i < n; i++) {
            chars[i] = (char) (b.get(start + i) & 0xFF);
        }
        return new String(chars);
    }

    /**
     * Whether the statement is exactly {@code ascii}, compared in place: a row-based transaction's BEGIN, asked
     * about once per transaction by the boundary tracker, without the string {@link #statementPrefix} builds.
     *
     * @throws MalformedEventException as {@link #statementPrefix}
     */
    public static boolean statementIs(BinlogEvent event, ChecksumAlgorithm checksum, byte[] ascii) {
        ByteBuffer b = event.bytes();
        int start = statementStart(event, b, checksum);
        if (event.eventSize() - checksum.trailerLength() - start != ascii.length) {
            return false;
        }
        for (int i = 0; i < ascii.length; i++) {
            if (b.get(start + i) != ascii[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The statement's first byte that is not whitespace (as {@link Character#isWhitespace} says of it read as
     * Latin-1), or -1 if there is none.
     *
     * @throws MalformedEventException as {@link #statementPrefix}
     */
    public static int firstStatementByte(BinlogEvent event, ChecksumAlgorithm checksum) {
        ByteBuffer b = event.bytes();
        int end = event.eventSize() - checksum.trailerLength();
        for (int i = statementStart(event, b, checksum); i < end; i++) {
            int c = b.get(i) & 0xFF;
            if (!Character.isWhitespace((char) c)) {
                return c;
            }
        }
        return -1;
    }

    /** Where the statement starts in the event's bytes {@code b}, past the status variables and the schema. */
    private static int statementStart(BinlogEvent event, ByteBuffer b, ChecksumAlgorithm checksum) {
        Events.requireType(event, EventType.QUERY);
        int bodyStart = BinlogEvent.HEADER_LENGTH;
        int bodyEnd = event.eventSize() - checksum.trailerLength();
        if (bodyEnd - bodyStart < POST_HEADER) {
            throw new MalformedEventException("QUERY body truncated: " + Math.max(0, bodyEnd - bodyStart)
                    + " bytes, post-header needs " + POST_HEADER);
        }
        int dbLen = Byte.toUnsignedInt(b.get(bodyStart + 8));
        int statusLen = Short.toUnsignedInt(b.getShort(bodyStart + 11));
        int start = bodyStart + POST_HEADER + statusLen + dbLen + 1;
        if (start > bodyEnd) {
            throw new MalformedEventException("QUERY body truncated: status vars (" + statusLen + ") and db (" + dbLen
                    + ") run past the body end");
        }
        return start;
    }

    public String sql() {
        return new String(statement, StandardCharsets.UTF_8);
    }

    @Override
    public byte[] statusVars() {
        return statusVars.clone();
    }

    @Override
    public byte[] database() {
        return database.clone();
    }

    @Override
    public byte[] statement() {
        return statement.clone();
    }

    public byte[] encode(ChecksumAlgorithm checksum) {
        ByteSink out = new ByteSink().u32(threadId).u32(execTime).u8(database.length).u16(errorCode)
                .u16(statusVars.length).bytes(statusVars).bytes(database).u8(0).bytes(statement);
        return EventEncoder.encode(header, out.toByteArray(), checksum);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Query q && header.equals(q.header) && threadId == q.threadId && execTime == q.execTime
                && errorCode == q.errorCode && Arrays.equals(statusVars, q.statusVars)
                && Arrays.equals(database, q.database) && Arrays.equals(statement, q.statement);
    }

    @Override
    public int hashCode() {
        return header.hashCode() * 31 + Arrays.hashCode(statement);
    }

    @Override
    public String toString() {
        return "Query[" + sql() + "]";
    }
}
