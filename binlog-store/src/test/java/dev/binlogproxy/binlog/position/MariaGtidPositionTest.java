package dev.binlogproxy.binlog.position;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Texts marked "MariaDB 10.11.19" were checked against that server (Debian package) with
 * {@code SET GLOBAL gtid_slave_pos='...'; SELECT @@gtid_slave_pos} and {@code SELECT @@gtid_binlog_pos}.
 */
class MariaGtidPositionTest {

    @Test
    void parseAndFormat() {
        MariaGtidPosition p = MariaGtidPosition.parse("0-1-100,1-2-5");
        assertEquals("0-1-100,1-2-5", p.toString());
        assertEquals(2, p.size());
        assertEquals(p, MariaGtidPosition.parse(p.toString()));
    }

    @Test
    void toStringSortsByDomainLikeMariaDb() {
        // MariaDB 10.11.19: SET GLOBAL gtid_slave_pos='5-2-7,0-1-100, 1-3-18446744073709551615' reads back as below.
        assertEquals("0-1-100,1-3-18446744073709551615,5-2-7",
                MariaGtidPosition.parse("5-2-7,0-1-100, 1-3-18446744073709551615").toString());
        // MariaDB 10.11.19: @@gtid_binlog_pos with domains 0, 2, 5, 10 printed numerically sorted.
        assertEquals("0-1-102,2-7-1,5-1-8,10-7-1",
                MariaGtidPosition.parse("10-7-1,5-1-8,2-7-1,0-1-102").toString());
    }

    @Test
    void whitespaceIsTolerated() {
        MariaGtidPosition p = MariaGtidPosition.parse(" 0-1-100 ,\n 1 - 2 - 5 ");
        assertEquals("0-1-100,1-2-5", p.toString());
    }

    @Test
    void emptyAndBlankAreTheEmptyPosition() {
        for (String text : new String[] {"", " ", "\n\t"}) {
            MariaGtidPosition p = MariaGtidPosition.parse(text);
            assertSame(MariaGtidPosition.EMPTY, p);
            assertTrue(p.isEmpty());
            assertEquals(0, p.size());
            assertEquals("", p.toString());
            assertEquals(Set.of(), p.domains());
        }
    }

