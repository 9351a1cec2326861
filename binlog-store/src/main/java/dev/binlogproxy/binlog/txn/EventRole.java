package dev.binlogproxy.binlog.txn;

/** Where one event stands relative to transaction boundaries. */
public enum EventRole {
    /** Not part of any transaction: FDE, ROTATE, PREVIOUS_GTIDS, GTID_LIST, BINLOG_CHECKPOINT, STOP, ... */
    CONTROL,
    /** Opens a transaction (GTID event, or BEGIN where no GTID precedes it). */
    START,
    /** Inside an open transaction. */
    INSIDE,
    /** Closes the open transaction: the commit point, where readers may stop and semi-sync acks. */
    END,
    /** A whole transaction in one event, with no GTID before it (a pre-GTID DDL statement). */
    COMPLETE;

    /** Whether a stream cut right after this event holds only whole transactions. */
    public boolean isBoundaryAfter() {
        return this == CONTROL || this == END || this == COMPLETE;
    }
}
