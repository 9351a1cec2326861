package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.txn.EventRole;

import java.util.concurrent.CompletableFuture;

/**
 * What {@link ArchiveWriter} did with one event.
 *
 * <p>A class rather than a record so that the end position is built only when asked for: the writer returns one of
 * these for every event the master sends, and the upstream session never asks for the end.
 */
public final class Appended {
    private final String file;
    private final long endOffset;
    private BinlogPosition end;
    private final EventRole role;
    private final boolean written;
    private CompletableFuture<BinlogPosition> durable;
    /** {@link #durable} is a commit shared with later transactions: this one's own future derives from it. */
    private boolean shared;

    Appended(BinlogPosition end, EventRole role, boolean written, CompletableFuture<BinlogPosition> durable) {
        this(end == null ? null : end.file(), end == null ? 0 : end.offset(), role, written, durable);
        this.end = end;
    }

    /** @param file null (then {@code endOffset} is ignored) only for a heartbeat before any file was started */
    Appended(String file, long endOffset, EventRole role, boolean written, CompletableFuture<BinlogPosition> durable) {
        this(file, endOffset, role, written, durable, false);
    }

    /**
     * @param shared {@code durable} is the future of a held commit shared with the transactions after this one
     *               (it completes with the last one's end): this one's is made from it when asked for, which the
     *               upstream does only for the transactions the master wants acknowledged
     */
    Appended(String file, long endOffset, EventRole role, boolean written, CompletableFuture<BinlogPosition> durable,
             boolean shared) {
        this.file = file;
        this.endOffset = endOffset;
        this.role = role;
        this.written = written;
        this.durable = durable;
        this.shared = shared;
    }

    /**
     * The position after the event (the archive's end if it was not written; null only for a heartbeat before any
     * file was started): for a transaction's last event, the coordinates a semi-sync ack carries.
     */
    public BinlogPosition end() {
        if (end == null && file != null) {
            end = new BinlogPosition(file, endOffset);
        }
        return end;
    }

    /** Where the event stands in transaction boundaries. */
    public EventRole role() {
        return role;
    }

    /**
     * False for what a dump sends but a file never holds (heartbeats, artificial events, the FDE of a dump that
     * starts in the middle of a file) and for bytes the archive already held.
     */
    boolean written() {
        return written;
    }

    /**
     * For an event after which the stream may be cut ({@link EventRole#isBoundaryAfter()}): completes with
     * {@link #end()} once everything up to there is stored as {@link Durability} says, indexed and visible to
     * readers, or exceptionally if the sync failed. A rotation's control events (a file's ROTATE, the next file's
     * FORMAT_DESCRIPTION) are the exception: durable and indexed then, visible only once the next file's head is
     * (a master shows a rotation all at once; see docs/architecture.md). Null for events inside a transaction: a
     * partial transaction is never acknowledged.
     */
    public synchronized CompletableFuture<BinlogPosition> durable() {
        if (shared) {
            shared = false;
            CompletableFuture<BinlogPosition> own = new CompletableFuture<>();
            BinlogPosition at = end();
            durable.whenComplete((ignored, failed) -> {
                if (failed != null) {
                    own.completeExceptionally(failed);
                } else {
                    own.complete(at);
                }
            });
            durable = own;
        }
        return durable;
    }

    /** Whether this event closed a transaction: the point where a semi-sync ack is due. */
    public boolean completesTransaction() {
        return role == EventRole.END || role == EventRole.COMPLETE;
    }

    @Override
    public String toString() {
        return "Appended[end=" + end() + ", role=" + role + ", written=" + written + "]";
    }
}
