package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.position.BinlogPosition;

import java.util.Arrays;
import java.util.Optional;

/**
 * What the archive accepts as a file's FORMAT_DESCRIPTION and what it stores, apart from the writer's state
 * machine: the FDE decides the checksum of every later event of the file and is the one event the archive may
 * store differently from how the dump sent it.
 *
 * <p>A master's open file has LOG_EVENT_BINLOG_IN_USE_F set in its FDE, with the CRC computed over the bytes with
 * the flag clear (docs/architecture.md, "Checksums"); the master clears the flag in place when it closes the file.
 * The archive stores the FDE as the closed file holds it, so an archived file equals the master's once closed.
 * The flag is cleared through the typed header and FDE ({@link EventHeader#withFlags},
 * {@link FormatDescription#withHeader}, whose encoding writes the CRC through the one CRC writer), never by poking
 * bytes; a FORMAT_DESCRIPTION the typed record would not reproduce byte for byte is refused rather than stored
 * differently from the master's.
 */
final class FormatDescriptionRules {
    private FormatDescriptionRules() {
    }

    /**
     * Decodes the FDE a dump sent for {@code at} and checks its type, CRC and flavor.
     *
     * @throws EventRejectedException naming {@code at} and the reason
     */
    static FormatDescription check(BinlogEvent event, BinlogPosition at, BinlogFlavor archived)
            throws EventRejectedException {
        if (event.type() != EventType.FORMAT_DESCRIPTION) {
            throw new EventRejectedException(at, "expected FORMAT_DESCRIPTION after the start of " + at.file()
                    + ", got " + event);
        }
        FormatDescription fde;
        try {
            fde = FormatDescription.decode(event);
        } catch (MalformedEventException e) {
            throw new EventRejectedException(at, e.getMessage());
        }
        if (!FormatDescription.checksumMatches(event)) {
            throw new EventRejectedException(at, "FORMAT_DESCRIPTION checksum mismatch");
        }
        if (fde.flavor() != archived) {
            throw new EventRejectedException(at, "FORMAT_DESCRIPTION of a " + fde.flavor() + " server ("
                    + fde.serverVersion() + "), the archive mirrors " + archived);
        }
        return fde;
    }

    /**
     * The bytes the archive stores for {@code event}: the event itself, or, with IN_USE set, the event as its
     * master closes the file (flag clear, CRC by the IN_USE rule, which for a cleared flag is the plain CRC).
     *
     * @throws EventRejectedException if re-encoding would change anything but the flag and the CRC (a field the
     *                                typed record does not keep, e.g. bytes after the server version's NUL)
     */
    static byte[] asStored(BinlogEvent event, FormatDescription fde, BinlogPosition at)
            throws EventRejectedException {
        byte[] sent = event.toByteArray();
        if (!fde.inUse()) {
            return sent;
        }
        byte[] stored = cleared(fde);
        if (!sameButFlagsAndCrc(sent, stored, fde.checksumAware() ? 4 : 0)) {
            throw new EventRejectedException(at, "FORMAT_DESCRIPTION with IN_USE set does not re-encode to its own"
                    + " bytes; clearing the flag would store it differently from the master's file");
        }
        return stored;
    }

    /**
     * Whether FDE bytes read back from an archived file are the FDE the archive stores for a dump's {@code stored}:
     * equal, or equal once an IN_USE flag is cleared (a file copied from a master's open file by another tool).
     */
    static boolean sameAsArchived(byte[] archived, byte[] stored) {
        if (Arrays.equals(archived, stored)) {
            return true;
        }
        try {
            FormatDescription a = FormatDescription.decode(BinlogEvent.wrap(archived));
            return a.inUse() && Arrays.equals(cleared(a), stored);
        } catch (MalformedEventException e) {
            return false;
        }
    }

    /**
     * Why the FDE a dump sends when it resumes mid-file does not describe the archived file, or empty if it does.
     * That FDE comes with log_pos 0 and created 0 (seen on both servers), so only a real create time compares.
     */
    static Optional<String> resumeMismatch(FormatDescription sent, FormatDescription archived, String file) {
        if (sent.serverVersion().equals(archived.serverVersion())
                && (sent.createTimestamp() == 0 || sent.createTimestamp() == archived.createTimestamp())
                && sent.checksumAlgorithm() == archived.checksumAlgorithm()
                && Arrays.equals(sent.postHeaderLengths(), archived.postHeaderLengths())) {
            return Optional.empty();
        }
        return Optional.of("the master's FORMAT_DESCRIPTION (" + sent + ", created " + sent.createTimestamp()
                + ") is not the one archived in " + file + " (" + archived + ", created "
                + archived.createTimestamp() + ")");
    }

    private static byte[] cleared(FormatDescription fde) {
        EventHeader h = fde.header();
        return fde.withHeader(h.withFlags(h.flags() & ~EventFlags.BINLOG_IN_USE)).encode();
    }

    /** Equal apart from the 2-byte flags field and the last {@code trailer} bytes (the CRC, if any). */
    private static boolean sameButFlagsAndCrc(byte[] a, byte[] b, int trailer) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length - trailer; i++) {
            boolean flags = i == BinlogEvent.FLAGS_OFFSET || i == BinlogEvent.FLAGS_OFFSET + 1;
            if (!flags && a[i] != b[i]) {
                return false;
            }
        }
        return true;
    }
}
