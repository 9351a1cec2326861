package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.txn.EventRole;

import java.util.concurrent.CompletableFuture;

/**
 * What {@link ArchiveWriter} did with one event.
 *
 * @param end     the position after the event (the archive's end if it was not written; null only for a heartbeat
 *                before any file was started): for a transaction's last event, the coordinates a semi-sync ack
 *                carries
 * @param role    where the event stands in transaction boundaries
 * @param written false for what a dump sends but a file never holds (heartbeats, artificial events, the FDE of a
 *                dump that starts in the middle of a file) and for bytes the archive already held
 * @param durable for an event after which the stream may be cut ({@link EventRole#isBoundaryAfter()}): completes
 *                with {@code end} once everything up to there is stored as {@link Durability} says, indexed and
 *                visible to readers, or exceptionally if the sync failed. Null for events inside a transaction:
 *                a partial transaction is never acknowledged.
 */
public record Appended(BinlogPosition end, EventRole role, boolean written, CompletableFuture<BinlogPosition> durable) {

    /** Whether this event closed a transaction: the point where a semi-sync ack is due. */
    public boolean completesTransaction() {
        return role == EventRole.END || role == EventRole.COMPLETE;
    }
}
