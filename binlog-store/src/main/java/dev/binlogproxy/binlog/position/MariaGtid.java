package dev.binlogproxy.binlog.position;

import java.util.Objects;

/**
 * One MariaDB global transaction identifier, {@code domain-server-sequence}.
 *
 * <p>Invariants: {@code 0 <= domainId <= 0xFFFFFFFF} and {@code 0 <= serverId <= 0xFFFFFFFF} (both are u32 on the
 * wire: the GTID event body and the event header). {@code seqNo} is a u64 stored in a long's bits: values above
 * {@code Long.MAX_VALUE} are negative as Java longs, so compare with {@link Long#compareUnsigned} and print with
 * {@link Long#toUnsignedString}, never with {@code <} or {@code Long.toString}. Sequence number 0 is allowed:
 * MariaDB accepts it in GTID positions (for instance {@code SET GLOBAL gtid_slave_pos='0-1-0'}).
 *
 * <p>Text form: {@code 0-1-100} (decimal, unsigned).
 */
public record MariaGtid(long domainId, long serverId, long seqNo) {

    /** Largest domain id or server id: both are unsigned 32-bit. */
    public static final long MAX_U32 = 0xFFFF_FFFFL;

    public MariaGtid {
        if (domainId < 0 || domainId > MAX_U32) {
            throw new IllegalArgumentException("MariaDB GTID domain id " + domainId + " out of range 0.." + MAX_U32);
        }
        if (serverId < 0 || serverId > MAX_U32) {
            throw new IllegalArgumentException("MariaDB GTID server id " + serverId + " out of range 0.." + MAX_U32);
        }
    }

    /**
     * Parses {@code domain-server-sequence}, three unsigned decimal numbers. Whitespace around the whole and around
     * each number is ignored (MariaDB itself only skips whitespace before each number).
     */
    public static MariaGtid parse(String text) {
        Objects.requireNonNull(text, "text");
        String[] parts = text.split("-", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("MariaDB GTID '" + text.strip()
                    + "' is not of the form domain-server-sequence");
        }
        long domain = parseUnsigned(parts[0].strip(), "domain id", text, MAX_U32);
        long server = parseUnsigned(parts[1].strip(), "server id", text, MAX_U32);
        long seq = parseUnsigned(parts[2].strip(), "sequence number", text, -1L);
        return new MariaGtid(domain, server, seq);
    }

    /** {@code domain-server-sequence}, the sequence number printed unsigned. */
    @Override
    public String toString() {
        return domainId + "-" + serverId + "-" + Long.toUnsignedString(seqNo);
    }

    /** @param max unsigned maximum; -1 means u64 */
    private static long parseUnsigned(String digits, String field, String whole, long max) {
        if (digits.isEmpty()) {
            throw new IllegalArgumentException("MariaDB GTID '" + whole.strip() + "' has no " + field);
        }
        for (int i = 0; i < digits.length(); i++) {
            char c = digits.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException("MariaDB GTID '" + whole.strip() + "' has a bad " + field + " '"
                        + digits + "' (expected unsigned decimal digits)");
            }
        }
        long value;
        try {
            value = Long.parseUnsignedLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("MariaDB GTID '" + whole.strip() + "' has a " + field + " out of range: "
                    + digits);
        }
        if (Long.compareUnsigned(value, max) > 0) {
            throw new IllegalArgumentException("MariaDB GTID '" + whole.strip() + "' has a " + field
                    + " out of range 0.." + Long.toUnsignedString(max) + ": " + digits);
        }
        return value;
    }
}
