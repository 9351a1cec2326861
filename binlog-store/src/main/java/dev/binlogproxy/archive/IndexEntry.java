package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.MariaGtidEvent;
import dev.binlogproxy.binlog.event.MySqlGtidEvent;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MySqlGtid;
import dev.binlogproxy.binlog.txn.EventRole;


/**
 * One event of the archive, as file scans report it, and (with {@link #spanEnd}) one unit of the index journal:
 * a transaction, by its first event, or a control event. Derived from the file bytes only, so the whole journal
 * can be rebuilt from the files at any time.
 *
 * @param offset     where the event starts
 * @param length     the event's size
 * @param timestamp  the event header's timestamp (seconds since the epoch, as the master wrote it)
 * @param mysqlGtid  the GTID of a MySQL GTID event, else null (anonymous transactions have none)
 * @param mariaGtid  the GTID of a MariaDB GTID event, else null
 * @param spanEnd    for the first event of a transaction as the journal holds it, where the transaction's last
 *                   event ends; for any other entry, its own end. Lookups need transaction starts only, so the
 *                   journal keeps one entry per transaction (an entry per event made it 0.85x the binlog's size on
 *                   small transactions), and the span lets it say how far into the files it reaches.
 */
record IndexEntry(String file, long offset, int length, int typeCode, long timestamp, EventRole role,
                  MySqlGtid mysqlGtid, MariaGtid mariaGtid, long spanEnd) {
    private static final EventRole[] ROLES = EventRole.values();

    IndexEntry(String file, long offset, int length, int typeCode, long timestamp, EventRole role,
               MySqlGtid mysqlGtid, MariaGtid mariaGtid) {
        this(file, offset, length, typeCode, timestamp, role, mysqlGtid, mariaGtid, offset + length);
    }

    /** This transaction start's journal entry: its transaction ends at {@code end}. */
    IndexEntry spanningTo(long end) {
        return new IndexEntry(file, offset, length, typeCode, timestamp, role, mysqlGtid, mariaGtid, end);
    }

    static EventRole role(int ordinal) {
        if (ordinal >= ROLES.length) {
            throw new IllegalStateException("index entry role " + ordinal);
        }
        return ROLES[ordinal];
    }

    long end() {
        return offset + length;
    }

    /** Whether a transaction starts with this event (what time lookups look for). */
    boolean startsTransaction() {
        return role == EventRole.START || role == EventRole.COMPLETE;
    }

    /**
     * The entry for {@code event} at {@code offset}.
     *
     * @throws dev.binlogproxy.binlog.MalformedEventException if a GTID event's body does not decode
     */
    static IndexEntry of(String file, long offset, BinlogEvent event, EventRole role, ChecksumAlgorithm checksum) {
        return of(file, offset, event, role, gtidOf(event, checksum));
    }

    /**
     * The GTID a GTID event carries ({@link MySqlGtid} or {@link MariaGtid}), null for other events.
     *
     * @throws dev.binlogproxy.binlog.MalformedEventException if a GTID event's body does not decode
     */
    static Object gtidOf(BinlogEvent event, ChecksumAlgorithm checksum) {
        return gtidOf(event, event.type(), checksum);
    }

    /** {@link #gtidOf(BinlogEvent, ChecksumAlgorithm)} of an event whose type the caller has. */
    static Object gtidOf(BinlogEvent event, EventType type, ChecksumAlgorithm checksum) {
        if (type == EventType.GTID) {
            return MySqlGtidEvent.decode(event, checksum).gtid();
        } else if (type == EventType.MARIA_GTID) {
            return MariaGtidEvent.gtidOf(event, checksum);
        }
        return null;
    }

    /** The entry for {@code event} with the GTID {@link #gtidOf} decoded from it. */
    static IndexEntry of(String file, long offset, BinlogEvent event, EventRole role, Object gtid) {
        return of(file, offset, event.eventSize(), event.typeCode(), event.timestamp(), role, gtid,
                offset + event.eventSize());
    }

    /** The entry of an event described by its header fields, spanning to {@code spanEnd}. */
    static IndexEntry of(String file, long offset, int length, int typeCode, long timestamp, EventRole role,
                         Object gtid, long spanEnd) {
        return new IndexEntry(file, offset, length, typeCode, timestamp, role,
                gtid instanceof MySqlGtid m ? m : null, gtid instanceof MariaGtid m ? m : null, spanEnd);
    }
}
