package dev.binlogproxy.binlog.position;

import java.math.BigInteger;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;

/**
 * An immutable MySQL GTID set, untagged 8.0 form: for each source UUID, the set of GNOs executed from it.
 *
 * <h2>Representation and invariants</h2>
 * {@code sids} and {@code ranges} are parallel arrays.
 * <ul>
 *   <li>{@code sids} is sorted in MySQL's UUID order ({@link MySqlGtid#MYSQL_UUID_ORDER}: memcmp of the raw
 *       bytes, which is also the order of the lowercase text) and holds no duplicates.</li>
 *   <li>{@code ranges[i]} holds the intervals of {@code sids[i]} flattened as
 *       {@code start0, end0, start1, end1, ...}: start inclusive, end exclusive, exactly like MySQL's
 *       {@code Gtid_set::Interval} and the binary encoding.</li>
 *   <li>Every interval satisfies {@code 1 <= start < end <= Long.MAX_VALUE} (so every GNO is at most
 *       {@link MySqlGtid#MAX_GNO}).</li>
 *   <li>Intervals of one UUID are sorted and neither overlap nor touch: {@code end_k < start_(k+1)}. Touching
 *       intervals are always merged, so each set has exactly one representation and {@code equals} can compare
 *       arrays.</li>
 *   <li>No UUID has an empty interval list: a UUID is present iff at least one of its GTIDs is in the set.</li>
 * </ul>
 * Nothing mutates the arrays after construction; every operation returns a new set (or {@code this} when the
 * result would be equal). Operations that change a set copy the interval arrays of the UUIDs involved, which is
 * fine for replication sets (a handful of intervals per UUID); do not use {@link #add} to accumulate millions of
 * scattered GNOs.
 *
 * <h2>Text form</h2>
 * {@link #toString()} prints what MySQL 8.0 {@code Gtid_set::to_string} prints, except for the separator between
 * UUIDs: lowercase UUIDs in the order above, {@code :start-last} per interval (inclusive), a lone {@code :gno} for
 * an interval of one, and {@code ","} between UUIDs. MySQL's default format (used for {@code @@gtid_executed},
 * {@code @@gtid_purged} and the {@code Executed_Gtid_Set} column) puts {@code ",\n"} there; that exact form is
 * {@link #toServerString()}. The empty set is the empty string.
 *
 * <h2>Binary form</h2>
 * The body of PREVIOUS_GTIDS and the data of COM_BINLOG_DUMP_GTID, all integers little-endian:
 * {@code n_sids (8)}, then per UUID {@code sid (16 raw bytes, in the order the text is written)},
 * {@code n_intervals (8)}, then per interval {@code start (8, inclusive)} and {@code end (8, exclusive)}.
 * {@link #encode()} writes UUIDs in the order above, as MySQL does.
 */
public final class MySqlGtidSet {

    /** The set with no GTIDs; its text is "" and its encoding is 8 zero bytes. */
    public static final MySqlGtidSet EMPTY = new MySqlGtidSet(new UUID[0], new long[0][]);

    private static final int COUNT_BYTES = 8;
    private static final int SID_BYTES = 16;
    private static final int INTERVAL_BYTES = 16;
    /** The top byte of n_sids is a format marker since MySQL 8.3; 1 means the tagged encoding. */
    private static final int TAGGED_FORMAT_MARKER = 1;

    private final UUID[] sids;
    private final long[][] ranges;

    private MySqlGtidSet(UUID[] sids, long[][] ranges) {
        this.sids = sids;
        this.ranges = ranges;
    }

    /**
     * One interval of GNOs of a single UUID: {@code start} inclusive, {@code endExclusive} exclusive, as in the
     * binary form. Invariant: {@code 1 <= start < endExclusive}.
     */
    public record Interval(long start, long endExclusive) {
        public Interval {
            if (start < 1 || endExclusive <= start) {
                throw new IllegalArgumentException("bad GNO interval [" + start + ", " + endExclusive
                        + "): need 1 <= start < end");
            }
        }

        /** The last GNO in the interval (inclusive). */
        public long last() {
            return endExclusive - 1;
        }

        /** How many GNOs the interval holds. */
        public long count() {
            return endExclusive - start;
        }

