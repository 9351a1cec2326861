package dev.binlogproxy.binlog.file;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.txn.EventRole;

/** One event read from a file: where it starts, the event, and its place in transaction boundaries. */
public record FileEvent(long offset, BinlogEvent event, EventRole role) {
    public long endOffset() {
        return offset + event.eventSize();
    }
}
