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

    EventRejectedException(BinlogPosition at, String reason) {
        super("event refused at " + at + ": " + reason);
        this.at = at;
    }

    /** Where the refused event would have started. */
    BinlogPosition at() {
        return at;
    }
}
