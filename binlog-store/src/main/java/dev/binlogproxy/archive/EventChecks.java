package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventChecksum;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.binlog.position.BinlogPosition;

/**
 * What the writer checks of an event (other than a FORMAT_DESCRIPTION, see {@link FormatDescriptionRules}) before
 * anything is written: that it chains at its place, that its checksum is right under the file's FDE, and that the
 * bodies the archive reads (a GTID event's GTID, a ROTATE's next file) decode. Nothing corrupt is ever stored, so a
 * refused event is re-fetched from the master, never repaired. Transaction boundaries are the tracker's check.
 */
final class EventChecks {
    /**
     * What the archive takes from a checked event.
     *
     * @param gtid     its GTID ({@link IndexEntry#gtidOf}), or null
     * @param rotateTo for a ROTATE, the file it names; else null
     */
    record Checked(Object gtid, String rotateTo) {
    }

    private EventChecks() {
    }

    /**
     * @param at       where the event would start in its file
     * @param checksum the algorithm the file's FDE declares
     * @throws EventRejectedException naming {@code at} and what is wrong
     */
    static Checked check(BinlogEvent event, BinlogPosition at, ChecksumAlgorithm checksum)
            throws EventRejectedException {
        long eventEnd = at.offset() + event.eventSize();
        if (event.logPos() != eventEnd) {
            throw new EventRejectedException(at, event.type() + " has log_pos " + event.logPos() + " (expected: "
                    + eventEnd + ", its end offset in " + at.file() + ")");
        }
        if (event.type() == EventType.FORMAT_DESCRIPTION) {
            throw new EventRejectedException(at, "FORMAT_DESCRIPTION in the middle of " + at.file());
        }
        if (!EventChecksum.matches(event, checksum)) {
            throw new EventRejectedException(at, event.type() + " checksum mismatch: stored 0x"
                    + Integer.toHexString(event.storedChecksum()) + ", computed 0x"
                    + Integer.toHexString(EventChecksum.expected(event)));
        }
        try {
            Object gtid = IndexEntry.gtidOf(event, checksum);
            String rotateTo = null;
            if (event.type() == EventType.ROTATE) {
                rotateTo = Rotate.decode(event, checksum).nextFile();
                BinlogPosition.startOf(rotateTo);
            }
            return new Checked(gtid, rotateTo);
        } catch (MalformedEventException | IllegalArgumentException e) {
            throw new EventRejectedException(at, e.getMessage());
        }
    }
}
