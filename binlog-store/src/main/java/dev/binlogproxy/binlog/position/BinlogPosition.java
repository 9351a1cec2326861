package dev.binlogproxy.binlog.position;

import java.util.Objects;

/**
 * A point in one server's binary log: a binlog file name and a byte offset into that file.
 *
 * <p>Invariants (checked by the constructor, so every instance holds them):
 * <ul>
 *   <li>{@code file} is a bare file name: non-empty, no {@code '/'}, no {@code '\\'}, no NUL, and not
 *       {@code "."} or {@code ".."}. File names reach us from peers (COM_BINLOG_DUMP, ROTATE events,
 *       semi-sync ACKs); rejecting separators here means no such name can ever name a path outside the
 *       binlog directory. MySQL and MariaDB strip the directory from names they send, so no real name is lost.</li>
 *   <li>{@code offset >= 4} ({@link #FIRST_EVENT_OFFSET}). A binlog file starts with the 4-byte magic
 *       {@code FE 62 69 6E}; the first event (the FORMAT_DESCRIPTION) is at offset 4, and MySQL refuses a dump
 *       request below 4 ("requested ... position < 4"). Offset 0 is rejected rather than read as "start of
 *       file": two spellings of one point would make {@code equals} and ordering disagree with meaning. Use
 *       {@link #startOf(String)}. Wire fields that carry 0 as "no position" (the log_pos of artificial events)
 *       must be mapped by their decoder, not stored here.</li>
 *   <li>No upper bound on {@code offset} beyond {@code long}: ROTATE bodies and COM_BINLOG_DUMP_GTID carry 8-byte
 *       positions, and only the 4-byte event header log_pos caps at 4 GiB; that limit belongs to the header codec.</li>
 * </ul>
 *
 * <p>A position names the boundary <em>between</em> events: the end offset of one event (its header log_pos) is
 * the start of the next. Whether it is safe to publish a given end position (for instance only after the event
 * that ends a transaction) is the writer's rule, not this type's.
 *
 * <p>Ordering: positions are ordered by file, then offset. Files are ordered the way MySQL numbers them: by the
 * basename (the text before the last {@code '.'}, compared as a String), then by the numeric extension compared
 * as a number, so {@code mysql-bin.999999 < mysql-bin.1000000}. A file whose name has no numeric extension sorts
 * before the numbered files of the same basename. Two names with equal numbers but different digits
 * ({@code x.01}, {@code x.001}) are ordered by their text so that {@code compareTo} stays consistent with
 * {@code equals}.
 */
public record BinlogPosition(String file, long offset) implements Comparable<BinlogPosition> {

    /** Offset of the first event in every binlog file: right after the 4-byte magic. */
    public static final long FIRST_EVENT_OFFSET = 4;

    /** MySQL pads the numeric extension to at least this many digits ({@code mysql-bin.000001}). */
    static final int MIN_SEQUENCE_DIGITS = 6;

    public BinlogPosition {
        validateFileName(file);
        if (offset < FIRST_EVENT_OFFSET) {
            throw new IllegalArgumentException("binlog offset " + offset + " in " + file
                    + " is below " + FIRST_EVENT_OFFSET + " (the first event follows the 4-byte magic)");
        }
    }

    /** The position of the first event of {@code file}: offset 4. */
    public static BinlogPosition startOf(String file) {
        return new BinlogPosition(file, FIRST_EVENT_OFFSET);
    }