    @Test
    void duplicateDomainIsRejectedWithMariaDbsMessage() {
        // MariaDB 10.11.19: ERROR 1943 (HY000): GTID 0-2-5 and 0-1-100 conflict (duplicate domain id 0)
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MariaGtidPosition.parse("0-1-100,0-2-5"));
        assertEquals("GTID 0-2-5 and 0-1-100 conflict (duplicate domain id 0)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MariaGtidPosition.parse("3-1-1,0-1-1,3-1-1"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0-1-100,", ",0-1-100", "0-1-100,,1-1-1", "0-1-100;1-1-1", "0-1", "x"})
    void malformedPositionsAreRejected(String text) {
        assertThrows(IllegalArgumentException.class, () -> MariaGtidPosition.parse(text));
    }

    @Test
    void withReplacesTheDomainEntryEvenWithALowerSequence() {
        MariaGtidPosition p = MariaGtidPosition.parse("0-1-100,1-2-5");
        assertEquals("0-1-101,1-2-5", p.with(MariaGtid.parse("0-1-101")).toString());
        assertEquals("0-3-7,1-2-5", p.with(MariaGtid.parse("0-3-7")).toString(), "the last GTID seen wins");
        assertEquals("0-1-100,1-2-5", p.toString(), "the original is unchanged");
    }

    @Test
    void withInsertsNewDomainsInOrder() {
        MariaGtidPosition p = MariaGtidPosition.EMPTY
                .with(MariaGtid.parse("5-1-1"))
                .with(MariaGtid.parse("0-1-1"))
                .with(MariaGtid.parse("3-1-1"))
                .with(MariaGtid.parse("4294967295-1-1"));
        assertEquals("0-1-1,3-1-1,5-1-1,4294967295-1-1", p.toString());
        assertEquals(List.of(0L, 3L, 5L, 4294967295L), List.copyOf(p.domains()));
    }

    @Test
    void withTheSameGtidReturnsTheSamePosition() {
        MariaGtidPosition p = MariaGtidPosition.parse("0-1-100");
        assertSame(p, p.with(new MariaGtid(0, 1, 100)));
    }

    @Test
    void gtidForAndAccessors() {
        MariaGtidPosition p = MariaGtidPosition.parse("1-2-5,0-1-100");
        assertEquals(Optional.of(new MariaGtid(1, 2, 5)), p.gtidFor(1));
        assertEquals(Optional.empty(), p.gtidFor(2));
        assertEquals(List.of(new MariaGtid(0, 1, 100), new MariaGtid(1, 2, 5)), p.gtids());
        assertEquals(Set.of(0L, 1L), p.domains());
        assertFalse(p.isEmpty());
        assertThrows(UnsupportedOperationException.class, () -> p.domains().add(9L));
        assertThrows(UnsupportedOperationException.class, () -> p.gtids().clear());
    }

    @Test
    void includesComparesSequenceNumbersWithinTheDomain() {
        MariaGtidPosition p = MariaGtidPosition.parse("0-1-100,1-2-5");
        assertTrue(p.includes(MariaGtid.parse("0-1-99")));
        assertTrue(p.includes(MariaGtid.parse("0-1-100")));
        assertFalse(p.includes(MariaGtid.parse("0-1-101")));
        assertTrue(p.includes(MariaGtid.parse("1-9-1")));
        assertFalse(p.includes(MariaGtid.parse("2-1-1")), "a domain the position lacks has reached nothing");
    }

    @Test
    void includesIgnoresServerIdBecauseSequencesContinueAcrossAFailover() {
        MariaGtidPosition p = MariaGtidPosition.parse("0-1-100");
        assertTrue(p.includes(MariaGtid.parse("0-2-100")));
        assertTrue(p.includes(MariaGtid.parse("0-3-50")));
        assertFalse(p.includes(MariaGtid.parse("0-2-101")));
    }

    @Test
    void includesComparesUnsigned() {
        MariaGtidPosition high = MariaGtidPosition.parse("0-1-9223372036854775808");
        assertTrue(high.includes(MariaGtid.parse("0-1-5")));
        assertTrue(high.includes(MariaGtid.parse("0-1-9223372036854775807")));
        assertFalse(high.includes(MariaGtid.parse("0-1-18446744073709551615")));
        MariaGtidPosition low = MariaGtidPosition.parse("0-1-5");
        assertFalse(low.includes(MariaGtid.parse("0-1-9223372036854775808")));
    }

    @Test
    void includesAll() {
        MariaGtidPosition p = MariaGtidPosition.parse("0-1-100,1-2-5");
        assertTrue(p.includesAll(MariaGtidPosition.parse("0-1-50,1-2-5")));
        assertTrue(p.includesAll(MariaGtidPosition.EMPTY));
        assertFalse(p.includesAll(MariaGtidPosition.parse("0-1-50,1-2-6")));
        assertFalse(p.includesAll(MariaGtidPosition.parse("2-1-1")));
        assertFalse(MariaGtidPosition.EMPTY.includesAll(p));
    }

    @Test
    void ofSortsAndRejectsDuplicateDomains() {
        MariaGtidPosition p = MariaGtidPosition.of(new MariaGtid(7, 1, 1), new MariaGtid(2, 1, 1));
        assertEquals("2-1-1,7-1-1", p.toString());
        assertSame(MariaGtidPosition.EMPTY, MariaGtidPosition.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MariaGtidPosition.of(new MariaGtid(2, 1, 1), new MariaGtid(2, 5, 9)));
        assertEquals("GTID 2-5-9 and 2-1-1 conflict (duplicate domain id 2)", e.getMessage());
        assertThrows(NullPointerException.class, () -> MariaGtidPosition.of(new MariaGtid(2, 1, 1), null));
    }

    @Test
    void equalsAndHashCodeIgnoreInputOrder() {
        MariaGtidPosition a = MariaGtidPosition.parse("0-1-100,1-2-5");
        MariaGtidPosition b = MariaGtidPosition.parse("1-2-5, 0-1-100");
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, MariaGtidPosition.parse("0-1-100,1-3-5"));
        assertNotEquals(a, MariaGtidPosition.parse("0-1-100"));
        assertNotEquals(a, "0-1-100,1-2-5");
    }
}
