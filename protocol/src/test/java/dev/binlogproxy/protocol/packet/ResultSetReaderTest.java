package dev.binlogproxy.protocol.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.binlogproxy.protocol.Capabilities;
import dev.binlogproxy.protocol.MalformedPacketException;
import dev.binlogproxy.protocol.MySqlProtocolException;
import dev.binlogproxy.protocol.NoLeaks;
import dev.binlogproxy.protocol.ServerStatus;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

@ExtendWith(NoLeaks.class)
class ResultSetReaderTest {

    private static final long PLAIN = Capabilities.REPLICA_CLIENT_DEFAULT;
    private static final long DEPRECATE_EOF = PLAIN | Capabilities.CLIENT_DEPRECATE_EOF;

    private static TextResultSet sample() {
        return TextResultSet.of(List.of("Log_name", "File_size", "Note"), List.of(
                Arrays.asList("mysql-bin.000001", "794", null),
                Arrays.asList("mysql-bin.000002", "1234567", "x".repeat(251)),
                Arrays.asList("", "0", "é")));
    }

    /** Feeds the payloads in order, releases them, and returns the result and how many payloads it took. */
    private static TextResultSet read(List<ByteBuf> payloads, long caps) {
        ResultSetReader reader = new ResultSetReader(caps);
        try {
            for (int i = 0; i < payloads.size(); i++) {
                Optional<TextResultSet> done = reader.accept(payloads.get(i));
                if (done.isPresent()) {
                    assertEquals(payloads.size() - 1, i, "complete at the last payload");
                    assertTrue(reader.isDone());
                    return done.get();
                }
            }
            throw new AssertionError("result set not complete after " + payloads.size() + " payloads");
        } finally {
            payloads.forEach(ByteBuf::release);
        }
    }

    @Test
    void encodedResultSetReadsBackWithAndWithoutDeprecateEof() {
        TextResultSet rs = sample();
        List<ByteBuf> classic = rs.encode(ByteBufAllocator.DEFAULT, PLAIN);
        assertEquals(1 + 3 + 1 + 3 + 1, classic.size());
        assertTrue(EofPacket.isEof(classic.get(4)));
        assertTrue(EofPacket.isEof(classic.get(8)));
        assertEquals(rs, read(classic, PLAIN));

        List<ByteBuf> modern = rs.encode(ByteBufAllocator.DEFAULT, DEPRECATE_EOF);
        assertEquals(1 + 3 + 3 + 1, modern.size());
        ByteBuf end = modern.get(7);
        assertEquals(OkPacket.EOF_HEADER, end.getUnsignedByte(0));
        assertEquals(rs, read(modern, DEPRECATE_EOF));
        assertEquals(ServerStatus.SERVER_STATUS_AUTOCOMMIT, rs.statusFlags());
        assertEquals(null, rs.value(0, "note"));
        assertEquals("1234567", rs.value(1, "File_size"));
    }

    @Test
    void columnsAreVarStringInUtf8mb4() {
        ColumnDefinition41 c = sample().columns().get(0);
        assertEquals(ColumnDefinition41.TYPE_VAR_STRING, c.type());
        assertEquals("def", c.catalog());
        assertEquals(45, c.collation());
    }

    @Test
    void emptyResultSet() {
        TextResultSet empty = TextResultSet.of(List.of("Variable_name", "Value"), List.of());
        assertEquals(empty, read(empty.encode(ByteBufAllocator.DEFAULT, PLAIN), PLAIN));
        assertEquals(empty, read(empty.encode(ByteBufAllocator.DEFAULT, DEPRECATE_EOF), DEPRECATE_EOF));
    }

    @Test
    void okInsteadOfColumnCountIsAStatementWithoutResultSet() {
        TextResultSet rs = read(List.of(Unpooled.wrappedBuffer(new OkPacket(0, 3, 0, 0x22, 1, "").toByteArray())),
                PLAIN);
        assertTrue(rs.columns().isEmpty());
        assertTrue(rs.rows().isEmpty());
        assertEquals(0x22, rs.statusFlags());
        assertEquals(1, rs.warnings());
    }

    @Test
    void errAtTheStartOrAmongTheRowsIsTheServersException() {
        byte[] err = new ErrPacket(1193, "HY000", "Unknown system variable 'x'").toByteArray();
        MySqlProtocolException e = assertThrows(MySqlProtocolException.class,
                () -> new ResultSetReader(PLAIN).accept(Unpooled.wrappedBuffer(err)));
        assertEquals(1193, e.errorCode());

        List<ByteBuf> payloads = new ArrayList<>(sample().encode(ByteBufAllocator.DEFAULT, PLAIN));
        ByteBuf last = payloads.remove(payloads.size() - 1);
        last.release();
        payloads.add(Unpooled.wrappedBuffer(new ErrPacket(1317, "70100", "Query execution was interrupted")
                .toByteArray()));
        MySqlProtocolException killed = assertThrows(MySqlProtocolException.class, () -> read(payloads, PLAIN));
        assertEquals(1317, killed.errorCode());
        assertEquals("70100", killed.sqlState());
    }

    @Test
    void aRowWithTooManyValuesIsMalformed() {
        ResultSetReader reader = new ResultSetReader(DEPRECATE_EOF);
        List<ByteBuf> payloads = TextResultSet.of(List.of("a"), List.of()).encode(ByteBufAllocator.DEFAULT,
                DEPRECATE_EOF);
        try {
            reader.accept(payloads.get(0));
            reader.accept(payloads.get(1));
        } finally {
            payloads.forEach(ByteBuf::release);
        }
        assertThrows(MalformedPacketException.class,
                () -> reader.accept(Unpooled.wrappedBuffer(new byte[] {1, 'x', 1, 'y'})));
    }

    @Test
    void acceptAfterTheEndIsAProgrammingError() {
        ResultSetReader reader = new ResultSetReader(PLAIN);
        reader.accept(Unpooled.wrappedBuffer(OkPacket.of().toByteArray()));
        assertThrows(IllegalStateException.class,
                () -> reader.accept(Unpooled.wrappedBuffer(OkPacket.of().toByteArray())));
        assertFalse(new ResultSetReader(PLAIN).isDone());
    }
}
