package dev.binlogproxy.binlog.position;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BinlogPositionTest {

    @Test
    void parseAndFormatRoundTrip() {
        BinlogPosition p = BinlogPosition.parse("mysql-bin.000003:1234");
        assertEquals("mysql-bin.000003", p.file());
        assertEquals(1234, p.offset());
        assertEquals("mysql-bin.000003:1234", p.toString());
        assertEquals(p, BinlogPosition.parse(p.toString()));
    }

    @Test
    void parseIgnoresSurroundingWhitespace() {
        assertEquals(new BinlogPosition("binlog.000001", 4), BinlogPosition.parse("  binlog.000001:4\n"));
    }

    @Test
    void parseSplitsAtTheLastColon() {
        BinlogPosition p = BinlogPosition.parse("host:3306-bin.000001:120");
        assertEquals("host:3306-bin.000001", p.file());
        assertEquals(120, p.offset());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mysql-bin.000001", "mysql-bin.000001:", "mysql-bin.000001:12a", "mysql-bin.000001:-5",
        "mysql-bin.000001: 4", "mysql-bin.000001:99999999999999999999", ":4", "mysql-bin.000001:0",
        "mysql-bin.000001:3"})
    void parseRejectsMalformedText(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BinlogPosition.parse(text));
        assertFalse(e.getMessage().isEmpty());
    }

    @Test
    void offsetBelowFourIsRejectedBecauseTheFirstEventFollowsTheMagic() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BinlogPosition("mysql-bin.000001", 0));
        assertTrue(e.getMessage().contains("below 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BinlogPosition("mysql-bin.000001", 3));
        assertThrows(IllegalArgumentException.class, () -> new BinlogPosition("mysql-bin.000001", -1));
        assertEquals(4, new BinlogPosition("mysql-bin.000001", 4).offset());
        assertEquals(Long.MAX_VALUE, new BinlogPosition("mysql-bin.000001", Long.MAX_VALUE).offset());
    }

    @Test
    void startOfIsOffsetFour() {
        assertEquals(new BinlogPosition("mysql-bin.000007", 4), BinlogPosition.startOf("mysql-bin.000007"));
        assertEquals(4, BinlogPosition.FIRST_EVENT_OFFSET);
    }

    @Test
    void withOffsetKeepsTheFile() {
        BinlogPosition p = BinlogPosition.startOf("mysql-bin.000007").withOffset(500);
        assertEquals(new BinlogPosition("mysql-bin.000007", 500), p);
        assertThrows(IllegalArgumentException.class, () -> p.withOffset(2));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "../mysql-bin.000001", "dir/mysql-bin.000001", "/abs", "a\\b", "a\0b", ".", ".."})
    void fileNamesThatAreNotBareNamesAreRejected(String file) {
        assertThrows(IllegalArgumentException.class, () -> new BinlogPosition(file, 4));
    }

    @Test
    void nullFileIsRejected() {
        assertThrows(NullPointerException.class, () -> new BinlogPosition(null, 4));
    }

    @Test
    void fileSequenceAndBasename() {
        BinlogPosition p = new BinlogPosition("mysql-bin.000003", 4);
        assertTrue(p.hasFileSequence());
        assertEquals(3, p.fileSequence());
        assertEquals("mysql-bin", p.basename());
        assertEquals(1_000_000, new BinlogPosition("mysql-bin.1000000", 4).fileSequence());
        assertEquals("my.host-bin", new BinlogPosition("my.host-bin.000010", 4).basename());
        assertEquals(10, new BinlogPosition("my.host-bin.000010", 4).fileSequence());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mysql-bin", "mysql-bin.", "mysql-bin.index", ".000001", "mysql-bin.00a001"})
    void namesWithoutNumericExtensionFailClearly(String file) {
        BinlogPosition p = new BinlogPosition(file, 4);
        assertFalse(p.hasFileSequence());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, p::fileSequence);
        assertTrue(e.getMessage().contains("'" + file + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("no numeric extension"), e.getMessage());
        assertThrows(IllegalArgumentException.class, p::basename);
    }

    @Test
    void numericExtensionTooLargeForLongFailsClearly() {
        BinlogPosition p = new BinlogPosition("mysql-bin.99999999999999999999", 4);
        assertTrue(p.hasFileSequence());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, p::fileSequence);
        assertTrue(e.getMessage().contains("too large"), e.getMessage());
    }

    @Test
    void fileNameFormatsAtLeastSixDigitsLikeMySql() {
        assertEquals("mysql-bin.000001", BinlogPosition.fileName("mysql-bin", 1));
        assertEquals("mysql-bin.000000", BinlogPosition.fileName("mysql-bin", 0));
        assertEquals("mysql-bin.999999", BinlogPosition.fileName("mysql-bin", 999_999));
        assertEquals("mysql-bin.1000000", BinlogPosition.fileName("mysql-bin", 1_000_000));
        assertEquals("binlog.2147483647", BinlogPosition.fileName("binlog", Integer.MAX_VALUE));
        assertThrows(IllegalArgumentException.class, () -> BinlogPosition.fileName("mysql-bin", -1));
        assertThrows(IllegalArgumentException.class, () -> BinlogPosition.fileName("", 1));
        assertThrows(IllegalArgumentException.class, () -> BinlogPosition.fileName("../x", 1));
    }

    @Test
    void fileNameRoundTripsThroughSequenceAndBasename() {
        for (long seq : new long[] {1, 42, 999_999, 1_000_000, 123_456_789}) {
            BinlogPosition p = BinlogPosition.startOf(BinlogPosition.fileName("relay-bin", seq));
            assertEquals(seq, p.fileSequence());
            assertEquals("relay-bin", p.basename());
        }
    }

    @Test
    void orderingAcrossSixToSevenDigitsIsNumeric() {
        BinlogPosition last6 = new BinlogPosition("mysql-bin.999999", 1_000_000);
        BinlogPosition first7 = BinlogPosition.startOf("mysql-bin.1000000");
        // Plain string order gets this wrong, which is why the extension is compared as a number.
        assertTrue("mysql-bin.999999".compareTo("mysql-bin.1000000") > 0);
        assertTrue(last6.compareTo(first7) < 0);
        assertTrue(first7.compareTo(last6) > 0);
    }

    @Test
    void orderingWithinOneFileIsByOffset() {
        BinlogPosition a = new BinlogPosition("mysql-bin.000002", 4);
        BinlogPosition b = new BinlogPosition("mysql-bin.000002", 120);
        assertTrue(a.compareTo(b) < 0);
        assertTrue(b.compareTo(a) > 0);
        assertEquals(0, a.compareTo(new BinlogPosition("mysql-bin.000002", 4)));
    }

    @Test
    void laterFileWinsOverLargerOffset() {
        assertTrue(new BinlogPosition("mysql-bin.000002", 1 << 30).compareTo(
                BinlogPosition.startOf("mysql-bin.000003")) < 0);
    }

    @Test
    void sortingAMixedList() {
        List<BinlogPosition> expected = List.of(
                BinlogPosition.startOf("a-bin.000009"),
                BinlogPosition.startOf("mysql-bin"),
                BinlogPosition.startOf("mysql-bin.000001"),
                new BinlogPosition("mysql-bin.000001", 500),
                BinlogPosition.startOf("mysql-bin.000010"),
                BinlogPosition.startOf("mysql-bin.999999"),
                BinlogPosition.startOf("mysql-bin.1000000"),
                BinlogPosition.startOf("mysql-bin.1000001"));
        List<BinlogPosition> shuffled = new ArrayList<>(expected);
        Collections.reverse(shuffled);
        Collections.swap(shuffled, 0, 3);
        Collections.sort(shuffled);
        assertEquals(expected, shuffled);
    }

    @Test
    void equalNumbersWithDifferentDigitsStayConsistentWithEquals() {
        BinlogPosition a = BinlogPosition.startOf("x.01");
        BinlogPosition b = BinlogPosition.startOf("x.001");
        assertNotEquals(a, b);
        assertNotEquals(0, a.compareTo(b));
        assertEquals(Integer.signum(a.compareTo(b)), -Integer.signum(b.compareTo(a)));
    }

    @Test
    void equalsAndHashCode() {
        BinlogPosition a = new BinlogPosition("mysql-bin.000001", 154);
        BinlogPosition b = BinlogPosition.parse("mysql-bin.000001:154");
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, new BinlogPosition("mysql-bin.000001", 155));
        assertNotEquals(a, new BinlogPosition("mysql-bin.000002", 154));
    }
}
