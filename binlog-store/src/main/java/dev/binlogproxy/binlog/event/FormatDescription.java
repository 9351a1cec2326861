package dev.binlogproxy.binlog.event;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ByteSink;
import dev.binlogproxy.binlog.Bytes;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventChecksum;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * FORMAT_DESCRIPTION_EVENT (15): the first event of every binlog file; it says which server wrote the file and
 * which checksum algorithm every later event of the file uses.
 *
 * <p>Layout: binlog_version (2), server_version (50, NUL padded), create_timestamp (4), header_length (1), one
 * post-header length per event type, then on checksum-aware servers (MySQL 5.6.1+, every MariaDB 10) the algorithm
 * byte and a CRC32 trailer that is present even when the algorithm is NONE.
 */
public record FormatDescription(EventHeader header, int binlogVersion, String serverVersion, long createTimestamp,
                                int headerLength, byte[] postHeaderLengths, boolean checksumAware,
                                ChecksumAlgorithm checksumAlgorithm) {
    static final int SERVER_VERSION_LENGTH = 50;

    public FormatDescription {
        postHeaderLengths = postHeaderLengths.clone();
        if (serverVersion.getBytes(StandardCharsets.ISO_8859_1).length >= SERVER_VERSION_LENGTH) {
            throw new IllegalArgumentException("server_version: longer than 49 bytes: " + serverVersion);
        }
    }

    @Override
    public byte[] postHeaderLengths() {
        return postHeaderLengths.clone();
    }

    public static FormatDescription decode(BinlogEvent event) {
        if (event.type() != EventType.FORMAT_DESCRIPTION) {
            throw new MalformedEventException("not a FORMAT_DESCRIPTION event: " + event);
        }
        Bytes in = new Bytes(event.body(ChecksumAlgorithm.OFF), "FORMAT_DESCRIPTION body");
        int version = in.u16("binlog_version");
        if (version != 4) {
            throw in.malformed("binlog_version " + version + " (expected: 4)");
        }
        byte[] rawVersion = in.bytes(SERVER_VERSION_LENGTH, "server_version");
        int nul = 0;
        while (nul < rawVersion.length && rawVersion[nul] != 0) {
            nul++;
        }
        String serverVersion = new String(rawVersion, 0, nul, StandardCharsets.ISO_8859_1);
        long created = in.u32("create_timestamp");
        int headerLength = in.u8("header_length");
        if (headerLength != BinlogEvent.HEADER_LENGTH) {
            throw in.malformed("header_length " + headerLength + " (expected: " + BinlogEvent.HEADER_LENGTH + ")");
        }
        boolean aware = isChecksumAware(serverVersion);
        int tail = aware ? 5 : 0;
        int count = in.remaining() - tail;
        if (count < 0) {
            throw in.malformed("no room for the checksum algorithm byte and CRC");
        }
        byte[] lengths = in.bytes(count, "post-header lengths");
        ChecksumAlgorithm alg = aware ? ChecksumAlgorithm.ofCode(in.u8("checksum_alg")) : ChecksumAlgorithm.OFF;
        return new FormatDescription(EventHeader.of(event), version, serverVersion, created, headerLength, lengths,
                aware, alg);
    }

    /** Checks the FDE's own CRC (always present on checksum-aware servers), with the IN_USE rule. */
    public static boolean checksumMatches(BinlogEvent event) {
        FormatDescription fde = decode(event);
        return !fde.checksumAware() || event.storedChecksum() == EventChecksum.expected(event);
    }

    /** MySQL added checksums in 5.6.1; MariaDB in 5.3. Every 10.x MariaDB and 8.x MySQL is checksum-aware. */
    static boolean isChecksumAware(String serverVersion) {
        int[] v = leadingVersion(serverVersion);
        if (BinlogFlavor.ofServerVersion(serverVersion) == BinlogFlavor.MARIADB) {
            return v[0] > 5 || (v[0] == 5 && v[1] >= 3);
        }
        return compare(v, new int[] {5, 6, 1}) >= 0;
    }

    private static int[] leadingVersion(String s) {
        int[] out = new int[3];
        int part = 0;
        for (int i = 0; i < s.length() && part < 3; i++) {
            char c = s.charAt(i);
            if (Character.isDigit(c)) {
                out[part] = out[part] * 10 + (c - '0');
            } else if (c == '.') {
                part++;
            } else {
                break;
            }
        }
        return out;
    }

    private static int compare(int[] a, int[] b) {
        for (int i = 0; i < 3; i++) {
            if (a[i] != b[i]) {
                return Integer.compare(a[i], b[i]);
            }
        }
        return 0;
    }

    public BinlogFlavor flavor() {
        return BinlogFlavor.ofServerVersion(serverVersion);
    }

    /** Whether the file was still open (or not closed cleanly) when this FDE was read. */
    public boolean inUse() {
        return (header.flags() & EventFlags.BINLOG_IN_USE) != 0;
    }

    public FormatDescription withHeader(EventHeader newHeader) {
        return new FormatDescription(newHeader, binlogVersion, serverVersion, createTimestamp, headerLength,
                postHeaderLengths, checksumAware, checksumAlgorithm);
    }

    public FormatDescription withCreateTimestamp(long ts) {
        return new FormatDescription(header, binlogVersion, serverVersion, ts, headerLength, postHeaderLengths,
                checksumAware, checksumAlgorithm);
    }

    public byte[] encode() {
        return EventEncoder.encode(header, body(), checksumAware);
    }

    /**
     * This FDE's bytes with the CRC trailer {@code source} carries (as in its file) rather than one computed over
     * them. Both masters rewrite the FDE they send a dump (IN_USE, log_pos, create_timestamp) but recompute its
     * CRC only when the binlog's algorithm is CRC32; with NONE they leave the file's trailer, stale after the
     * rewrite and checked by no client. A dump that must match them byte for byte does the same.
     */
    public byte[] encodeWithCrcOf(FormatDescription source) {
        if (!checksumAware || !source.checksumAware) {
            return encode();
        }
        return EventEncoder.encodeWithStoredCrc(header, body(), BinlogEvent.wrap(source.encode()).storedChecksum());
    }

    private byte[] body() {
        ByteSink out = new ByteSink().u16(binlogVersion);
        byte[] version = Arrays.copyOf(serverVersion.getBytes(StandardCharsets.ISO_8859_1), SERVER_VERSION_LENGTH);
        out.bytes(version).u32(createTimestamp).u8(headerLength).bytes(postHeaderLengths);
        if (checksumAware) {
            out.u8(checksumAlgorithm.code());
        }
        return out.toByteArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FormatDescription f && header.equals(f.header) && binlogVersion == f.binlogVersion
                && serverVersion.equals(f.serverVersion) && createTimestamp == f.createTimestamp
                && headerLength == f.headerLength && Arrays.equals(postHeaderLengths, f.postHeaderLengths)
                && checksumAware == f.checksumAware && checksumAlgorithm == f.checksumAlgorithm;
    }

    @Override
    public int hashCode() {
        return 31 * header.hashCode() + serverVersion.hashCode() + Arrays.hashCode(postHeaderLengths);
    }

    @Override
    public String toString() {
        return "FormatDescription[" + serverVersion + ", checksum=" + checksumAlgorithm + ", inUse=" + inUse() + "]";
    }
}
