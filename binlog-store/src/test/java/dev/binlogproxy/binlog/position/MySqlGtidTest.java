package dev.binlogproxy.binlog.position;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MySqlGtidTest {

    private static final UUID SID = UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562");

    @Test
    void parseAndFormatRoundTrip() {
        MySqlGtid g = MySqlGtid.parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:23");
        assertEquals(SID, g.sourceId());
        assertEquals(23, g.gno());
        assertEquals("3e11fa47-71ca-11e1-9e33-c80aa9429562:23", g.toString());
        assertEquals(g, MySqlGtid.parse(g.toString()));
    }

    @Test
    void upperCaseInputPrintsLowerCaseLikeMySql() {
        MySqlGtid g = MySqlGtid.parse("3E11FA47-71CA-11E1-9E33-C80AA9429562:23");
        assertEquals("3e11fa47-71ca-11e1-9e33-c80aa9429562:23", g.toString());
    }

    @Test
    void whitespaceAroundTokensIsIgnored() {
        assertEquals(new MySqlGtid(SID, 7), MySqlGtid.parse(" 3e11fa47-71ca-11e1-9e33-c80aa9429562 : 7\n"));
    }

    @Test
    void gnoBounds() {
        assertThrows(IllegalArgumentException.class, () -> new MySqlGtid(SID, 0));
        assertThrows(IllegalArgumentException.class, () -> new MySqlGtid(SID, -1));
        assertThrows(IllegalArgumentException.class, () -> new MySqlGtid(SID, Long.MAX_VALUE));
        assertEquals(Long.MAX_VALUE - 1, MySqlGtid.MAX_GNO);
        assertEquals(MySqlGtid.MAX_GNO, new MySqlGtid(SID, MySqlGtid.MAX_GNO).gno());
        assertEquals(MySqlGtid.MAX_GNO, MySqlGtid.parse(SID + ":9223372036854775806").gno());
        assertThrows(IllegalArgumentException.class, () -> MySqlGtid.parse(SID + ":9223372036854775807"));
        assertThrows(IllegalArgumentException.class, () -> MySqlGtid.parse(SID + ":99999999999999999999"));
        assertThrows(IllegalArgumentException.class, () -> MySqlGtid.parse(SID + ":0"));
    }

    @Test
    void nullSourceIdIsRejected() {
        assertThrows(NullPointerException.class, () -> new MySqlGtid(null, 1));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "1-2-3-4-5:1",                                   // UUID.fromString would accept this
        "3e11fa4771ca11e19e33c80aa9429562:1",            // 32 hex digits: MySQL GTIDs need the hyphens
        "{3e11fa47-71ca-11e1-9e33-c80aa9429562}:1",
        "3e11fa47-71ca-11e1-9e33-c80aa942956g:1",
        "3e11fa47_71ca-11e1-9e33-c80aa9429562:1",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:0x10",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:+5",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:\u0661",  // ARABIC-INDIC DIGIT ONE
    })
    void malformedGtidsAreRejected(String text) {
        assertThrows(IllegalArgumentException.class, () -> MySqlGtid.parse(text));
    }

    @Test
    void taggedGtidIsRejectedWithAClearMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MySqlGtid.parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:mytag:5"));
        assertTrue(e.getMessage().contains("tagged"), e.getMessage());
    }

    @Test
    void mysqlUuidOrderIsUnsignedByteOrderNotUuidCompareTo() {
        UUID low = UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562");
        UUID high = UUID.fromString("c80aa942-95c8-11e1-9e33-0123456789ab");
        // java.util.UUID compares signed longs: c8... is negative, so it sorts first. MySQL's memcmp does not.
        assertTrue(high.compareTo(low) < 0);
        assertTrue(MySqlGtid.MYSQL_UUID_ORDER.compare(low, high) < 0);

        List<UUID> uuids = new ArrayList<>(List.of(
                UUID.fromString("ffffffff-ffff-ffff-ffff-ffffffffffff"),
                UUID.fromString("80000000-0000-0000-0000-000000000000"),
                UUID.fromString("7fffffff-ffff-ffff-ffff-ffffffffffff"),
                UUID.fromString("00000000-0000-0000-8000-000000000000"),
                UUID.fromString("00000000-0000-0000-0000-000000000001")));
        uuids.sort(MySqlGtid.MYSQL_UUID_ORDER);
        List<String> texts = uuids.stream().map(UUID::toString).toList();
        List<String> sortedTexts = texts.stream().sorted().toList();
        assertEquals(sortedTexts, texts, "MySQL order must equal the order of the lowercase text");
        assertEquals("00000000-0000-0000-0000-000000000001", texts.get(0));
    }

    @Test
    void equalsAndHashCode() {
        MySqlGtid a = MySqlGtid.parse("3E11FA47-71CA-11E1-9E33-C80AA9429562:23");
        MySqlGtid b = new MySqlGtid(SID, 23);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, new MySqlGtid(SID, 24));
    }
}
