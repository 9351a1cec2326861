package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.MariaGtidEvent;
import dev.binlogproxy.binlog.event.MySqlGtidEvent;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MySqlGtid;
import dev.binlogproxy.binlog.txn.EventRole;
import net.openhft.chronicle.bytes.Bytes;

import java.util.UUID;

/**
 * One event of the archive as the index journal records it. Derived from the file bytes only, so the whole
 * journal can be rebuilt from the files at any time.
 *
 * @param timestamp  the event header's timestamp (seconds since the epoch, as the master wrote it)
 * @param mysqlGtid  the GTID of a MySQL GTID event, else null (anonymous transactions have none)
 * @param mariaGtid  the GTID of a MariaDB GTID event, else null
 */
record IndexEntry(String file, long offset, int length, int typeCode, long timestamp, EventRole role,
                  MySqlGtid mysqlGtid, MariaGtid mariaGtid) {
    /** Bumped if the layout changes; an entry of another version means "rebuild". */
    private static final int VERSION = 1;
    private static final int NO_GTID = 0;
    private static final int MYSQL = 1;
    private static final int MARIADB = 2;
    private static final EventRole[] ROLES = EventRole.values();

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
        EventType type = event.type();
        if (type == EventType.GTID) {
            return MySqlGtidEvent.decode(event, checksum).gtid();
        } else if (type == EventType.MARIA_GTID) {
            return MariaGtidEvent.decode(event, checksum).gtid();
        }
        return null;
    }

    /** The entry for {@code event} with the GTID {@link #gtidOf} decoded from it. */
    static IndexEntry of(String file, long offset, BinlogEvent event, EventRole role, Object gtid) {
        return new IndexEntry(file, offset, event.eventSize(), event.typeCode(), event.timestamp(), role,
                gtid instanceof MySqlGtid m ? m : null, gtid instanceof MariaGtid m ? m : null);
    }

    void writeTo(Bytes<?> out) {
        out.writeUnsignedByte(VERSION);
        out.writeUtf8(file);
        out.writeLong(offset);
        out.writeInt(length);
        out.writeUnsignedByte(typeCode);
        out.writeInt((int) timestamp);
        out.writeUnsignedByte(role.ordinal());
        if (mysqlGtid != null) {
            out.writeUnsignedByte(MYSQL);
            out.writeLong(mysqlGtid.sourceId().getMostSignificantBits());
            out.writeLong(mysqlGtid.sourceId().getLeastSignificantBits());
            out.writeLong(mysqlGtid.gno());
        } else if (mariaGtid != null) {
            out.writeUnsignedByte(MARIADB);
            out.writeInt((int) mariaGtid.domainId());
            out.writeInt((int) mariaGtid.serverId());
            out.writeLong(mariaGtid.seqNo());
        } else {
            out.writeUnsignedByte(NO_GTID);
        }
    }

    /** @throws IllegalStateException if the bytes are not an entry this code wrote (the journal must be rebuilt) */
    static IndexEntry readFrom(Bytes<?> in) {
        int version = in.readUnsignedByte();
        if (version != VERSION) {
            throw new IllegalStateException("index entry version " + version + " (expected: " + VERSION + ")");
        }
        String file = in.readUtf8();
        long offset = in.readLong();
        int length = in.readInt();
        int type = in.readUnsignedByte();
        long ts = Integer.toUnsignedLong(in.readInt());
        int role = in.readUnsignedByte();
        if (file == null || role >= ROLES.length || offset < 4 || length < BinlogEvent.HEADER_LENGTH) {
            throw new IllegalStateException("index entry does not decode: file=" + file + " offset=" + offset
                    + " length=" + length + " role=" + role);
        }
        MySqlGtid mysql = null;
        MariaGtid maria = null;
        int kind = in.readUnsignedByte();
        if (kind == MYSQL) {
            mysql = new MySqlGtid(new UUID(in.readLong(), in.readLong()), in.readLong());
        } else if (kind == MARIADB) {
            maria = new MariaGtid(Integer.toUnsignedLong(in.readInt()), Integer.toUnsignedLong(in.readInt()),
                    in.readLong());
        } else if (kind != NO_GTID) {
            throw new IllegalStateException("index entry GTID kind " + kind);
        }
        return new IndexEntry(file, offset, length, type, ts, ROLES[role], mysql, maria);
    }
}
