package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MySqlGtid;
import net.openhft.chronicle.bytes.Bytes;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32;

/**
 * The layout of one index journal document: the entries (transactions and control events, see {@link IndexEntry})
 * of one file that one commit round appended, or a run of them when the journal is built from the files.
 *
 * <p>Why a document per round and not per entry: each Chronicle document costs its header, the file name and a
 * pass through Chronicle's appender, and with an entry per event that was 48 bytes and about 1 us per event, more
 * than the small events themselves. Within a document the file name is written once, an offset is the gap after
 * the previous entry's span (0 but for a cut), a timestamp is a difference from the previous one, and a GTID of the
 * same source (MySQL) or domain and server (MariaDB) as the previous one is only its number: about 10 bytes a
 * transaction.
 *
 * <pre>
 *   u8 version (3)  utf8 file  stopbit count  stopbit firstOffset  u32 firstTimestamp
 *   count x { u8 type  u8 role  stopbit length  stopbit (spanEnd - end)  stopbit gap  stopbit zigzag(dTimestamp)
 *             u8 gtidKind  [gtid] }
 *   u32 CRC-32 of every byte before it
 *   gtidKind: 0 none; 1 MySQL: uuid (2 x i64) + stopbit gno; 2 MariaDB: stopbit domain, server, seq;
 *             3 MySQL, the previous entry's uuid: stopbit gno; 4 MariaDB, the previous entry's domain and server:
 *             stopbit seq
 * </pre>
 *
 * A document of another version, or one that does not decode or fails its checksum, means "rebuild the journal".
 *
 * <p>Why the checksum (version 3): Chronicle checks no content, and zeros decode. A page of the journal lost at a
 * power loss (the kernel writes its pages back in any order and the journal is never synced) reads as zeros, and
 * zeros from the middle of a document's last entry on are a valid tail: no GTID, the same timestamp, a span that
 * ends with the event. The open-time check of the last entry against its file (type, size, log_pos) passed such an
 * entry, and lookups and verify then met a GTID the file does not have (crash images, MirroredMasterCrashImagesTest).
 */
final class IndexBatch {
    private static final int VERSION = 3;
    private static final int CRC_LENGTH = 4;
    private static final int NO_GTID = 0;
    private static final int MYSQL = 1;
    private static final int MARIADB = 2;
    private static final int MYSQL_SAME_SOURCE = 3;
    private static final int MARIADB_SAME_ORIGIN = 4;

    private IndexBatch() {
    }

