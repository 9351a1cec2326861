package dev.binlogproxy.binlog.position;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Expected texts are MySQL 8.0's {@code Gtid_set::to_string} output as that code reads (sql/rpl_gtid_set.cc,
 * default String_format): UUIDs lowercase, sorted by memcmp of their 16 bytes (sql/rpl_gtid_sid_map.cc keeps
 * its sorted index that way), intervals merged, {@code a-b} or a lone {@code a}, and {@code ",\n"} between UUIDs
 * in the server's own output ({@link MySqlGtidSet#toServerString()}), {@code ","} in {@link MySqlGtidSet#toString()}.
 * They are not captured from a live 8.0 server: no MySQL 8.0 runs on the build machine. Whoever records golden
 * fixtures against the 8.0.15 test bed should add {@code SELECT @@GLOBAL.gtid_executed} and
 * {@code SELECT GTID_SUBTRACT(...)} captures for the sets below.
 */
class MySqlGtidSetTest {

    static final String A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    /** Sorts after {@link #A} in MySQL (byte 0xc8 > 0x3e) but before it with java.util.UUID#compareTo. */
    static final String B = "c80aa942-95c8-11e1-9e33-0123456789ab";
    static final UUID SID_A = UUID.fromString(A);
    static final UUID SID_B = UUID.fromString(B);

    /** The set {@code A:1-5:7-9,B:42} in the binary form, written out from the layout field by field. */
    static final byte[] TWO_UUID_FIXTURE = bytes(
            // n_sids = 2                                                   offset 0
            0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            // sid A, raw bytes in text order                              offset 8
            0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x62,
            // n_intervals = 2                                              offset 24
            0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            // [1, 6) = 1-5                                                 offset 32
            0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            // [7, 10) = 7-9                                                offset 48
            0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            // sid B                                                        offset 64
            0xc8, 0x0a, 0xa9, 0x42, 0x95, 0xc8, 0x11, 0xe1, 0x9e, 0x33, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
            // n_intervals = 1                                              offset 80
            0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            // [42, 43) = 42                                                offset 88
            0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x2b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
            // total 104 = 8 + (16 + 8 + 2 * 16) + (16 + 8 + 1 * 16)

    static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    static MySqlGtidSet set(String text) {
        return MySqlGtidSet.parse(text);
    }

    static MySqlGtid gtid(String sid, long gno) {
        return new MySqlGtid(UUID.fromString(sid), gno);
    }

    /** A little-endian builder for hand-made (often broken) encodings. */
    static final class Enc {
        private final ByteBuffer buf = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);

        Enc u64(long v) {
            buf.putLong(v);
            return this;
        }

        Enc sid(String uuid) {
            UUID u = UUID.fromString(uuid);
            buf.order(ByteOrder.BIG_ENDIAN).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits())
                    .order(ByteOrder.LITTLE_ENDIAN);
            return this;
        }

        Enc interval(long start, long end) {
            return u64(start).u64(end);
        }

