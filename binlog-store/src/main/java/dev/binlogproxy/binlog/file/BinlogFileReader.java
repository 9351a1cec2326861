package dev.binlogproxy.binlog.file;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventChecksum;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.txn.EventRole;
import dev.binlogproxy.binlog.txn.TransactionTracker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Walks one binlog file event by event and validates it: the magic, that the first event is a
 * FORMAT_DESCRIPTION, every event's size against the file, every checksum (the FDE's own always, the others under
 * the FDE's algorithm), the log_pos chain (each event's log_pos is its end offset) and transaction boundaries.
 *
 * <p>The first problem stops the walk with a {@link BinlogFileDamagedException} that tells a damaged tail (what a
 * crash mid-write leaves; cutting the file repairs it) from corruption in the middle (valid-looking data follows;
 * the file must not be cut). Events are returned as copies, so callers may keep them.
 *
 * <p>Not thread-safe. The file may grow while it is read (an open binlog): {@link #next()} returns null at the
 * current end and can be called again later.
 */
public final class BinlogFileReader implements AutoCloseable {
    /** The 4 bytes every binlog file starts with. */
    public static final byte[] MAGIC = {(byte) 0xFE, 'b', 'i', 'n'};
    private static final int READ_CHUNK = 1 << 20;

    private final Path path;
    private final FileChannel channel;
    private final TransactionTracker tracker = new TransactionTracker();
    private ByteBuffer buf = ByteBuffer.allocate(READ_CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    private long bufStart;
    private long offset;
    private FormatDescription fde;
    private long lastBoundary;

    private BinlogFileReader(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
        buf.limit(0);
    }

    /** Opens a file and checks its magic. */
    public static BinlogFileReader open(Path path) throws IOException, BinlogFileDamagedException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        BinlogFileReader r = new BinlogFileReader(path, ch);
        try {
            r.readMagic();
        } catch (IOException | BinlogFileDamagedException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return r;
    }

    private void readMagic() throws IOException, BinlogFileDamagedException {
        long size = channel.size();
        if (!fill(4)) {
            throw damaged(BinlogDamage.Kind.TRUNCATED_TAIL, 0,
                    "file has " + size + " bytes, shorter than the 4-byte binlog magic");
        }
        for (int i = 0; i < 4; i++) {
            if (buf.get(buf.position() + i) != MAGIC[i]) {
                throw damaged(BinlogDamage.Kind.CORRUPT, 0, "bad magic " + hex(4) + " (expected fe62696e)");
            }
        }
        consume(4);
        lastBoundary = 4;
    }

    /**
     * The next event, or null at the current end of the file (clean: nothing or no partial header left).
     *
     * @throws BinlogFileDamagedException at the first invalid event; the reader must not be used after that
     */
    public FileEvent next() throws IOException, BinlogFileDamagedException {
        if (!fill(BinlogEvent.HEADER_LENGTH)) {
            long left = channel.size() - offset;
            if (left == 0) {
                return null;
            }
            throw damaged(BinlogDamage.Kind.TRUNCATED_TAIL, offset, "partial event header: " + left
                    + " bytes at the end of the file (expected: " + BinlogEvent.HEADER_LENGTH + ")");
        }
        long size = BinlogEvent.eventSizeOf(buf, buf.position());
        int type = Byte.toUnsignedInt(buf.get(buf.position() + 4));
        if (size < BinlogEvent.HEADER_LENGTH) {
            throw damaged(kindFor(offset + BinlogEvent.HEADER_LENGTH), offset, "event_size " + size
                    + " of type " + type + " (expected: >= " + BinlogEvent.HEADER_LENGTH + ")");
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw damaged(kindFor(offset + size), offset, "event_size " + size + " of type " + type
                    + " (expected: <= " + (Integer.MAX_VALUE - 8) + ")");
        }
        if (!fill((int) size)) {
            throw damaged(BinlogDamage.Kind.TRUNCATED_TAIL, offset, "event of type " + type + " declares " + size
                    + " bytes, only " + (channel.size() - offset) + " left in the file");
        }
        byte[] copy = new byte[(int) size];
        buf.get(buf.position(), copy);
        BinlogEvent event = BinlogEvent.wrap(copy);
        long end = offset + size;

        // The checksum is checked before the log_pos chain: a CRC mismatch covers a damaged header too and is
        // the more precise diagnosis.
        if (fde == null) {
            if (event.type() != EventType.FORMAT_DESCRIPTION) {
                throw damaged(BinlogDamage.Kind.CORRUPT, offset, "first event is " + event.type()
                        + " (expected: FORMAT_DESCRIPTION)");
            }
            try {
                fde = FormatDescription.decode(event);
            } catch (MalformedEventException e) {
                throw damaged(kindFor(end), offset, e.getMessage());
            }
            if (!FormatDescription.checksumMatches(event)) {
                throw damaged(kindFor(end), offset, "FORMAT_DESCRIPTION checksum mismatch");
            }
        } else {
            if (event.type() == EventType.FORMAT_DESCRIPTION) {
                throw damaged(kindFor(end), offset, "second FORMAT_DESCRIPTION in one file");
            }
            if (!EventChecksum.matches(event, fde.checksumAlgorithm())) {
                throw damaged(kindFor(end), offset, event.type() + " checksum mismatch: stored 0x"
                        + Integer.toHexString(event.storedChecksum()) + ", computed 0x"
                        + Integer.toHexString(EventChecksum.expected(event)));
            }
        }
        if (event.logPos() != end) {
            throw damaged(kindFor(end), offset, event.type() + " has log_pos " + event.logPos() + " (expected: its end offset "
                    + end + ")");
        }
        EventRole role;
        try {
            role = tracker.accept(event);
        } catch (MalformedEventException e) {
            throw damaged(kindFor(end), offset, e.getMessage());
        }
        FileEvent result = new FileEvent(offset, event, role);
        consume((int) size);
        if (role.isBoundaryAfter()) {
            lastBoundary = offset;
        }
        return result;
    }

    /**
     * Damage that reaches the end of the file is a torn tail; anything followed by more bytes is corruption. The
     * file size is read only here, on the damage path: an fstat per event cost most of a scan's time.
     */
    private BinlogDamage.Kind kindFor(long eventEnd) throws IOException {
        return eventEnd >= channel.size() ? BinlogDamage.Kind.TRUNCATED_TAIL : BinlogDamage.Kind.CORRUPT;
    }

    /** The file's FORMAT_DESCRIPTION, once the first event was read. */
    public FormatDescription formatDescription() {
        return fde;
    }

    public ChecksumAlgorithm checksum() {
        return fde == null ? ChecksumAlgorithm.OFF : fde.checksumAlgorithm();
    }

    /** Offset of the next event to read. */
    public long position() {
        return offset;
    }

    /** End of the last complete transaction (or control event): a reader may expose bytes up to here. */
    long lastTransactionBoundary() {
        return lastBoundary;
    }

    public boolean inTransaction() {
        return tracker.inTransaction();
    }

    public long completedTransactions() {
        return tracker.completedTransactions();
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** Makes at least n bytes available at buf.position(); false if the file ends first. */
    private boolean fill(int n) throws IOException {
        if (buf.remaining() >= n) {
            return true;
        }
        if (buf.capacity() < n) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(n, buf.capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN);
            bigger.put(buf);
            bigger.flip();
            buf = bigger;
        } else {
            buf.compact().flip();
        }
        bufStart = offset;
        while (buf.remaining() < n) {
            buf.position(buf.limit()).limit(buf.capacity());
            int read = channel.read(buf, bufStart + buf.position());
            buf.flip();
            if (read <= 0) {
                return buf.remaining() >= n;
            }
        }
        return true;
    }

    private void consume(int n) {
        buf.position(buf.position() + n);
        offset += n;
    }

    private String hex(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n && i < buf.remaining(); i++) {
            sb.append(String.format("%02x", buf.get(buf.position() + i)));
        }
        return sb.toString();
    }

    private BinlogFileDamagedException damaged(BinlogDamage.Kind kind, long at, String reason) {
        return new BinlogFileDamagedException(path, new BinlogDamage(kind, at, reason));
    }
}
