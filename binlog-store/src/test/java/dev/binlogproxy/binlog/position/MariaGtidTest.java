package dev.binlogproxy.binlog.position;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Range limits match MariaDB 10.11.19 ({@code SET GLOBAL gtid_slave_pos=...} accepted or rejected them). */
class MariaGtidTest {

    @Test
    void parseAndFormatRoundTrip() {
        MariaGtid g = MariaGtid.parse("0-1-100");
        assertEquals(0, g.domainId());
        assertEquals(1, g.serverId());
        assertEquals(100, g.seqNo());
        assertEquals("0-1-100", g.toString());
        assertEquals(g, MariaGtid.parse(g.toString()));
    }

    @Test
    void largestValuesOfEveryField() {
        MariaGtid g = MariaGtid.parse("4294967295-4294967295-18446744073709551615");
        assertEquals(MariaGtid.MAX_U32, g.domainId());
        assertEquals(MariaGtid.MAX_U32, g.serverId());
        assertEquals(-1L, g.seqNo(), "u64 max is all bits set");
        assertEquals("4294967295-4294967295-18446744073709551615", g.toString());
    }

    @Test
    void sequenceNumbersAboveInt64MaxAreUnsigned() {
        MariaGtid g = MariaGtid.parse("1-2-9223372036854775808");
        assertEquals(Long.MIN_VALUE, g.seqNo());
        assertEquals("1-2-9223372036854775808", g.toString());
        assertEquals("1-2-18446744073709551614", new MariaGtid(1, 2, -2L).toString());
    }

    @Test
    void sequenceNumberZeroIsAllowed() {
        assertEquals(0, MariaGtid.parse("0-1-0").seqNo());
    }

    @Test
    void whitespaceAroundNumbersIsTolerated() {
        assertEquals(new MariaGtid(0, 1, 100), MariaGtid.parse(" 0 - 1 - 100\n"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "0", "0-1", "0-1-2-3", "0-1-", "-1-100", "a-1-100", "0-b-100", "0-1-c",
        "4294967296-1-0", "0-4294967296-0", "0-1-18446744073709551616", "0-1-99999999999999999999999",
        "+1-1-1", "1-+1-1", "1-1-+1", "0x1-1-1", "0-1-1.5", "0,1,2"})
    void malformedGtidsAreRejected(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MariaGtid.parse(text));
        assertTrue(e.getMessage().startsWith("MariaDB GTID '"), e.getMessage());
    }

    @Test
    void messagesNameTheBadField() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MariaGtid.parse("4294967296-1-0"))
                .getMessage().contains("domain id"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MariaGtid.parse("0-x-0"))
                .getMessage().contains("server id 'x'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MariaGtid.parse("0-1-18446744073709551616"))
                .getMessage().contains("sequence number"));
    }

    @Test
    void constructorChecksU32Ranges() {
        assertThrows(IllegalArgumentException.class, () -> new MariaGtid(-1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new MariaGtid(0x1_0000_0000L, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new MariaGtid(0, -1, 1));
        assertThrows(IllegalArgumentException.class, () -> new MariaGtid(0, 0x1_0000_0000L, 1));
        assertEquals(-1L, new MariaGtid(0, 0, -1L).seqNo());
    }

    @Test
    void equalsAndHashCode() {
        assertEquals(MariaGtid.parse("0-1-100"), new MariaGtid(0, 1, 100));
        assertEquals(MariaGtid.parse("0-1-100").hashCode(), new MariaGtid(0, 1, 100).hashCode());
        assertNotEquals(MariaGtid.parse("0-1-100"), MariaGtid.parse("0-2-100"));
    }
}