        byte[] bytes() {
            return Arrays.copyOf(buf.array(), buf.position());
        }
    }

    static IllegalArgumentException decodeFails(byte[] encoded) {
        return assertThrows(IllegalArgumentException.class, () -> MySqlGtidSet.decode(encoded));
    }

    @Nested
    class TextForm {

        @Test
        void canonicalTextSortsUuidsLikeMySqlAndMergesIntervals() {
            MySqlGtidSet s = set(B.toUpperCase() + ":42,\n" + A + ":7-9:1-3:4-5");
            assertEquals(A + ":1-5:7-9," + B + ":42", s.toString());
            assertEquals(A + ":1-5:7-9,\n" + B + ":42", s.toServerString());
        }

        @Test
        void whatMySqlPrintsForGtidExecutedParsesBackToTheSameText() {
            // SELECT @@GLOBAL.gtid_executed on a server that applied A:1-5, A:7-9 and B:42.
            String printed = A + ":1-5:7-9,\n" + B + ":42";
            MySqlGtidSet s = set(printed);
            assertEquals(printed, s.toServerString());
            assertEquals(s, set(s.toString()));
        }

        @Test
        void extremesOfTheUuidSpaceSortAsUnsignedBytes() {
            String u0 = "00000000-0000-0000-0000-000000000001";
            String u7 = "7fffffff-ffff-ffff-ffff-ffffffffffff";
            String u8 = "80000000-0000-0000-0000-000000000000";
            String uf = "ffffffff-ffff-ffff-ffff-ffffffffffff";
            MySqlGtidSet s = set(uf + ":1," + u8 + ":1," + u0 + ":1," + u7 + ":1");
            assertEquals(u0 + ":1," + u7 + ":1," + u8 + ":1," + uf + ":1", s.toString());
            assertEquals(List.of(UUID.fromString(u0), UUID.fromString(u7), UUID.fromString(u8),
                    UUID.fromString(uf)), s.sourceIds());
        }

        /** Modelled on the Reference Manual's GTID_SUBTRACT examples: MySQL answers in lowercase. */
        @ParameterizedTest
        @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "3E11FA47-71CA-11E1-9E33-C80AA9429562:21-57 | 3E11FA47-71CA-11E1-9E33-C80AA9429562:21"
                + " | 3e11fa47-71ca-11e1-9e33-c80aa9429562:22-57",
            "3E11FA47-71CA-11E1-9E33-C80AA9429562:21-57 | 3E11FA47-71CA-11E1-9E33-C80AA9429562:20-25"
                + " | 3e11fa47-71ca-11e1-9e33-c80aa9429562:26-57",
            "3E11FA47-71CA-11E1-9E33-C80AA9429562:21-57 | 3E11FA47-71CA-11E1-9E33-C80AA9429562:23-24"
                + " | 3e11fa47-71ca-11e1-9e33-c80aa9429562:21-22:25-57",
        })
        void gtidSubtractExamples(String set1, String set2, String expected) {
            assertEquals(expected, set(set1).subtract(set(set2)).toString());
        }

        @Test
        void singleGnoIntervalsPrintWithoutRange() {
            assertEquals(A + ":1:3:5-6", set(A + ":5-6:3:1").toString());
        }

        @Test
        void emptyInputsAreTheEmptySet() {
            for (String text : new String[] {"", "   ", "\n", ",", ",,\n,", " , "}) {
                MySqlGtidSet s = set(text);
                assertTrue(s.isEmpty(), text);
                assertSame(MySqlGtidSet.EMPTY, s);
                assertEquals("", s.toString());
                assertEquals("", s.toServerString());
            }
        }

        @Test
        void emptySpecificationsBetweenCommasAreSkippedAsMySqlDoes() {
            assertEquals(set(A + ":1," + B + ":2"), set("," + A + ":1,,\n ," + B + ":2,"));
        }

        @Test
        void whitespaceAroundEveryTokenIsTolerated() {
            MySqlGtidSet s = set("  " + A + " : 1 - 5 :\t7-9 ,\n\t " + B + ":42\r\n");
            assertEquals(A + ":1-5:7-9," + B + ":42", s.toString());
        }

        @Test
        void overlappingAndUnorderedIntervalsAreNormalized() {
            assertEquals(A + ":1-9", set(A + ":5-9:1-6:2-3").toString());
            assertEquals(A + ":1-5:7-9", set(A + ":7-9:1-3:2-5:8").toString());
        }

        @Test
        void adjacentIntervalsMerge() {
            assertEquals(A + ":1-6", set(A + ":1-5:6").toString());
            assertEquals(A + ":1-10", set(A + ":6-10:1-5").toString());
        }

        @Test
        void sameUuidInSeveralSpecificationsAndCasesIsMerged() {
            MySqlGtidSet s = set(A + ":1-3," + B + ":1," + A.toUpperCase() + ":4-5");
            assertEquals(A + ":1-5," + B + ":1", s.toString());
        }

        @Test
        void largestGnoParsesAndPrints() {
            String text = A + ":9223372036854775806";
            MySqlGtidSet s = set(text);
            assertEquals(text, s.toString());
            assertTrue(s.contains(gtid(A, Long.MAX_VALUE - 1)));
            assertEquals(1, s.count());
        }

        @ParameterizedTest
        @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            // input                                                   | part the message must name
            "3e11fa47-71ca-11e1-9e33-c80aa9429562                      | has no GNO intervals",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:                     | empty interval",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:1::2                 | empty interval",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:0                    | '0'",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:0-5                  | '0'",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-                   | missing GNO",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:-5                   | missing GNO",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:5-3                  | '5-3'",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:1x                   | '1x'",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-2-3                | '2-3'",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:0x10                 | '0x10'",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:9223372036854775807  | '9223372036854775807'",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-9223372036854775807| '9223372036854775807'",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:99999999999999999999 | '99999999999999999999'",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:tag:1                | tagged",
            "3e11fa47-71ca-11e1-9e33-c80aa942956:1                     | '3e11fa47-71ca-11e1-9e33-c80aa942956'",
            "3e11fa47-71ca-11e1-9e33-c80aa942956z:1                    | not a hex digit",
            "not-a-uuid:1                                              | 'not-a-uuid'",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:1;c80aa942-95c8-11e1-9e33-0123456789ab:2 | bad GNO '1;c80aa942'",
            ":1                                                        | bad UUID ''",
        })
        void malformedInputIsRejectedNamingTheBadPart(String input, String named) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> set(input));
            assertTrue(e.getMessage().startsWith("Malformed GTID set specification"), e.getMessage());
            assertTrue(e.getMessage().contains(named), e.getMessage());
        }

        @Test
        void errorInLaterSpecificationNamesThatSpecification() {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> set(A + ":1-5,\n" + B + ":7:x9"));
            assertTrue(e.getMessage().contains("'" + B + ":7:x9'"), e.getMessage());
        }

        @Test
        void veryLongBadInputIsNotEchoedWhole() {
            String longInput = A + ":1," + "x".repeat(10_000);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> set(longInput));
            assertTrue(e.getMessage().length() < 1_000, "messages repeat at most 200 characters of any input part");
            assertTrue(e.getMessage().startsWith("Malformed GTID set specification '" + A + ":1,xxx"));
        }

        @Test
        void nullIsRejected() {
            assertThrows(NullPointerException.class, () -> MySqlGtidSet.parse(null));
        }
    }

    @Nested
    class BinaryForm {

        @Test
        void encodesTheHandBuiltFixture() {
            MySqlGtidSet s = set(A + ":1-5:7-9," + B + ":42");
            assertEquals(104, s.encodedLength());
            assertArrayEquals(TWO_UUID_FIXTURE, s.encode());
        }

        @Test
        void decodesTheHandBuiltFixture() {
            MySqlGtidSet s = MySqlGtidSet.decode(TWO_UUID_FIXTURE);
            assertEquals(A + ":1-5:7-9," + B + ":42", s.toString());
            assertEquals(List.of(new MySqlGtidSet.Interval(1, 6), new MySqlGtidSet.Interval(7, 10)),
                    s.intervals(SID_A));
        }

        @Test
        void emptySetIsEightZeroBytes() {
            assertArrayEquals(new byte[8], MySqlGtidSet.EMPTY.encode());
            assertEquals(8, MySqlGtidSet.EMPTY.encodedLength());
            assertSame(MySqlGtidSet.EMPTY, MySqlGtidSet.decode(new byte[8]));
        }

        @Test
        void largestGnoEncodesEndAsInt64Max() {
            byte[] encoded = set(A + ":9223372036854775806").encode();
            byte[] expectedTail = bytes(
                    0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,   // start = INT64_MAX - 1
                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f);  // end = INT64_MAX (exclusive)
            assertArrayEquals(expectedTail, Arrays.copyOfRange(encoded, encoded.length - 16, encoded.length));
            assertEquals(set(A + ":9223372036854775806"), MySqlGtidSet.decode(encoded));
        }

        @Test
        void roundTripsVariousSets() {
            for (String text : new String[] {"", A + ":1", A + ":1-9223372036854775806",
                A + ":1:3:5:7:9:11-20," + B + ":1-100000:100002",
                "00000000-0000-0000-0000-000000000000:5,ffffffff-ffff-ffff-ffff-ffffffffffff:6"}) {
                MySqlGtidSet s = set(text);
                byte[] encoded = s.encode();
                assertEquals(s.encodedLength(), encoded.length);
                assertEquals(s, MySqlGtidSet.decode(encoded), text);
                assertEquals(s.toString(), MySqlGtidSet.decode(encoded).toString());
            }
        }

        @Test
        void everyTruncatedPrefixFailsAsTruncated() {
            for (int n = 0; n < TWO_UUID_FIXTURE.length; n++) {
                byte[] prefix = Arrays.copyOf(TWO_UUID_FIXTURE, n);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> MySqlGtidSet.decode(prefix), "prefix of " + n + " bytes");
                assertTrue(e.getMessage().contains("truncated"), n + ": " + e.getMessage());

                ByteBuffer buffer = ByteBuffer.wrap(prefix);
                IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                        () -> MySqlGtidSet.decode(buffer), "buffer prefix of " + n + " bytes");
                assertTrue(e2.getMessage().contains("truncated"), n + ": " + e2.getMessage());
                assertEquals(0, buffer.position(), "a failed decode leaves the position alone");
            }
        }

        @Test
        void truncationMessagesNameFieldOffsetAndBytesLeft() {
            assertEquals("GTID set truncated at byte 0: need 8 bytes for n_sids, 5 left",
                    decodeFails(Arrays.copyOf(TWO_UUID_FIXTURE, 5)).getMessage());
            assertEquals("GTID set truncated at byte 8: need 16 bytes for sid #0, 7 left",
                    decodeFails(Arrays.copyOf(TWO_UUID_FIXTURE, 15)).getMessage());
            assertEquals("GTID set truncated at byte 24: need 8 bytes for n_intervals of sid #0 (" + A + "), 3 left",
                    decodeFails(Arrays.copyOf(TWO_UUID_FIXTURE, 27)).getMessage());
            assertEquals("GTID set truncated at byte 32: need 32 bytes for 2 intervals of sid #0 (" + A
                    + "), 8 left", decodeFails(Arrays.copyOf(TWO_UUID_FIXTURE, 40)).getMessage());
            assertEquals("GTID set truncated at byte 64: need 16 bytes for sid #1, 0 left",
                    decodeFails(Arrays.copyOf(TWO_UUID_FIXTURE, 64)).getMessage());
            assertEquals("GTID set truncated at byte 88: need 16 bytes for 1 intervals of sid #1 (" + B
                    + "), 15 left", decodeFails(Arrays.copyOf(TWO_UUID_FIXTURE, 103)).getMessage());
        }

        @Test
        void hugeIntervalCountIsReportedAsTruncatedWithoutAllocating() {
            byte[] encoded = new Enc().u64(1).sid(A).u64(-1L).interval(1, 2).bytes();
            IllegalArgumentException e = decodeFails(encoded);
            assertEquals("GTID set truncated at byte 32: need 295147905179352825840 bytes for "
                    + "18446744073709551615 intervals of sid #0 (" + A + "), 16 left", e.getMessage());
        }

        @Test
        void hugeSidCountIsReportedAsTruncated() {
            byte[] encoded = new Enc().u64(1L << 40).sid(A).u64(1).interval(1, 2).bytes();
            assertTrue(decodeFails(encoded).getMessage().contains("truncated at byte 48: need 16 bytes for sid #1"));
        }

        @Test
        void trailingBytesAreRejectedForExactLengthInput() {
            byte[] withTrailer = Arrays.copyOf(TWO_UUID_FIXTURE, TWO_UUID_FIXTURE.length + 3);
            IllegalArgumentException e = decodeFails(withTrailer);
            assertEquals("GTID set has 3 trailing bytes after its end at byte 104", e.getMessage());
        }

        @Test
        void decodeWithOffsetAndLength() {
            byte[] framed = new byte[5 + TWO_UUID_FIXTURE.length + 7];
            Arrays.fill(framed, (byte) 0x55);
            System.arraycopy(TWO_UUID_FIXTURE, 0, framed, 5, TWO_UUID_FIXTURE.length);
            assertEquals(set(A + ":1-5:7-9," + B + ":42"),
                    MySqlGtidSet.decode(framed, 5, TWO_UUID_FIXTURE.length));
            // Offsets in messages count from the start of the set, not of the array.
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MySqlGtidSet.decode(framed, 5, 27));
            assertTrue(e.getMessage().startsWith("GTID set truncated at byte 24:"), e.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> MySqlGtidSet.decode(framed, 5, framed.length));
            assertThrows(IndexOutOfBoundsException.class, () -> MySqlGtidSet.decode(framed, -1, 8));
        }

        @Test
        void byteBufferDecodeAdvancesPastTheSetAndLeavesTheRest() {
            ByteBuffer buffer = ByteBuffer.allocate(3 + TWO_UUID_FIXTURE.length + 4); // big-endian by default
            buffer.put(bytes(9, 9, 9)).put(TWO_UUID_FIXTURE).put(bytes(0xde, 0xad, 0xbe, 0xef)).flip();
            buffer.position(3);
            MySqlGtidSet s = MySqlGtidSet.decode(buffer);
            assertEquals(set(A + ":1-5:7-9," + B + ":42"), s);
            assertEquals(3 + 104, buffer.position());
            assertEquals(4, buffer.remaining());
            assertEquals(ByteOrder.BIG_ENDIAN, buffer.order(), "the caller's byte order is left alone");
        }

        @Test
        void encodeToWritesAtThePositionInLittleEndianWhateverTheBufferOrder() {
            MySqlGtidSet s = set(A + ":1-5:7-9," + B + ":42");
            ByteBuffer buffer = ByteBuffer.allocate(2 + 104 + 2).order(ByteOrder.BIG_ENDIAN);
            buffer.position(2);
            s.encodeTo(buffer);
            assertEquals(106, buffer.position());
            assertEquals(ByteOrder.BIG_ENDIAN, buffer.order());
            assertArrayEquals(TWO_UUID_FIXTURE, Arrays.copyOfRange(buffer.array(), 2, 106));
        }

        @Test
        void encodeToWithoutRoomWritesNothing() {
            ByteBuffer small = ByteBuffer.allocate(103);
            assertThrows(BufferOverflowException.class, () -> set(A + ":1-5:7-9," + B + ":42").encodeTo(small));
            assertEquals(0, small.position());
            assertArrayEquals(new byte[103], small.array());
        }

        @Test
        void uuidEntriesInAnyOrderAreAccepted() {
            byte[] encoded = new Enc().u64(2)
                    .sid(B).u64(1).interval(42, 43)
                    .sid(A).u64(2).interval(1, 6).interval(7, 10)
                    .bytes();
            MySqlGtidSet s = MySqlGtidSet.decode(encoded);
            assertEquals(set(A + ":1-5:7-9," + B + ":42"), s);
            assertArrayEquals(TWO_UUID_FIXTURE, s.encode(), "re-encoding writes MySQL's order");
        }

        @Test
        void repeatedUuidEntriesAreMergedAsMySqlDoes() {
            byte[] encoded = new Enc().u64(3)
                    .sid(A).u64(1).interval(1, 6)
                    .sid(B).u64(1).interval(42, 43)
                    .sid(A).u64(2).interval(3, 8).interval(20, 21)
                    .bytes();
            assertEquals(set(A + ":1-7:20," + B + ":42"), MySqlGtidSet.decode(encoded));
        }

        @Test
        void uuidEntryWithoutIntervalsAddsNothing() {
            byte[] encoded = new Enc().u64(1).sid(A).u64(0).bytes();
            assertSame(MySqlGtidSet.EMPTY, MySqlGtidSet.decode(encoded));
        }

        @Test
        void startBelowOneIsRejected() {
            IllegalArgumentException e = decodeFails(new Enc().u64(1).sid(A).u64(1).interval(0, 5).bytes());
            assertEquals("GTID set invalid at byte 32: interval #0 [0, 5) of sid #0 (" + A + ") starts below 1",
                    e.getMessage());
            assertTrue(decodeFails(new Enc().u64(1).sid(A).u64(1).interval(-3, 5).bytes())
                    .getMessage().contains("starts below 1"));
        }

        @Test
        void endNotAfterStartIsRejected() {
            IllegalArgumentException e = decodeFails(new Enc().u64(1).sid(A).u64(1).interval(5, 5).bytes());
            assertEquals("GTID set invalid at byte 40: interval #0 [5, 5) of sid #0 (" + A
                    + ") does not end after its start", e.getMessage());
            assertTrue(decodeFails(new Enc().u64(1).sid(A).u64(1).interval(5, 2).bytes())
                    .getMessage().contains("does not end after its start"));
            // An end above INT64_MAX reads as negative, like MySQL's sint8korr.
            assertTrue(decodeFails(new Enc().u64(1).sid(A).u64(1).interval(5, -1).bytes())
                    .getMessage().contains("does not end after its start"));
        }

        @Test
        void overlappingIntervalsAreRejected() {
            IllegalArgumentException e = decodeFails(
                    new Enc().u64(1).sid(A).u64(2).interval(1, 6).interval(5, 10).bytes());
            assertEquals("GTID set invalid at byte 48: interval #1 [5, 10) of sid #0 (" + A
                    + ") starts before the previous interval ends at 6 (intervals must be sorted and disjoint)",
                    e.getMessage());
        }

        @Test
        void unsortedIntervalsAreRejected() {
            IllegalArgumentException e = decodeFails(
                    new Enc().u64(1).sid(A).u64(2).interval(7, 10).interval(1, 6).bytes());
            assertTrue(e.getMessage().contains("sorted and disjoint"), e.getMessage());
            assertTrue(e.getMessage().startsWith("GTID set invalid at byte 48:"), e.getMessage());
        }

        @Test
        void touchingIntervalsAreRejectedLikeMySqlDoes() {
            // MySQL's add_gtid_encoding requires start > previous end; it always writes merged intervals.
            IllegalArgumentException e = decodeFails(
                    new Enc().u64(1).sid(A).u64(2).interval(1, 6).interval(6, 10).bytes());
            assertTrue(e.getMessage().contains("touches the previous interval"), e.getMessage());
        }

        @Test
        void invalidIntervalInSecondUuidNamesIt() {
            IllegalArgumentException e = decodeFails(new Enc().u64(2)
                    .sid(A).u64(1).interval(1, 2)
                    .sid(B).u64(1).interval(9, 3)
                    .bytes());
            assertTrue(e.getMessage().contains("sid #1 (" + B + ")"), e.getMessage());
        }

        @Test
        void taggedEncodingIsRejectedClearly() {
            // MySQL 8.3+ marks the tagged format in the top byte of n_sids (and the low byte).
            long nSidsTagged = (1L << 56) | (1L << 8) | 1L;
            IllegalArgumentException e = decodeFails(new Enc().u64(nSidsTagged).bytes());
            assertTrue(e.getMessage().contains("tagged"), e.getMessage());
            IllegalArgumentException e2 = decodeFails(new Enc().u64(2L << 56).bytes());
            assertTrue(e2.getMessage().contains("impossible"), e2.getMessage());
        }
    }

    @Nested
    class Operations {

        @Test
        void containsAtIntervalBoundaries() {
            MySqlGtidSet s = set(A + ":1-5:7-9");
            assertTrue(s.contains(gtid(A, 1)));
            assertTrue(s.contains(gtid(A, 5)));
            assertFalse(s.contains(gtid(A, 6)));
            assertTrue(s.contains(gtid(A, 7)));
            assertTrue(s.contains(gtid(A, 9)));
            assertFalse(s.contains(gtid(A, 10)));
            assertFalse(s.contains(gtid(B, 1)));
            assertFalse(MySqlGtidSet.EMPTY.contains(gtid(A, 1)));
        }

        @Test
        void containsWithManyIntervalsAndUuids() {
            StringBuilder text = new StringBuilder();
            for (int u = 0; u < 50; u++) {
                text.append(String.format("%08x-0000-0000-0000-000000000000", u * 0x05000000L));
                for (int g = 1; g < 400; g += 2) {
                    text.append(':').append(g);
                }
                text.append(',');
            }
            MySqlGtidSet s = set(text.toString());
            assertEquals(50 * 200, s.count());
            for (int u = 0; u < 50; u++) {
                String sid = String.format("%08x-0000-0000-0000-000000000000", u * 0x05000000L);
                for (int g = 1; g <= 401; g++) {
                    assertEquals(g % 2 == 1 && g < 400, s.contains(gtid(sid, g)), sid + ":" + g);
                }
            }
            assertFalse(s.contains(gtid("00000001-0000-0000-0000-000000000000", 1)));
        }

        @Test
        void addMergesAdjacentIntervals() {
            assertEquals(A + ":1-6", set(A + ":1-5").add(gtid(A, 6)).toString());
            assertEquals(A + ":1-5", set(A + ":2-5").add(gtid(A, 1)).toString());
            assertEquals(A + ":1-9", set(A + ":1-5:7-9").add(gtid(A, 6)).toString());
            assertEquals(A + ":1-5:7", set(A + ":1-5").add(gtid(A, 7)).toString());
        }

        @Test
        void addToEmptyAndNewUuids() {
            MySqlGtidSet s = MySqlGtidSet.EMPTY.add(gtid(B, 3)).add(gtid(A, 1));
            assertEquals(A + ":1," + B + ":3", s.toString());
        }

        @Test
        void addingAPresentGtidReturnsTheSameSet() {
            MySqlGtidSet s = set(A + ":1-5");
            assertSame(s, s.add(gtid(A, 3)));
        }

        @Test
        void addAtTheLargestGno() {
            MySqlGtidSet s = set(A + ":1-9223372036854775805").add(gtid(A, Long.MAX_VALUE - 1));
            assertEquals(A + ":1-9223372036854775806", s.toString());
            assertEquals(Long.MAX_VALUE - 1, s.count());
            assertEquals(List.of(new MySqlGtidSet.Interval(1, Long.MAX_VALUE)), s.intervals(SID_A));
            assertEquals(s, MySqlGtidSet.decode(s.encode()));
        }

        @Test
        void countOverflowIsAnError() {
            MySqlGtidSet s = set(A + ":1-9223372036854775806," + B + ":1-9223372036854775806");
            assertThrows(ArithmeticException.class, s::count);
        }

        @Test
        void unionMergesPerUuid() {
            MySqlGtidSet x = set(A + ":1-5:20-30," + B + ":1");
            MySqlGtidSet y = set(A + ":6-10:25-40,00000000-0000-0000-0000-000000000000:7");
            String expected = "00000000-0000-0000-0000-000000000000:7," + A + ":1-10:20-40," + B + ":1";
            assertEquals(expected, x.union(y).toString());
            assertEquals(x.union(y), y.union(x));
            assertSame(x, x.union(MySqlGtidSet.EMPTY));
            assertSame(x, MySqlGtidSet.EMPTY.union(x));
            assertEquals(x, x.union(x));
        }

        @Test
        void subtractCases() {
            MySqlGtidSet s = set(A + ":1-10:20-30," + B + ":1-5");
            assertEquals(A + ":1-4:7-10:20-30," + B + ":1-5", s.subtract(set(A + ":5-6")).toString());
            assertEquals(A + ":11-19", set(A + ":1-30").subtract(set(A + ":1-10:20-30")).toString());
            assertEquals(B + ":1-5", s.subtract(set(A + ":1-100")).toString());
            assertEquals(A + ":2-9:21-29," + B + ":2-4",
                    s.subtract(set(A + ":1:10:20:30," + B + ":1:5")).toString());
            assertTrue(s.subtract(s).isEmpty());
            assertSame(MySqlGtidSet.EMPTY, s.subtract(s));
            assertSame(s, s.subtract(set("00000000-0000-0000-0000-000000000000:1-100")));
            assertSame(s, s.subtract(set(A + ":11-19:31-40")));
            assertSame(s, s.subtract(MySqlGtidSet.EMPTY));
            assertSame(MySqlGtidSet.EMPTY, MySqlGtidSet.EMPTY.subtract(s));
        }

        @Test
        void subtractAcrossTheLargestGno() {
            MySqlGtidSet s = set(A + ":1-9223372036854775806");
            assertEquals(A + ":1-9223372036854775805", s.subtract(set(A + ":9223372036854775806")).toString());
            assertEquals(A + ":9223372036854775806", s.subtract(set(A + ":1-9223372036854775805")).toString());
        }

        @Test
        void containsAllCases() {
            MySqlGtidSet s = set(A + ":1-5:7-9," + B + ":42");
            assertTrue(s.containsAll(s));
            assertTrue(s.containsAll(MySqlGtidSet.EMPTY));
            assertTrue(MySqlGtidSet.EMPTY.containsAll(MySqlGtidSet.EMPTY));
            assertFalse(MySqlGtidSet.EMPTY.containsAll(s));
            assertTrue(s.containsAll(set(A + ":2-4:8")));
            assertTrue(s.containsAll(set(B + ":42")));
            assertFalse(s.containsAll(set(A + ":4-8")), "spans the hole at 6");
            assertFalse(s.containsAll(set(A + ":9-10")));
            assertFalse(s.containsAll(set(B + ":41-42")));
            assertFalse(s.containsAll(set("00000000-0000-0000-0000-000000000000:1")));
        }

        @Test
        void countAndIsEmpty() {
            assertEquals(0, MySqlGtidSet.EMPTY.count());
            assertTrue(MySqlGtidSet.EMPTY.isEmpty());
            MySqlGtidSet s = set(A + ":1-5:7-9," + B + ":42");
            assertEquals(9, s.count());
            assertFalse(s.isEmpty());
        }

        @Test
        void accessors() {
            MySqlGtidSet s = set(A + ":1-5:7-9," + B + ":42");
            assertEquals(List.of(SID_A, SID_B), s.sourceIds());
            assertEquals(List.of(new MySqlGtidSet.Interval(42, 43)), s.intervals(SID_B));
            assertEquals(List.of(), s.intervals(UUID.randomUUID()));
            assertThrows(UnsupportedOperationException.class, () -> s.sourceIds().clear());
            MySqlGtidSet.Interval iv = s.intervals(SID_A).get(0);
            assertEquals(1, iv.start());
            assertEquals(5, iv.last());
            assertEquals(5, iv.count());
            assertTrue(iv.contains(5));
            assertFalse(iv.contains(6));
            assertEquals("1-5", iv.toString());
            assertEquals("42", s.intervals(SID_B).get(0).toString());
        }

        @Test
        void intervalInvariants() {
            assertThrows(IllegalArgumentException.class, () -> new MySqlGtidSet.Interval(0, 5));
            assertThrows(IllegalArgumentException.class, () -> new MySqlGtidSet.Interval(5, 5));
            assertThrows(IllegalArgumentException.class, () -> new MySqlGtidSet.Interval(5, 4));
        }

        @Test
        void equalsAndHashCodeIgnoreHowTheSetWasWritten() {
            MySqlGtidSet x = set(A + ":1-5:7-9," + B + ":42");
            MySqlGtidSet y = set(B.toUpperCase() + ":42," + A + ":7:8:9:1-3:4-5");
            MySqlGtidSet z = MySqlGtidSet.decode(TWO_UUID_FIXTURE);
            assertEquals(x, y);
            assertEquals(x, z);
            assertEquals(x.hashCode(), y.hashCode());
            assertEquals(x.hashCode(), z.hashCode());
            assertNotEquals(x, set(A + ":1-5:7-9," + B + ":43"));
            assertNotEquals(x, set(A + ":1-9," + B + ":42"));
            assertNotEquals(x, MySqlGtidSet.EMPTY);
            assertNotEquals(x, x.toString());
        }
    }

    /**
     * Checks every operation against a plain model (one BitSet of GNOs per UUID) on random sets. The seed is fixed,
     * so a failure reproduces.
     */
    @Nested
    class AgainstAModel {

        private static final String[] SIDS = {A, B, "00000000-0000-0000-0000-0000000000ff"};
        private static final int MAX = 70;

        private BitSet[] randomModel(Random random) {
            BitSet[] model = new BitSet[SIDS.length];
            for (int u = 0; u < SIDS.length; u++) {
                model[u] = new BitSet();
                if (random.nextInt(4) == 0) {
                    continue;
                }
                int runs = random.nextInt(6);
                for (int r = 0; r < runs; r++) {
                    int start = 1 + random.nextInt(MAX - 1);
                    int len = 1 + random.nextInt(12);
                    model[u].set(start, Math.min(MAX, start + len));
                }
            }
            return model;
        }

        /** Writes the model as text with random interval order and overlap, like a human or another tool. */
        private String scrambledText(BitSet[] model, Random random) {
            StringBuilder sb = new StringBuilder();
            for (int u = SIDS.length - 1; u >= 0; u--) {
                if (model[u].isEmpty()) {
                    continue;
                }
                sb.append(random.nextBoolean() ? SIDS[u].toUpperCase() : SIDS[u]);
                for (int g = model[u].length() - 1; g >= 1; g--) {
                    if (model[u].get(g)) {
                        sb.append(':').append(g);
                        if (random.nextBoolean() && model[u].get(g - 1) && g - 1 >= 1) {
                            sb.append(':').append(g - 1).append('-').append(g); // overlapping duplicate
                        }
                    }
                }
                sb.append(",\n");
            }
            return sb.toString();
        }

        private MySqlGtidSet fromModelByAdding(BitSet[] model) {
            MySqlGtidSet s = MySqlGtidSet.EMPTY;
            for (int u = 0; u < SIDS.length; u++) {
                for (int g = model[u].nextSetBit(0); g >= 0; g = model[u].nextSetBit(g + 1)) {
                    s = s.add(gtid(SIDS[u], g));
                }
            }
            return s;
        }

        private void assertMatches(BitSet[] model, MySqlGtidSet s) {
            long count = 0;
            for (int u = 0; u < SIDS.length; u++) {
                for (int g = 1; g <= MAX; g++) {
                    assertEquals(model[u].get(g), s.contains(gtid(SIDS[u], g)), SIDS[u] + ":" + g + " in " + s);
                }
                count += model[u].cardinality();
            }
            assertEquals(count, s.count());
            assertEquals(count == 0, s.isEmpty());
        }

        @Test
        void randomSetsBehaveLikeTheModel() {
            Random random = new Random(20240611L);
            for (int round = 0; round < 300; round++) {
                BitSet[] mx = randomModel(random);
                BitSet[] my = randomModel(random);
                MySqlGtidSet x = MySqlGtidSet.parse(scrambledText(mx, random));
                MySqlGtidSet y = fromModelByAdding(my);
                assertMatches(mx, x);
                assertMatches(my, y);
                assertEquals(x, fromModelByAdding(mx));

                BitSet[] union = new BitSet[SIDS.length];
                BitSet[] diff = new BitSet[SIDS.length];
                boolean xHasY = true;
                for (int u = 0; u < SIDS.length; u++) {
                    union[u] = (BitSet) mx[u].clone();
                    union[u].or(my[u]);
                    diff[u] = (BitSet) mx[u].clone();
                    diff[u].andNot(my[u]);
                    BitSet missing = (BitSet) my[u].clone();
                    missing.andNot(mx[u]);
                    xHasY &= missing.isEmpty();
                }
                assertMatches(union, x.union(y));
                assertMatches(diff, x.subtract(y));
                assertEquals(xHasY, x.containsAll(y));
                assertTrue(x.union(y).containsAll(x));
                assertTrue(x.containsAll(x.subtract(y)));
                assertEquals(x, x.subtract(y).union(x));

                assertEquals(x, MySqlGtidSet.parse(x.toString()));
                assertEquals(x, MySqlGtidSet.parse(x.toServerString()));
                assertEquals(x, MySqlGtidSet.decode(x.encode()));
                assertEquals(x.encodedLength(), x.encode().length);
            }
        }
    }
}
