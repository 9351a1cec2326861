package dev.binlogproxy.binlog.position;

import java.util.Comparator;
import java.util.Objects;
import java.util.UUID;

/**
 * One MySQL global transaction identifier: the source server's UUID and the transaction number (GNO) on it.
 * Untagged 8.0 form only; tagged GTIDs ({@code uuid:tag:gno}, MySQL 8.3+) are rejected.
 *
 * <p>Invariants: {@code sourceId} is non-null; {@code 1 <= gno <= MAX_GNO}. MySQL numbers transactions from 1 and
 * treats {@code INT64_MAX} as one past the largest GNO ({@code GNO_END}); keeping GNOs below it means the
 * exclusive interval end {@code gno + 1} used by the binary GTID set form never overflows a signed 64-bit field.
 *
 * <p>Text form: {@code 3e11fa47-71ca-11e1-9e33-c80aa9429562:23}, UUID in lowercase as MySQL prints it.
 */
public record MySqlGtid(UUID sourceId, long gno) {

    /** Largest GNO MySQL accepts: {@code GNO_END - 1} where {@code GNO_END = INT64_MAX}. */
    public static final long MAX_GNO = Long.MAX_VALUE - 1;

    /**
     * The order MySQL gives source UUIDs when it prints or encodes a GTID set: memcmp of the 16 raw bytes
     * (Sid_map keeps its sorted index that way). With big-endian bytes that is an unsigned comparison of the
     * most significant long, then of the least significant one, and it equals the order of the lowercase text.
     * {@link UUID#compareTo} compares signed longs and would put {@code c8...} before {@code 3e...}: never use it
     * for MySQL ordering.
     */
    static final Comparator<UUID> MYSQL_UUID_ORDER = (a, b) -> {
        int high = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
        return high != 0 ? high : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
    };

    /** Length of the textual UUID MySQL accepts in GTIDs: 8-4-4-4-12 hex digits. */
    static final int UUID_TEXT_LENGTH = 36;

    /** How much of a bad input an error message repeats (MySQL repeats 200 characters too). */
    private static final int MAX_ECHO = 200;

    public MySqlGtid {
        Objects.requireNonNull(sourceId, "sourceId");
        checkGno(gno);
    }

    /**
     * Parses {@code uuid:gno}. The UUID must be in the 36-character hyphenated form (either case); the GNO is
     * decimal digits. Whitespace around the whole and around the colon is ignored.
     */
    public static MySqlGtid parse(String text) {
        Objects.requireNonNull(text, "text");
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("GTID '" + clip(text) + "' is not of the form uuid:gno");
        }
        UUID sid = parseUuid(text.substring(0, colon).strip(), text);
        String gnoText = text.substring(colon + 1).strip();
        if (gnoText.indexOf(':') >= 0) {
            throw new IllegalArgumentException("GTID '" + clip(text)
                    + "' has more than one ':' (tagged GTIDs of MySQL 8.3+ are not supported)");
        }
        return new MySqlGtid(sid, parseGno(gnoText, text));
    }

    /** {@code uuid:gno} with the UUID in lowercase, as MySQL prints it. */
    @Override
    public String toString() {
        return sourceId + ":" + gno;
    }

    static void checkGno(long gno) {
        if (gno < 1 || gno > MAX_GNO) {
            throw new IllegalArgumentException("GNO " + gno + " out of range 1.." + MAX_GNO);
        }
    }

    /**
     * Parses a GNO written in decimal. MySQL's own parser (strtoll with base 0) also takes signs and hex or octal
     * prefixes; MySQL never prints those and no replica sends them, so they are rejected here.
     *
     * @param whole the whole input, named in the error message
     */
    static long parseGno(String digits, String whole) {
        if (digits.isEmpty()) {
            throw new IllegalArgumentException("missing GNO in '" + clip(whole) + "'");
        }
        for (int i = 0; i < digits.length(); i++) {
            char c = digits.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException("bad GNO '" + clip(digits) + "' in '" + clip(whole)
                        + "' (expected decimal digits)");
            }
        }
        long value;
        try {
            value = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("GNO '" + clip(digits) + "' in '" + clip(whole) + "' out of range 1.."
                    + MAX_GNO);
        }
        if (value < 1 || value > MAX_GNO) {
            throw new IllegalArgumentException("GNO '" + clip(digits) + "' in '" + clip(whole) + "' out of range 1.."
                    + MAX_GNO);
        }
        return value;
    }

    /**
     * Parses the 36-character hyphenated UUID form, upper or lower case. Stricter than {@link UUID#fromString},
     * which accepts short groups such as {@code 1-2-3-4-5}; MySQL takes exactly 8-4-4-4-12 hex digits in a GTID.
     *
     * @param whole the whole input, named in the error message
     */
    static UUID parseUuid(String text, String whole) {
        if (text.length() != UUID_TEXT_LENGTH) {
            throw new IllegalArgumentException("bad UUID '" + clip(text) + "' in '" + clip(whole)
                    + "' (expected 36 characters: 8-4-4-4-12 hex digits)");
        }
        long msb = 0;
        long lsb = 0;
        int nibbles = 0;
        for (int i = 0; i < UUID_TEXT_LENGTH; i++) {
            char c = text.charAt(i);
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                if (c != '-') {
                    throw new IllegalArgumentException("bad UUID '" + clip(text) + "' in '" + clip(whole)
                            + "' (expected '-' at index " + i + ")");
                }
                continue;
            }
            int v = hexValue(c);
            if (v < 0) {
                throw new IllegalArgumentException("bad UUID '" + clip(text) + "' in '" + clip(whole)
                        + "' (not a hex digit at index " + i + ")");
            }
            if (nibbles < 16) {
                msb = (msb << 4) | v;
            } else {
                lsb = (lsb << 4) | v;
            }
            nibbles++;
        }
        return new UUID(msb, lsb);
    }

    /** {@code s}, or its first 200 characters and "..." if longer: error messages must stay readable. */
    static String clip(String s) {
        return s.length() <= MAX_ECHO ? s : s.substring(0, MAX_ECHO) + "...";
    }

    /** ASCII hex digit value, or -1 (Character.digit would also take non-ASCII digits). */
    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
