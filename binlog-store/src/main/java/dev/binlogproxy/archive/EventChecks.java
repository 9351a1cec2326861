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

    /** What most events give: no GTID, no next file (one instance, not one per event). */
    private static final Checked NOTHING = new Checked(null, null);

    /**
     * @param type     the event's type ({@code event.type()}, which the writer has already)
     * @param file     the file the event would go to
     * @param offset   where the event would start in it (refusals name {@code file:offset}; the position is only
     *                 built for them, as building one per event was a tenth of a catch-up's event loop)
     * @param checksum the algorithm the file's FDE declares
     * @throws EventRejectedException naming where and what is wrong
     */
    static Checked check(BinlogEvent event, EventType type, String file, long offset, ChecksumAlgorithm checksum)
            throws EventRejectedException {
        long eventEnd = offset + event.eventSize();
        if (event.logPos() != eventEnd) {
            throw new EventRejectedException(new BinlogPosition(file, offset), type + " has log_pos "
                    + event.logPos() + " (expected: " + eventEnd + ", its end offset in " + file + ")");
        }
        if (type == EventType.FORMAT_DESCRIPTION) {
            throw new EventRejectedException(new BinlogPosition(file, offset), "FORMAT_DESCRIPTION in the middle of "
                    + file);
        }
        if (!EventChecksum.matches(event, checksum)) {
            throw new EventRejectedException(new BinlogPosition(file, offset), type
                    + " checksum mismatch: stored 0x" + Integer.toHexString(event.storedChecksum()) + ", computed 0x"
                    + Integer.toHexString(EventChecksum.expected(event)));
        }
        if (type != EventType.GTID && type != EventType.MARIA_GTID && type != EventType.ROTATE) {
            return NOTHING; // nearly every event: nothing to decode
        }
        try {
            Object gtid = IndexEntry.gtidOf(event, type, checksum);
            String rotateTo = null;
            if (type == EventType.ROTATE) {
                rotateTo = Rotate.decode(event, checksum).nextFile();
                BinlogPosition.startOf(rotateTo);
            }
            return gtid == null && rotateTo == null ? NOTHING : new Checked(gtid, rotateTo);
        } catch (MalformedEventException | IllegalArgumentException e) {
            throw new EventRejectedException(new BinlogPosition(file, offset), e.getMessage());
        }
    }
}