    /** Writes {@code entries[from, to)}, which must all be of one file, in file order. */
    static void write(Bytes<?> out, List<IndexEntry> entries, int from, int to) {
        long start = out.writePosition();
        IndexEntry first = entries.get(from);
        out.writeUnsignedByte(VERSION);
        out.writeUtf8(first.file());
        out.writeStopBit(to - from);
        out.writeStopBit(first.offset());
        out.writeInt((int) first.timestamp());
        long spanEnd = first.offset();
        long timestamp = first.timestamp();
        Object previousGtid = null;
        Scratch s = SCRATCH.get();
        s.begin(start); // a document that failed half-way left its bytes
        for (int i = from; i < to; i++) {
            IndexEntry e = entries.get(i);
            if (!e.file().equals(first.file()) || e.offset() < spanEnd || e.spanEnd() < e.end()) {
                throw new IllegalArgumentException("index entries out of order in one batch: " + e + " after "
                        + first.file() + ":" + spanEnd);
            }
            s.u8(e.typeCode());
            s.u8(e.role().ordinal());
            s.stopBit(e.length(), out);
            s.stopBit(e.spanEnd() - e.end(), out);
            s.stopBit(e.offset() - spanEnd, out);
            s.stopBit(zigzag(e.timestamp() - timestamp), out);
            if (e.mysqlGtid() != null) {
                MySqlGtid g = e.mysqlGtid();
                if (previousGtid instanceof MySqlGtid p && p.sourceId().equals(g.sourceId())) {
                    s.u8(MYSQL_SAME_SOURCE);
                } else {
                    s.u8(MYSQL);
                    s.drainTo(out); // the UUID in Chronicle's own long layout
                    out.writeLong(g.sourceId().getMostSignificantBits());
                    out.writeLong(g.sourceId().getLeastSignificantBits());
                }
                s.stopBit(g.gno(), out);
                previousGtid = g;
            } else if (e.mariaGtid() != null) {
                MariaGtid g = e.mariaGtid();
                if (previousGtid instanceof MariaGtid p && p.domainId() == g.domainId()
                        && p.serverId() == g.serverId()) {
                    s.u8(MARIADB_SAME_ORIGIN);
                } else {
                    s.u8(MARIADB);
                    s.stopBit(g.domainId(), out);
                    s.stopBit(g.serverId(), out);
                }
                s.stopBit(g.seqNo(), out);
                previousGtid = g;
            } else {
                s.u8(NO_GTID);
            }
            spanEnd = e.spanEnd();
            timestamp = e.timestamp();
            if (s.full()) {
                s.drainTo(out);
            }
        }
        out.writeInt(s.finish(out));
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * The entries' bytes gathered on the heap and copied into the document in one write: writing each byte and
     * stop bit into the memory-mapped document checked bounds and pages every time, a seventh of what small-event
     * appends spent. The encoding is Chronicle's stop bit for non-negative values (seven bits a
     * byte, lowest first, the high bit set on every byte but the last), read back by {@code readStopBit}.
     *
     * <p>Writing, the document's CRC is taken as its bytes go out: the gathered ones from here, the few written to
     * the document directly (its head, a MySQL source UUID) read back from it ({@link #catchUp}). Reading the whole
     * document back, and copying heap bytes into the mapping, went through Chronicle's copy loop of a long at a
     * time (a twentieth of small-event appends); a direct buffer's bytes go in with one memory copy.
     */
    static final class Scratch {
        /** Room for an entry's worst case (2 + 9 x 8 bytes) past {@link #full()}'s mark. */
        private final byte[] buf = new byte[4096];
        private final ByteBuffer direct = ByteBuffer.allocateDirect(buf.length);
        private int n;
        private final CRC32 crc = new CRC32();
        private final byte[] back = new byte[256];
        /** Writing: the document's bytes before this offset are in {@link #crc}. */
        private long crcTo;

        /** Starts a document at {@code start} of its output. */
        void begin(long start) {
            n = 0;
            crc.reset();
            crcTo = start;
        }

        /** Drains what is gathered and returns the CRC-32 of the document so far (from {@link #begin}). */
        int finish(Bytes<?> out) {
            drainTo(out);
            return (int) crc.getValue();
        }

        /**
         * Adds the bytes written to {@code out} directly since the CRC last caught up: a few, read back through
         * {@code back} ({@code buf} may hold gathered bytes not drained yet).
         */
        private void catchUp(Bytes<?> out) {
            long to = out.writePosition();
            addRead(out, crcTo, to, back);
            crcTo = to;
        }

        /** Adds {@code b}'s bytes at [from, to) (absolute offsets) to {@link #crc}, read through {@code via}. */
        private void addRead(Bytes<?> b, long from, long to, byte[] via) {
            for (long at = from; at < to; ) {
                int len = (int) Math.min(via.length, to - at);
                if (b.read(at, via, 0, len) != len) {
                    throw new IllegalStateException("index document bytes [" + at + ", " + (at + len)
                            + ") not readable");
                }
                crc.update(via, 0, len);
                at += len;
            }
        }

        void u8(int v) {
            buf[n++] = (byte) v;
        }

        /** @param out where a negative value (a MariaDB seq_no above 2^63) goes, in Chronicle's own form */
        void stopBit(long v, Bytes<?> out) {
            if (v < 0) {
                drainTo(out);
                out.writeStopBit(v);
                return;
            }
            while ((v & ~0x7FL) != 0) {
                buf[n++] = (byte) (v | 0x80);
                v >>>= 7;
            }
            buf[n++] = (byte) v;
        }

        boolean full() {
            return n > buf.length - 128;
        }

        void drainTo(Bytes<?> out) {
            catchUp(out);
            if (n == 0) {
                return;
            }
            crc.update(buf, 0, n);
            direct.clear();
            direct.put(buf, 0, n);
            direct.flip();
            out.writeSome(direct);
            if (direct.hasRemaining()) {
                throw new IllegalStateException("index document: " + direct.remaining() + " bytes did not fit");
            }
            n = 0;
            crcTo = out.writePosition();
        }

        /** CRC-32 of {@code b}'s bytes at [from, to) (absolute offsets), through this buffer (drained first). */
        int crc(Bytes<?> b, long from, long to) {
            crc.reset();
            addRead(b, from, to, buf);
            return (int) crc.getValue();
        }
    }

    /** @throws IllegalStateException if the bytes are not a document this code wrote (the journal must be rebuilt) */
    static List<IndexEntry> read(Bytes<?> in) {
        long start = in.readPosition();
        long end = in.readLimit();
        int version = in.readUnsignedByte();
        if (version != VERSION) {
            throw new IllegalStateException("index document version " + version + " (expected: " + VERSION + ")");
        }
        if (end - start < 1 + CRC_LENGTH
                || SCRATCH.get().crc(in, start, end - CRC_LENGTH) != in.readInt(end - CRC_LENGTH)) {
            throw new IllegalStateException("index document fails its checksum (a page lost or torn?): "
                    + (end - start) + " bytes at " + start);
        }
        String file = in.readUtf8();
        long count = in.readStopBit();
        long spanEnd = in.readStopBit();
        long timestamp = Integer.toUnsignedLong(in.readInt());
        if (file == null || count <= 0 || count > in.readRemaining() || spanEnd < 4) {
            throw new IllegalStateException("index document does not decode: file=" + file + " count=" + count
                    + " offset=" + spanEnd);
        }
        List<IndexEntry> entries = new ArrayList<>((int) count);
        Object previousGtid = null;
        for (long i = 0; i < count; i++) {
            int type = in.readUnsignedByte();
            var role = IndexEntry.role(in.readUnsignedByte());
            long length = in.readStopBit();
            long beyond = in.readStopBit();
            long offset = spanEnd + in.readStopBit();
            timestamp += unzigzag(in.readStopBit());
            if (length < dev.binlogproxy.binlog.BinlogEvent.HEADER_LENGTH || length > Integer.MAX_VALUE
                    || beyond < 0 || offset < spanEnd || timestamp < 0 || timestamp > 0xFFFF_FFFFL) {
                throw new IllegalStateException("index entry " + i + " of " + file + " does not decode: offset="
                        + offset + " length=" + length + " span+" + beyond + " timestamp=" + timestamp);
            }
            MySqlGtid mysql = null;
            MariaGtid maria = null;
            int kind = in.readUnsignedByte();
            switch (kind) {
                case NO_GTID -> { }
                case MYSQL -> mysql = new MySqlGtid(new UUID(in.readLong(), in.readLong()), in.readStopBit());
                case MYSQL_SAME_SOURCE -> {
                    if (!(previousGtid instanceof MySqlGtid p)) {
                        throw new IllegalStateException("index entry " + i + " of " + file
                                + " refers to a previous MySQL GTID there is none of");
                    }
                    mysql = new MySqlGtid(p.sourceId(), in.readStopBit());
                }
                case MARIADB -> maria = new MariaGtid(in.readStopBit(), in.readStopBit(), in.readStopBit());
                case MARIADB_SAME_ORIGIN -> {
                    if (!(previousGtid instanceof MariaGtid p)) {
                        throw new IllegalStateException("index entry " + i + " of " + file
                                + " refers to a previous MariaDB GTID there is none of");
                    }
                    maria = new MariaGtid(p.domainId(), p.serverId(), in.readStopBit());
                }
                default -> throw new IllegalStateException("index entry GTID kind " + kind);
            }
            if (mysql != null) {
                previousGtid = mysql;
            } else if (maria != null) {
                previousGtid = maria;
            }
            IndexEntry e = new IndexEntry(file, offset, (int) length, type, timestamp, role, mysql, maria,
                    offset + length + beyond);
            entries.add(e);
            spanEnd = e.spanEnd();
        }
        if (in.readPosition() != end - CRC_LENGTH) {
            throw new IllegalStateException("index document of " + file + " has " + (end - CRC_LENGTH
                    - in.readPosition()) + " bytes after its " + count + " entries");
        }
        in.readSkip(CRC_LENGTH);
        return entries;
    }

    private static long zigzag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    private static long unzigzag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }
}
