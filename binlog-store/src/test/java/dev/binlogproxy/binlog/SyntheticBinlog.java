package dev.binlogproxy.binlog;

import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.event.MariaGtidEvent;
import dev.binlogproxy.binlog.event.MySqlGtidEvent;
import dev.binlogproxy.binlog.event.Query;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.binlog.event.Xid;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Builds valid binlog files event by event (log_pos chained, checksums right) so tests can then break them on
 * purpose. Real-server fixtures are the reference for layouts; this is for shapes no server produces on demand.
 */
public final class SyntheticBinlog {
    /** The post-header table of MySQL 8.0.15's FDE (from the golden fixture), 39 entries. */
    static final byte[] MYSQL_POST_HEADERS = java.util.HexFormat.of().parseHex(
            "000d0008000000000400040000006000041a08000000080808020000000a0a0a2a2a001234000a");

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ChecksumAlgorithm checksum;
    private final BinlogFlavor flavor;
    private final List<Long> offsets = new ArrayList<>();
    private final long serverId = 1;
    private long gno = 1;
    private long seq = 1;
    private final UUID uuid = UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562");

    private SyntheticBinlog(BinlogFlavor flavor, ChecksumAlgorithm checksum) {
        this.flavor = flavor;
        this.checksum = checksum;
        out.writeBytes(new byte[] {(byte) 0xFE, 'b', 'i', 'n'});
        String version = flavor == BinlogFlavor.MARIADB ? "10.11.6-MariaDB-log" : "8.0.15";
        byte[] post = MYSQL_POST_HEADERS.clone();
        append(new FormatDescription(header(EventType.FORMAT_DESCRIPTION, 0), 4, version, 1_700_000_000L, 19,
                post, true, checksum).encode());
    }

    public static SyntheticBinlog mysql(ChecksumAlgorithm checksum) {
        return new SyntheticBinlog(BinlogFlavor.MYSQL, checksum);
    }

    public static SyntheticBinlog mariadb(ChecksumAlgorithm checksum) {
        return new SyntheticBinlog(BinlogFlavor.MARIADB, checksum);
    }

    private EventHeader header(EventType type, int flags) {
        return new EventHeader(1_700_000_000L, type.code(), serverId, 0, flags);
    }

    /** Appends event bytes, rewriting log_pos to the event's end offset and recomputing the checksum. */
    public SyntheticBinlog append(byte[] event) {
        byte[] e = event.clone();
        long end = out.size() + e.length;
        java.nio.ByteBuffer.wrap(e).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(13, (int) end);
        boolean crc = checksum == ChecksumAlgorithm.CRC32 || (Byte.toUnsignedInt(e[4]) == EventType.FORMAT_DESCRIPTION.code());
        if (crc) {
            EventChecksum.writeTrailer(e, 0, e.length);
        }
        offsets.add((long) out.size());
        out.writeBytes(e);
        return this;
    }

    public SyntheticBinlog gtid() {
        if (flavor == BinlogFlavor.MARIADB) {
            return append(new MariaGtidEvent(header(EventType.MARIA_GTID, 0), seq++, 0,
                    MariaGtidEvent.FL_TRANSACTIONAL, -1, -1, new byte[0], new byte[0], new byte[6]).encode(checksum));
        }
        return append(new MySqlGtidEvent(header(EventType.GTID, 0), 1, uuid, gno++, true, 0, 1,
                1_700_000_000_000_000L, 1_700_000_000_000_000L, 100, 80015, 80015, new byte[0]).encode(checksum));
    }

    public SyntheticBinlog standaloneGtid() {
        return append(new MariaGtidEvent(header(EventType.MARIA_GTID, 0), seq++, 0,
                MariaGtidEvent.FL_STANDALONE | MariaGtidEvent.FL_DDL, -1, -1, new byte[0], new byte[0], new byte[6])
                .encode(checksum));
    }

    public SyntheticBinlog query(String sql) {
        return append(new Query(header(EventType.QUERY, 0), 7, 0, 0, new byte[0], "t".getBytes(StandardCharsets.UTF_8),
                sql.getBytes(StandardCharsets.UTF_8)).encode(checksum));
    }

    public SyntheticBinlog rows(int bodyLength) {
        byte[] body = new byte[bodyLength];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 31);
        }
        return append(EventEncoder.encode(header(EventType.WRITE_ROWS, 0), body, checksum));
    }

    public SyntheticBinlog xid(long xid) {
        return append(new Xid(header(EventType.XID, 0), xid).encode(checksum));
    }

    /** BEGIN; one row event; COMMIT via XID, after a GTID. */
    public SyntheticBinlog transaction() {
        gtid();
        if (flavor == BinlogFlavor.MYSQL) {
            query("BEGIN");
        }
        return rows(40).xid(seq + gno);
    }

    public SyntheticBinlog ddl(String sql) {
        if (flavor == BinlogFlavor.MARIADB) {
            standaloneGtid();
        } else {
            gtid();
        }
        return query(sql);
    }

    public SyntheticBinlog rotate(String next) {
        return append(new Rotate(header(EventType.ROTATE, 0), 4, next).encode(checksum));
    }

    public byte[] bytes() {
        return out.toByteArray();
    }

    /** Start offsets of the events appended so far (the FDE's is 4). */
    public List<Long> offsets() {
        return List.copyOf(offsets);
    }

    public int size() {
        return out.size();
    }
}