    /**
     * Parses {@code file:offset}, for example {@code mysql-bin.000003:1234}. The file is everything before the
     * last {@code ':'}; surrounding whitespace is ignored. The offset is decimal digits only.
     */
    public static BinlogPosition parse(String text) {
        Objects.requireNonNull(text, "text");
        String s = text.strip();
        int colon = s.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("binlog position '" + text + "' is not of the form file:offset");
        }
        String file = s.substring(0, colon);
        String digits = s.substring(colon + 1);
        if (digits.isEmpty() || !isAsciiDigits(digits, 0)) {
            throw new IllegalArgumentException("binlog position '" + text + "' has a bad offset '" + digits
                    + "' (expected decimal digits)");
        }
        long offset;
        try {
            offset = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("binlog position '" + text + "' has an offset out of range: "
                    + digits);
        }
        return new BinlogPosition(file, offset);
    }

    /** The same file at another offset. */
    public BinlogPosition withOffset(long newOffset) {
        return new BinlogPosition(file, newOffset);
    }

    /** Whether {@link #fileSequence()} and {@link #basename()} will succeed for this file name. */
    public boolean hasFileSequence() {
        return sequenceDot(file) >= 0;
    }

    /**
     * The numeric extension of the file name as a number: 3 for {@code mysql-bin.000003}.
     *
     * @throws IllegalArgumentException if the name has no numeric extension, or one too large for a long
     */
    public long fileSequence() {
        int dot = requireSequenceDot();
        String digits = file.substring(dot + 1);
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("binlog file name '" + file + "' has a numeric extension too large"
                    + " for a long: " + digits);
        }
    }

    /**
     * The file name without its numeric extension: {@code mysql-bin} for {@code mysql-bin.000003}.
     *
     * @throws IllegalArgumentException if the name has no numeric extension
     */
    public String basename() {
        return file.substring(0, requireSequenceDot());
    }

    /**
     * The name MySQL gives file number {@code sequence} of a binlog with this basename: the number is zero-padded
     * to 6 digits and simply grows past them ({@code mysql-bin.000001}, {@code mysql-bin.999999},
     * {@code mysql-bin.1000000}).
     */
    public static String fileName(String basename, long sequence) {
        Objects.requireNonNull(basename, "basename");
        if (basename.isEmpty()) {
            throw new IllegalArgumentException("binlog basename is empty");
        }
        if (sequence < 0) {
            throw new IllegalArgumentException("binlog file sequence " + sequence + " is negative");
        }
        String digits = Long.toString(sequence);
        StringBuilder name = new StringBuilder(basename.length() + 1 + Math.max(MIN_SEQUENCE_DIGITS, digits.length()));
        name.append(basename).append('.');
        for (int i = digits.length(); i < MIN_SEQUENCE_DIGITS; i++) {
            name.append('0');
        }
        name.append(digits);
        String result = name.toString();
        validateFileName(result);
        return result;
    }

    @Override
    public int compareTo(BinlogPosition other) {
        int byFile = compareFileNames(file, other.file);
        return byFile != 0 ? byFile : Long.compare(offset, other.offset);
    }

    /** {@code file:offset}, the form {@link #parse(String)} reads. */
    @Override
    public String toString() {
        return file + ":" + offset;
    }

    /**
     * Orders binlog file names as described in the class comment; consistent with String equality. Allocates
     * nothing: the archive's file map compares names on every lookup a reader makes, once per event.
     */
    public static int compareFiles(String a, String b) {
        return compareFileNames(a, b);
    }

    static int compareFileNames(String a, String b) {
        if (a.equals(b)) {
            return 0;
        }
        int dotA = sequenceDot(a);
        int dotB = sequenceDot(b);
        int byBase = comparePrefixes(a, dotA >= 0 ? dotA : a.length(), b, dotB >= 0 ? dotB : b.length());
        if (byBase != 0) {
            return byBase;
        }
        if (dotA < 0 || dotB < 0) {
            // Same basename, at most one of them numbered: the unnumbered one first.
            return dotA < 0 ? (dotB < 0 ? a.compareTo(b) : -1) : 1;
        }
        int byNumber = compareDecimals(a, dotA + 1, b, dotB + 1);
        return byNumber != 0 ? byNumber : a.compareTo(b);
    }

    /** {@link String#compareTo} of {@code a[0, lenA)} and {@code b[0, lenB)}. */
    private static int comparePrefixes(String a, int lenA, String b, int lenB) {
        int n = Math.min(lenA, lenB);
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                return x - y;
            }
        }
        return lenA - lenB;
    }

    /** Compares the ASCII digit strings {@code x[fromX, end)} and {@code y[fromY, end)} as unbounded numbers. */
    private static int compareDecimals(String x, int fromX, String y, int fromY) {
        int ix = skipLeadingZeros(x, fromX);
        int iy = skipLeadingZeros(y, fromY);
        int lx = x.length() - ix;
        int ly = y.length() - iy;
        if (lx != ly) {
            return Integer.compare(lx, ly);
        }
        for (int k = 0; k < lx; k++) {
            char cx = x.charAt(ix + k);
            char cy = y.charAt(iy + k);
            if (cx != cy) {
                return cx - cy;
            }
        }
        return 0;
    }

    private static int skipLeadingZeros(String digits, int from) {
        int i = from;
        while (i < digits.length() - 1 && digits.charAt(i) == '0') {
            i++;
        }
        return i;
    }

    /** Index of the dot before a numeric extension, or -1 if the name has none (or nothing before the dot). */
    private static int sequenceDot(String name) {
        int dot = name.lastIndexOf('.');
        if (dot <= 0 || dot == name.length() - 1) {
            return -1;
        }
        return isAsciiDigits(name, dot + 1) ? dot : -1;
    }

    private int requireSequenceDot() {
        int dot = sequenceDot(file);
        if (dot < 0) {
            throw new IllegalArgumentException("binlog file name '" + file
                    + "' has no numeric extension (expected basename.NNNNNN)");
        }
        return dot;
    }

    private static boolean isAsciiDigits(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static void validateFileName(String file) {
        Objects.requireNonNull(file, "file");
        if (file.isEmpty()) {
            throw new IllegalArgumentException("binlog file name is empty");
        }
        if (file.equals(".") || file.equals("..")) {
            throw new IllegalArgumentException("binlog file name '" + file + "' is not a file name");
        }
        for (int i = 0; i < file.length(); i++) {
            char c = file.charAt(i);
            if (c == '/' || c == '\\') {
                throw new IllegalArgumentException("binlog file name '" + file
                        + "' contains a path separator at index " + i);
            }
            if (c == '\0') {
                throw new IllegalArgumentException("binlog file name contains NUL at index " + i);
            }
        }
    }
}