        public boolean contains(long gno) {
            return gno >= start && gno < endExclusive;
        }

        /** The text form: {@code start-last}, or {@code start} for one GNO. */
        @Override
        public String toString() {
            return endExclusive - start == 1 ? Long.toString(start) : start + "-" + last();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Text

    /**
     * Parses a GTID set as MySQL prints or accepts it: {@code uuid:interval[:interval...]} specifications
     * separated by commas, where an interval is {@code gno} or {@code first-last} (inclusive).
     *
     * <p>Accepted, as MySQL accepts it: whitespace (including the newlines of MySQL's {@code ",\n"}) around any
     * token; upper or lower case UUIDs; intervals in any order, overlapping or touching, and the same UUID in
     * several specifications (all merged); empty specifications ({@code ",,"}, a trailing comma); the empty or
     * blank string (the empty set).
     *
     * <p>Rejected, where MySQL is laxer: a UUID without intervals (MySQL adds nothing for it; here it is most
     * likely a truncated copy), {@code first-last} with {@code last < first} (MySQL silently ignores the
     * interval), and GNOs in signed, hex or octal notation. Tagged GTIDs (MySQL 8.3+) are rejected too.
     *
     * @throws IllegalArgumentException naming the bad part
     */
    public static MySqlGtidSet parse(String text) {
        Objects.requireNonNull(text, "text");
        try {
            return parseUnchecked(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Malformed GTID set specification '" + MySqlGtid.clip(text) + "': "
                    + e.getMessage(), e);
        }
    }

    private static MySqlGtidSet parseUnchecked(String text) {
        TreeMap<UUID, LongList> bySid = new TreeMap<>(MySqlGtid.MYSQL_UUID_ORDER);
        for (String element : text.split(",", -1)) {
            String spec = element.strip();
            if (spec.isEmpty()) {
                continue;
            }
            String[] parts = spec.split(":", -1);
            UUID sid = MySqlGtid.parseUuid(parts[0].strip(), spec);
            if (parts.length == 1) {
                throw new IllegalArgumentException("'" + MySqlGtid.clip(spec) + "' has no GNO intervals");
            }
            LongList list = bySid.computeIfAbsent(sid, k -> new LongList());
            for (int i = 1; i < parts.length; i++) {
                String interval = parts[i].strip();
                if (interval.isEmpty()) {
                    throw new IllegalArgumentException("empty interval in '" + MySqlGtid.clip(spec) + "'");
                }
                char first = interval.charAt(0);
                if (Character.isLetter(first) || first == '_') {
                    throw new IllegalArgumentException("'" + MySqlGtid.clip(interval) + "' in '" + MySqlGtid.clip(spec)
                            + "' is not a GNO interval (tagged GTIDs of MySQL 8.3+ are not supported)");
                }
                int dash = interval.indexOf('-');
                long start;
                long last;
                if (dash < 0) {
                    start = MySqlGtid.parseGno(interval, spec);
                    last = start;
                } else {
                    start = MySqlGtid.parseGno(interval.substring(0, dash).strip(), spec);
                    last = MySqlGtid.parseGno(interval.substring(dash + 1).strip(), spec);
                    if (last < start) {
                        throw new IllegalArgumentException("interval '" + MySqlGtid.clip(interval) + "' in '"
                                + MySqlGtid.clip(spec) + "' ends before it starts");
                    }
                }
                list.add(start, last + 1);
            }
        }
        if (bySid.isEmpty()) {
            return EMPTY;
        }
        UUID[] sids = new UUID[bySid.size()];
        long[][] ranges = new long[bySid.size()][];
        int i = 0;
        for (Map.Entry<UUID, LongList> e : bySid.entrySet()) {
            sids[i] = e.getKey();
            ranges[i] = normalize(e.getValue());
            i++;
        }
        return new MySqlGtidSet(sids, ranges);
    }

    /**
     * Canonical text: lowercase UUIDs in MySQL order, merged intervals, {@code ","} between UUIDs; {@code ""}
     * for the empty set. Parsing it gives back an equal set.
     */
    @Override
    public String toString() {
        return format(",");
    }

    /**
     * Exactly what MySQL 8.0 returns for {@code SELECT @@GLOBAL.gtid_executed} and in the
     * {@code Executed_Gtid_Set} column: like {@link #toString()} but with {@code ",\n"} between UUIDs.
     */
    public String toServerString() {
        return format(",\n");
    }

    private String format(String uuidSeparator) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < sids.length; i++) {
            if (i > 0) {
                sb.append(uuidSeparator);
            }
            sb.append(sids[i]);
            long[] r = ranges[i];
            for (int k = 0; k < r.length; k += 2) {
                sb.append(':').append(r[k]);
                if (r[k + 1] - r[k] > 1) {
                    sb.append('-').append(r[k + 1] - 1);
                }
            }
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Binary

    /** Size of {@link #encode()}: {@code 8 + sum over UUIDs of (16 + 8 + 16 * n_intervals)}. */
    public int encodedLength() {
        long length = COUNT_BYTES;
        for (long[] r : ranges) {
            length += SID_BYTES + COUNT_BYTES + (long) INTERVAL_BYTES * (r.length / 2);
        }
        return Math.toIntExact(length);
    }

    /** The binary form (see the class comment), UUIDs in MySQL order. */
    public byte[] encode() {
        byte[] out = new byte[encodedLength()];
        encodeTo(ByteBuffer.wrap(out));
        return out;
    }

    /**
     * Writes the binary form at {@code out}'s position and advances it by {@link #encodedLength()}. Integers are
     * little-endian whatever {@code out}'s byte order; {@code out}'s order is left alone.
     *
     * @throws BufferOverflowException if fewer than {@link #encodedLength()} bytes remain (nothing is written)
     */
    public void encodeTo(ByteBuffer out) {
        int length = encodedLength();
        if (out.remaining() < length) {
            throw new BufferOverflowException();
        }
        ByteBuffer w = out.slice().order(ByteOrder.LITTLE_ENDIAN);
        w.putLong(sids.length);
        for (int i = 0; i < sids.length; i++) {
            // The UUID goes out big-endian (bytes in text order): reverse for the little-endian view.
            w.putLong(Long.reverseBytes(sids[i].getMostSignificantBits()));
            w.putLong(Long.reverseBytes(sids[i].getLeastSignificantBits()));
            long[] r = ranges[i];
            w.putLong(r.length / 2);
            for (long v : r) {
                w.putLong(v);
            }
        }
        out.position(out.position() + length);
    }

    /** Decodes a binary GTID set that fills {@code bytes} exactly. See {@link #decode(byte[], int, int)}. */
    public static MySqlGtidSet decode(byte[] bytes) {
        return decode(bytes, 0, bytes.length);
    }

    /**
     * Decodes a binary GTID set that occupies exactly {@code length} bytes from {@code offset}, as in a
     * COM_BINLOG_DUMP_GTID data field or a PREVIOUS_GTIDS body (without its checksum). Trailing bytes are an
     * error, as in MySQL's {@code add_gtid_encoding} when no actual length is asked for.
     *
     * <p>Validation is MySQL's own: within one UUID entry the intervals must have {@code start >= 1},
     * {@code end > start}, and start after the previous interval's end; intervals that overlap, come out of
     * order or touch are rejected (MySQL always writes merged, sorted intervals, so such input is corrupt).
     * UUID entries may come in any order and the same UUID may appear in several entries (they are merged);
     * MySQL accepts both, and some client libraries write UUIDs in hash order. An entry with zero intervals
     * adds nothing.
     *
     * <p>Byte offsets in error messages count from the start of the encoded set ({@code offset}).
     *
     * @throws IllegalArgumentException with "GTID set truncated at byte N: need K bytes for FIELD, L left" when
     *     the input ends early, "GTID set invalid at byte N: ..." for a bad value, or a trailing-bytes message
     */
    public static MySqlGtidSet decode(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        ByteBuffer in = ByteBuffer.wrap(bytes, offset, length).slice().order(ByteOrder.LITTLE_ENDIAN);
        MySqlGtidSet set = decodeFrom(in);
        if (in.hasRemaining()) {
            throw new IllegalArgumentException("GTID set has " + in.remaining() + " trailing bytes after its end at"
                    + " byte " + in.position());
        }
        return set;
    }

    /**
     * Decodes a binary GTID set starting at {@code buffer}'s position and advances the position past it; bytes
     * after the set are left for the caller. Integers are read little-endian whatever {@code buffer}'s order.
     * On failure the position is unchanged. Validation and messages as in {@link #decode(byte[], int, int)}.
     */
    public static MySqlGtidSet decode(ByteBuffer buffer) {
        ByteBuffer in = buffer.slice().order(ByteOrder.LITTLE_ENDIAN);
        MySqlGtidSet set = decodeFrom(in);
        buffer.position(buffer.position() + in.position());
        return set;
    }

    /** {@code in} is little-endian and positioned at the start of the set (position 0 is byte 0). */
    private static MySqlGtidSet decodeFrom(ByteBuffer in) {
        need(in, COUNT_BYTES, "n_sids");
        long nSids = in.getLong();
        if (nSids >>> 56 != 0) {
            if (nSids >>> 56 == TAGGED_FORMAT_MARKER) {
                throw new IllegalArgumentException("GTID set invalid at byte 0: tagged GTID set encoding"
                        + " (MySQL 8.3+) is not supported");
            }
            throw new IllegalArgumentException("GTID set invalid at byte 0: n_sids "
                    + Long.toUnsignedString(nSids) + " is impossible");
        }
        TreeMap<UUID, long[]> bySid = new TreeMap<>(MySqlGtid.MYSQL_UUID_ORDER);
        for (long k = 0; k < nSids; k++) {
            need(in, SID_BYTES, "sid #" + k);
            UUID sid = new UUID(Long.reverseBytes(in.getLong()), Long.reverseBytes(in.getLong()));
            String who = "sid #" + k + " (" + sid + ")";
            need(in, COUNT_BYTES, "n_intervals of " + who);
            long nIntervals = in.getLong();
            // Checked before allocating so a corrupt count cannot ask for a huge array.
            if (Long.compareUnsigned(nIntervals, in.remaining() / INTERVAL_BYTES) > 0) {
                BigInteger needed = new BigInteger(Long.toUnsignedString(nIntervals))
                        .multiply(BigInteger.valueOf(INTERVAL_BYTES));
                throw new IllegalArgumentException("GTID set truncated at byte " + in.position() + ": need " + needed
                        + " bytes for " + Long.toUnsignedString(nIntervals) + " intervals of " + who + ", "
                        + in.remaining() + " left");
            }
            int count = (int) nIntervals;
            long[] r = new long[2 * count];
            long previousEnd = 0;
            for (int i = 0; i < count; i++) {
                int at = in.position();
                long start = in.getLong();
                long end = in.getLong();
                String interval = "interval #" + i + " [" + start + ", " + end + ") of " + who;
                if (start < 1) {
                    throw invalid(at, interval + " starts below 1");
                }
                if (end <= start) {
                    throw invalid(at + COUNT_BYTES, interval + " does not end after its start");
                }
                if (start < previousEnd) {
                    throw invalid(at, interval + " starts before the previous interval ends at " + previousEnd
                            + " (intervals must be sorted and disjoint)");
                }
                if (start == previousEnd) {
                    throw invalid(at, interval + " touches the previous interval (MySQL writes merged intervals)");
                }
                r[2 * i] = start;
                r[2 * i + 1] = end;
                previousEnd = end;
            }
            if (count > 0) {
                bySid.merge(sid, r, MySqlGtidSet::unionRanges);
            }
        }
        return fromMap(bySid);
    }

    private static void need(ByteBuffer in, int bytes, String field) {
        if (in.remaining() < bytes) {
            throw new IllegalArgumentException("GTID set truncated at byte " + in.position() + ": need " + bytes
                    + " bytes for " + field + ", " + in.remaining() + " left");
        }
    }

    private static IllegalArgumentException invalid(int at, String what) {
        return new IllegalArgumentException("GTID set invalid at byte " + at + ": " + what);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Queries

    public boolean isEmpty() {
        return sids.length == 0;
    }

    /**
     * Number of GTIDs in the set.
     *
     * @throws ArithmeticException if that exceeds {@code Long.MAX_VALUE} (possible only for several UUIDs with
     *     near-maximal ranges)
     */
    public long count() {
        long total = 0;
        for (long[] r : ranges) {
            for (int k = 0; k < r.length; k += 2) {
                total = Math.addExact(total, r[k + 1] - r[k]);
            }
        }
        return total;
    }

    /** The source UUIDs that have at least one GTID in the set, in MySQL order. */
    public List<UUID> sourceIds() {
        return List.of(sids);
    }

    /** The intervals of {@code sourceId}, sorted, merged; empty if the UUID has no GTID in the set. */
    public List<Interval> intervals(UUID sourceId) {
        long[] r = rangesOf(sourceId);
        if (r == null) {
            return List.of();
        }
        List<Interval> out = new ArrayList<>(r.length / 2);
        for (int k = 0; k < r.length; k += 2) {
            out.add(new Interval(r[k], r[k + 1]));
        }
        return List.copyOf(out);
    }

    /** Whether the set holds {@code gtid}: O(log UUIDs + log intervals of that UUID). */
    public boolean contains(MySqlGtid gtid) {
        long[] r = rangesOf(gtid.sourceId());
        if (r == null) {
            return false;
        }
        int p = floorInterval(r, gtid.gno());
        return p >= 0 && gtid.gno() < r[2 * p + 1];
    }

    /** Whether every GTID of {@code other} is in this set (this ⊇ other). */
    public boolean containsAll(MySqlGtidSet other) {
        for (int i = 0; i < other.sids.length; i++) {
            long[] mine = rangesOf(other.sids[i]);
            if (mine == null) {
                return false;
            }
            long[] theirs = other.ranges[i];
            for (int k = 0; k < theirs.length; k += 2) {
                // Intervals never touch, so a contained interval lies inside a single one of ours.
                int p = floorInterval(mine, theirs[k]);
                if (p < 0 || theirs[k + 1] > mine[2 * p + 1]) {
                    return false;
                }
            }
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Operations

    /** This set plus {@code gtid}; {@code this} if it is already in. */
    public MySqlGtidSet add(MySqlGtid gtid) {
        if (contains(gtid)) {
            return this;
        }
        return union(new MySqlGtidSet(new UUID[] {gtid.sourceId()},
                new long[][] {{gtid.gno(), gtid.gno() + 1}}));
    }

    /** Every GTID in this set or in {@code other}. */
    public MySqlGtidSet union(MySqlGtidSet other) {
        if (other.isEmpty() || this == other) {
            return this;
        }
        if (isEmpty()) {
            return other;
        }
        UUID[] outSids = new UUID[sids.length + other.sids.length];
        long[][] outRanges = new long[outSids.length][];
        int i = 0;
        int j = 0;
        int n = 0;
        while (i < sids.length || j < other.sids.length) {
            int c = i == sids.length ? 1
                    : j == other.sids.length ? -1
                    : MySqlGtid.MYSQL_UUID_ORDER.compare(sids[i], other.sids[j]);
            if (c < 0) {
                outSids[n] = sids[i];
                outRanges[n++] = ranges[i++];
            } else if (c > 0) {
                outSids[n] = other.sids[j];
                outRanges[n++] = other.ranges[j++];
            } else {
                outSids[n] = sids[i];
                outRanges[n++] = unionRanges(ranges[i++], other.ranges[j++]);
            }
        }
        return new MySqlGtidSet(Arrays.copyOf(outSids, n), Arrays.copyOf(outRanges, n));
    }

    /** The GTIDs of this set that are not in {@code other}. */
    public MySqlGtidSet subtract(MySqlGtidSet other) {
        if (isEmpty() || other.isEmpty()) {
            return this;
        }
        UUID[] outSids = new UUID[sids.length];
        long[][] outRanges = new long[sids.length][];
        int n = 0;
        boolean changed = false;
        for (int i = 0; i < sids.length; i++) {
            long[] theirs = other.rangesOf(sids[i]);
            long[] r = theirs == null ? ranges[i] : subtractRanges(ranges[i], theirs);
            changed |= r != ranges[i];
            if (r.length > 0) {
                outSids[n] = sids[i];
                outRanges[n++] = r;
            }
        }
        if (!changed) {
            return this;
        }
        return n == 0 ? EMPTY : new MySqlGtidSet(Arrays.copyOf(outSids, n), Arrays.copyOf(outRanges, n));
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof MySqlGtidSet)) {
            return false;
        }
        MySqlGtidSet other = (MySqlGtidSet) o;
        // Sound because the representation is canonical (see invariants).
        return Arrays.equals(sids, other.sids) && Arrays.deepEquals(ranges, other.ranges);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(sids) + Arrays.deepHashCode(ranges);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Interval arithmetic on flattened, normalized arrays (start inclusive, end exclusive).

    private long[] rangesOf(UUID sid) {
        int i = Arrays.binarySearch(sids, sid, MySqlGtid.MYSQL_UUID_ORDER);
        return i >= 0 ? ranges[i] : null;
    }

    /** Index (in intervals, not longs) of the last interval whose start is {@code <= gno}, or -1. */
    private static int floorInterval(long[] r, long gno) {
        int lo = 0;
        int hi = r.length / 2 - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (r[2 * mid] <= gno) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    private static long[] unionRanges(long[] a, long[] b) {
        long[] out = new long[a.length + b.length];
        int n = 0;
        int i = 0;
        int j = 0;
        while (i < a.length || j < b.length) {
            long s;
            long e;
            if (j == b.length || (i < a.length && a[i] <= b[j])) {
                s = a[i];
                e = a[i + 1];
                i += 2;
            } else {
                s = b[j];
                e = b[j + 1];
                j += 2;
            }
            if (n > 0 && s <= out[n - 1]) {
                // Overlaps or touches the last interval written: extend it.
                out[n - 1] = Math.max(out[n - 1], e);
            } else {
                out[n++] = s;
                out[n++] = e;
            }
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /** {@code a} minus {@code b}; returns {@code a} itself when nothing is removed. */
    private static long[] subtractRanges(long[] a, long[] b) {
        // Each interval of b can split at most one interval of a in two.
        long[] out = new long[a.length + b.length];
        int n = 0;
        int j = 0;
        for (int i = 0; i < a.length; i += 2) {
            long s = a[i];
            long e = a[i + 1];
            while (j < b.length && b[j + 1] <= s) {
                j += 2; // b's interval ends before this (and every later) interval of a starts
            }
            int k = j;
            while (s < e) {
                if (k == b.length || b[k] >= e) {
                    out[n++] = s;
                    out[n++] = e;
                    break;
                }
                if (b[k] > s) {
                    out[n++] = s;
                    out[n++] = b[k];
                }
                s = Math.max(s, b[k + 1]);
                k += 2;
            }
        }
        if (n == a.length && Arrays.equals(a, 0, n, out, 0, n)) {
            return a;
        }
        return Arrays.copyOf(out, n);
    }

    /** Sorts {@code list}'s intervals by start and merges overlapping or touching ones. */
    private static long[] normalize(LongList list) {
        int count = list.size / 2;
        long[][] pairs = new long[count][];
        for (int i = 0; i < count; i++) {
            pairs[i] = new long[] {list.values[2 * i], list.values[2 * i + 1]};
        }
        Arrays.sort(pairs, Comparator.comparingLong(p -> p[0]));
        long[] out = new long[2 * count];
        int n = 0;
        for (long[] p : pairs) {
            if (n > 0 && p[0] <= out[n - 1]) {
                out[n - 1] = Math.max(out[n - 1], p[1]);
            } else {
                out[n++] = p[0];
                out[n++] = p[1];
            }
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    private static MySqlGtidSet fromMap(TreeMap<UUID, long[]> bySid) {
        if (bySid.isEmpty()) {
            return EMPTY;
        }
        UUID[] sids = bySid.keySet().toArray(new UUID[0]);
        long[][] ranges = bySid.values().toArray(new long[0][]);
        return new MySqlGtidSet(sids, ranges);
    }

    /** A growable array of longs, for collecting intervals while parsing. */
    private static final class LongList {
        long[] values = new long[8];
        int size;

        void add(long start, long end) {
            if (size + 2 > values.length) {
                values = Arrays.copyOf(values, values.length * 2);
            }
            values[size++] = start;
            values[size++] = end;
        }
    }
}
