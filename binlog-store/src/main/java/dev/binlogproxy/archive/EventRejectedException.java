package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.position.BinlogPosition;

/**
 * An event the upstream delivered was refused and <em>nothing was written</em>: bad checksum, broken log_pos
 * chain, a transaction boundary violation, a body that does not decode, or bytes that differ from what the archive
 * already holds at that position. The writer stays usable: the event can be re-sent after a reconnect (a network
 * or master problem), and the open transaction, if any, is still open.
 */
public final class EventRejectedException extends ArchiveException {
    private final transient BinlogPosition at;
    private final boolean historyDiffers;

    EventRejectedException(BinlogPosition at, String reason) {
        this(at, reason, false);
    }

    private EventRejectedException(BinlogPosition at, String reason, boolean historyDiffers) {
        super("event refused at " + at + ": " + reason);
        this.at = at;
        this.historyDiffers = historyDiffers;
    }

    /**
     * A whole, checksum-valid event that is not what the archive holds at that position: not damage on the way
     * (a refetch would bring the same bytes) but a master whose history differs from the archive's.
     */
    static EventRejectedException differs(BinlogPosition at, String reason) {
        return new EventRejectedException(at, reason, true);
    }

    /** Whether the master sent bytes other than the archive's for a position the archive holds. */
    public boolean historyDiffers() {
        return historyDiffers;
    }

    /** Where the refused event would have started. */
    public BinlogPosition at() {
        return at;
    }
}
