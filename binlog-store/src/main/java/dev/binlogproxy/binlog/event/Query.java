package dev.binlogproxy.binlog.event;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ByteSink;
import dev.binlogproxy.binlog.Bytes;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;


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
     * Where the statement starts in the event's bytes, past the status variables and the schema; it ends at
     * {@code event.eventSize() - checksum.trailerLength()}. Read in place ({@link BinlogEvent#u8}), for callers that
     * look at the statement's bytes without decoding the event (the boundary tracker, for every QUERY event).
     *
     * @throws MalformedEventException if the post-header, status variables or schema run past the body
     */
    public static int statementStart(BinlogEvent event, ChecksumAlgorithm checksum) {
        Events.requireType(event, EventType.QUERY);
        int bodyStart = BinlogEvent.HEADER_LENGTH;
        int bodyEnd = event.eventSize() - checksum.trailerLength();
        if (bodyEnd - bodyStart < POST_HEADER) {
            throw new MalformedEventException("QUERY body truncated: " + Math.max(0, bodyEnd - bodyStart)
                    + " bytes, post-header needs " + POST_HEADER);
        }
        int dbLen = event.u8(bodyStart + 8);
        int statusLen = event.u16(bodyStart + 11);
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
