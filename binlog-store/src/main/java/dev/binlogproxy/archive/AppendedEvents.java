package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.txn.EventRole;

/**
 * What {@link ArchiveWriter#append(java.util.List)} did with a list of events: each one's role, and where the
 * archive stands after the last.
 *
 * <p>No commit futures: the upstream session, the batch's caller, acknowledges what {@link ArchiveWriter#syncNow()}
 * made durable, so it only needs to know which events close a transaction. Roles are kept as one byte per event
 * rather than an object per event, which is what the batch saves over {@link Appended}.
 */
public final class AppendedEvents {
    private static final EventRole[] ROLES = EventRole.values();

    private final String file;
    private final long endOffset;
    private final byte[] roles;

    /** @param file null only for a list of heartbeats before any file was started ({@code endOffset} ignored) */
    AppendedEvents(String file, long endOffset, byte[] roles) {
        this.file = file;
        this.endOffset = endOffset;
        this.roles = roles;
    }

    /** How many events were appended: all of the list's (a refused one ends the batch by exception). */
    public int count() {
        return roles.length;
    }

    /**
     * The role of the list's event {@code i}, as {@link Appended#role()} would say: an event after which the stream
     * may be cut ({@link EventRole#isBoundaryAfter()}) is where a semi-sync ack may go, the others wait for the
     * transaction's end. Heartbeats and artificial events are CONTROL, as with append, though never written.
     */
    public EventRole role(int i) {
        return ROLES[roles[i]];
    }

    /** The position after the last event (the archive's end if it was not written); null as {@link Appended#end()}. */
    public BinlogPosition end() {
        return file == null ? null : new BinlogPosition(file, endOffset);
    }

    @Override
    public String toString() {
        return "AppendedEvents[count=" + roles.length + ", end=" + end() + "]";
    }
}
