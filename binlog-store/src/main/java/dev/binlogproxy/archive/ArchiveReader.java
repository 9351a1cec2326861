package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventChecksum;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.binlog.position.BinlogPosition;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.function.IntPredicate;

/**
 * Reads archived events in order from a position, the way a dump thread reads the master's binlog: whole events,
 * only up to the end of the last complete transaction (never a partial one), from one file into the next after its
 * ROTATE (or, for a file the master ended without one, once a newer file exists), and waiting for more at the end.
 *
 * <p>The same rule carries a reader across masters: an adopt leaves the old master's last file without a ROTATE,
 * and the reader goes on at the new master's first file once it is listed, as a replica of one master does after
 * that master crashed and started a new file.
 *
 * <p>While a reader is in a file, purge leaves that file alone. One reader per downstream session; not
 * thread-safe. Events are returned as copies the caller may keep.
 */
public final class ArchiveReader implements AutoCloseable {
    private static final int READ_AHEAD = 64 * 1024;
    /**
     * A reader at least this far behind the visible end reads through a read-only mapping of the next
     * {@link #MAP_CHUNK} bytes instead of pread into its window: the page cache's bytes are used where they are,
     * without the copy into the window (16% of a dump's CPU in a fan-out profile). Closer to the end (a tailing
     * reader) the mapping would have to be remade for every commit, so it preads.
     */
    static final long MAP_FROM_BEHIND = 4L << 20;
    static final int MAP_CHUNK = 4 << 20;
    private static final long PAGE = 4096;
    private long mapFromBehind = MAP_FROM_BEHIND;
    private int mapChunk = MAP_CHUNK;

    private final Path dir;
    private final Inventory inventory;
    private String file;
    private FileChannel channel;
    private long position;
    private FormatDescription fde;
    private ChecksumAlgorithm checksum;
    /** The file the ROTATE just returned names; the next call moves there. */
    private String rotatedTo;
    /**
     * Direct, so a pread lands in it without the JDK's copy through a temporary direct buffer; replaced by a heap
     * buffer only for an event larger than the window, and restored after it.
     */
    private final ByteBuffer window = ByteBuffer.allocateDirect(READ_AHEAD).order(ByteOrder.LITTLE_ENDIAN);
    private ByteBuffer buf = window;
    /** File offset of buf's first byte; buf holds [bufStart, bufStart + buf.limit()). */
    private long bufStart;
    /** The current mapping (buf, when reading mapped), never past the visible end it was made at. */
    private MappedByteBuffer mapped;
    /** Whether views may be of a mapping: set by a caller that releases what it took (see {@link #mappedViews}). */
    private java.util.function.Consumer<Runnable> retire;
    private boolean closed;

    private ArchiveReader(Path dir, Inventory inventory) {
        this.dir = dir;
        this.inventory = inventory;
    }

    static ArchiveReader open(Path dir, Inventory inventory, BinlogPosition from) throws IOException, ArchiveException {
        if (!inventory.register(from.file())) {
            throw new ArchiveException("cannot read from " + from + ": " + from.file() + " is not in the archive"
                    + describeRange(inventory));
        }
        ArchiveReader r = new ArchiveReader(dir, inventory);
        r.file = from.file();
        try {
            r.enterFile();
            r.checkBoundary(from.offset());
            r.position = from.offset();
            return r;
        } catch (IOException | ArchiveException | RuntimeException e) {
            r.close();
            throw e;
        }
    }

    /**
     * Lets this reader read far-behind stretches through file mappings (see {@link #MAP_FROM_BEHIND}). A view
     * {@link #nextEntry(long, IntPredicate, int)} returns is then valid until the next call, as always; the
     * mapping it was in is released through {@code retire}, which must run the given action once nothing holds
     * bytes taken from that view any more (at once, for a caller that copies them before its next call).
     */
    public void mappedViews(java.util.function.Consumer<Runnable> retire) {
        this.retire = Mappings.AVAILABLE ? retire : null;
    }

    /** For tests: map from this far behind, this much at a time (a multiple of the page size, 2 pages or more). */
    void mapping(long fromBehind, int chunk) {
        if (chunk < 2 * PAGE || chunk % PAGE != 0) {
            throw new IllegalArgumentException("chunk " + chunk);
        }
        mapFromBehind = fromBehind;
        mapChunk = chunk;
    }

    /** Where the next event will be read from. After a ROTATE this still names the old file, until the next call. */
    public BinlogPosition position() {
        return new BinlogPosition(file, position);
    }

    /** The file the next event will be read from (as {@link #position()}, without making a position). */
    public String file() {
        return file;
    }

    /** The offset in {@link #file()} the next event will be read from. */
    public long offset() {
        return position;
    }

    /** Bytes readable now in {@link #file()} past {@link #offset()} (0 at its readable end). */
    public long readableInFile() {
        Inventory.FileView v = inventory.view(file);
        return v == null ? 0 : Math.max(0, v.visibleEnd() - position);
    }

    /**
     * Moves forward to {@code offset} of the file being read without reading the bytes in between: a dump that
     * was handed what another reader of the same file read from here (downstream's shared runs) goes on where
     * that reader stopped. The offset must be an event boundary that reader found, within what is readable now,
     * in this file (the skipped stretch may hold no ROTATE).
     *
     * @throws IOException if the offset is behind the reader, past the readable end, or the reader is past a
     *                     ROTATE
     */
    public void skipTo(long offset) throws IOException {
        checkOpen();
        Inventory.FileView v = currentView();
        if (offset < position || offset > v.visibleEnd() || rotatedTo != null) {
            throw new IOException("cannot skip from " + file + ":" + position + " to " + offset + " (readable end "
                    + v.visibleEnd() + (rotatedTo != null ? ", after a ROTATE" : "") + ")");
        }
        position = offset;
    }

    /** The FORMAT_DESCRIPTION of the file being read (a dump sends it first when it starts mid-file). */
    public FormatDescription formatDescription() {
        return fde;
    }

    /**
     * The next event if a complete transaction has made it readable, else null (nothing new yet).
     *
     * @throws IOException if the archive closed or a file cannot be read
     */
    public BinlogEvent next() throws IOException {
        checkOpen();
        while (true) {
            Inventory.FileView v = currentView();
            if (position < v.visibleEnd()) {
                return read(v.visibleEnd());
            }
            String next = rotatedTo != null ? rotatedTo : (v.sealed() ? v.next() : null);
            if (next == null || !inventory.contains(next)) {
                return null;
            }
            moveTo(next);
        }
    }

    /**
     * Like {@link #next()}, but waits up to {@code timeout} for a complete transaction to arrive (a tailing
     * reader). The writer's publication wakes it at once.
     *
     * @return the event, or null if none arrived in time
     */
    public BinlogEvent next(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long seen = inventory.generation();
            BinlogEvent e = next();
            if (e != null) {
                return e;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            if (!inventory.await(seen, left)) {
                throw new IOException("archive closed");
            }
        }
    }

    /**
     * One event as {@link #nextEntry} returns it: either a copy ({@link #event()} non-null), or, for a large event,
     * only where it lies in its file and a copy of its 19-byte header, so a sender can pass the bytes on from the
     * file without copying them.
     */
    public record Entry(String file, long offset, int size, BinlogEvent event, byte[] header, ByteBuffer view,
                        boolean mapped) {
        public Entry(String file, long offset, int size, BinlogEvent event, byte[] header) {
            this(file, offset, size, event, header, null, false);
        }

        /**
         * Whether {@link #view()} is of a file mapping (see {@link ArchiveReader#mappedViews}): then its bytes stay
         * valid past the next call, until the action the reader hands to its retire hook for that mapping runs.
         */
        @Override
        public boolean mapped() {
            return mapped;
        }

        /** Neither copied nor viewed: the bytes are to be taken from the file. */
        public boolean isRegion() {
            return event == null && view == null;
        }

        /** Whether only the header was copied (a region or a view): the body was not parsed. */
        public boolean bodyUnread() {
            return event == null;
        }

        public int typeCode() {
            return event != null ? event.typeCode() : Byte.toUnsignedInt(header[4]);
        }

        public int flags() {
            return event != null ? event.flags()
                    : Byte.toUnsignedInt(header[BinlogEvent.FLAGS_OFFSET])
                    | Byte.toUnsignedInt(header[BinlogEvent.FLAGS_OFFSET + 1]) << 8;
        }

        /** End offset of the event in its file. */
        public long end() {
            return offset + size;
        }
    }

    /**
     * Like {@link #next()}, but an event of at least {@code regionFrom} bytes whose type code {@code copyAnyway}
     * does not ask for is not read: the entry names its file region instead. ROTATEs are always copied (the reader
     * needs them).
     */
    public Entry nextEntry(long regionFrom, IntPredicate copyAnyway) throws IOException {
        return nextEntry(regionFrom, copyAnyway, 0);
    }

    /**
     * Like {@link #nextEntry(long, IntPredicate)}, and an event of at most {@code viewUpTo} bytes (at most the
     * 64 KiB read-ahead window) that {@code copyAnyway} does not ask for is not copied either: the entry's
     * {@link Entry#view()} shows it in the reader's window, valid only until the next call on this reader. A
     * sender that frames it straight into its socket buffer saves a copy and the garbage of one per event.
     */
    public Entry nextEntry(long regionFrom, IntPredicate copyAnyway, int viewUpTo) throws IOException {
        try {
            return nextEntry0(regionFrom, copyAnyway, viewUpTo);
        } catch (InternalError fault) {
            // The JVM's answer to SIGBUS in a mapping: the file shrank under it (something outside the archive
            // truncated it). Damage under the archive, reported as such, never an Error out of a reader.
            throw new IOException(inventory.path(file) + " changed under the reader (truncated?): "
                    + fault.getMessage(), fault);
        }
    }

    private Entry nextEntry0(long regionFrom, IntPredicate copyAnyway, int viewUpTo) throws IOException {
        int viewLimit = Math.min(viewUpTo, READ_AHEAD);
        checkOpen();
        while (true) {
            Inventory.FileView v = currentView();
            if (position < v.visibleEnd()) {
                ByteBuffer w = window(position, BinlogEvent.HEADER_LENGTH, v.visibleEnd());
                long size = BinlogEvent.eventSizeOf(w, w.position());
                int type = Byte.toUnsignedInt(w.get(w.position() + 4));
                if (size >= regionFrom && size >= BinlogEvent.HEADER_LENGTH && position + size <= v.visibleEnd()
                        && type != EventType.ROTATE.code() && !copyAnyway.test(type)) {
                    byte[] header = new byte[BinlogEvent.HEADER_LENGTH];
                    w.get(w.position(), header);
                    Entry e = new Entry(file, position, (int) size, null, header);
                    position += size;
                    return e;
                }
                if (size <= viewLimit && size >= BinlogEvent.HEADER_LENGTH && position + size <= v.visibleEnd()
                        && type != EventType.ROTATE.code() && !copyAnyway.test(type)) {
                    w = window(position, (int) size, v.visibleEnd());
                    byte[] header = new byte[BinlogEvent.HEADER_LENGTH];
                    w.get(w.position(), header);
                    ByteBuffer view = w.slice(w.position(), (int) size).asReadOnlyBuffer();
                    Entry e = new Entry(file, position, (int) size, null, header, view, w == mapped);
                    position += size;
                    return e;
                }
                long at = position;
                BinlogEvent event = read(v.visibleEnd());
                return new Entry(file, at, event.eventSize(), event, null);
            }
            String next = rotatedTo != null ? rotatedTo : (v.sealed() ? v.next() : null);
            if (next == null || !inventory.contains(next)) {
                return null;
            }
            moveTo(next);
        }
    }

    /**
     * Waits up to {@code timeoutNanos} for anything a reader could be waiting for (a published transaction, a new
     * file, the archive closing). Call it only after {@link #next()} or {@link #nextEntry} found nothing, with the
     * {@link #generation()} read before that call, so no wake-up is lost.
     *
     * @return false if the archive closed
     */
    public boolean await(long seenGeneration, long timeoutNanos) throws InterruptedException {
        return inventory.await(seenGeneration, timeoutNanos);
    }

    /**
     * Like {@link #await}, without a thread waiting: runs {@code wake} once anything a reader could be waiting for
     * has changed since {@code seenGeneration} (at once if it has already), on the thread that changed it. For
     * readers driven by an event loop: {@code wake} should only schedule the next look. Registering the same
     * object again before it ran keeps it once.
     */
    public void whenChanged(long seenGeneration, Runnable wake) {
        inventory.whenChanged(seenGeneration, wake);
    }

    /** The archive's change counter; see {@link #await}. */
    public long generation() {
        return inventory.generation();
    }

    /** Whether everything readable now has been read: the reader is at the visible end of the newest file it may enter. */
    public boolean atVisibleEnd() {
        Inventory.FileView v = inventory.view(file);
        if (v == null || position < v.visibleEnd()) {
            return false;
        }
        String next = rotatedTo != null ? rotatedTo : (v.sealed() ? v.next() : null);
        return next == null || !inventory.contains(next);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        inventory.unregister(file);
        releaseMapping();
        closeChannel();
    }

    private BinlogEvent read(long limit) throws IOException {
        ByteBuffer w = window(position, BinlogEvent.HEADER_LENGTH, limit);
        long size = BinlogEvent.eventSizeOf(w, w.position());
        if (size < BinlogEvent.HEADER_LENGTH || position + size > limit) {
            // The writer publishes only whole events, so this is damage under the archive (or someone else's write).
            throw new IOException(inventory.path(file) + ": event at " + position + " declares " + size
                    + " bytes, readable end is " + limit);
        }
        w = window(position, (int) size, limit);
        byte[] copy = new byte[(int) size];
        w.get(w.position(), copy);
        BinlogEvent event = BinlogEvent.wrap(copy);
        position += size;
        if (event.type() == EventType.ROTATE) {
            try {
                rotatedTo = Rotate.decode(event, checksum).nextFile();
            } catch (MalformedEventException e) {
                throw new IOException(inventory.path(file) + ": ROTATE at " + (position - size) + " does not decode: "
                        + e.getMessage(), e);
            }
        }
        return event;
    }

    /** buf positioned at {@code at} with at least {@code n} bytes, reading ahead up to {@code limit}. */
    private ByteBuffer window(long at, int n, long limit) throws IOException {
        if (at >= bufStart && at + n <= bufStart + buf.limit()) {
            buf.position((int) (at - bufStart));
            return buf;
        }
        if (retire != null && limit - at >= mapFromBehind && n <= mapChunk - PAGE) {
            return map(at, limit);
        }
        releaseMapping();
        int want = (int) Math.max(n, Math.min(READ_AHEAD, limit - at));
        if (want <= READ_AHEAD) {
            buf = window;
        } else if (buf.capacity() < want) {
            buf = ByteBuffer.allocate(want).order(ByteOrder.LITTLE_ENDIAN);
        }
        buf.clear().limit(want);
        Fsync.readFully(channel, buf, at);
        buf.flip();
        bufStart = at;
        return buf;
    }

    /** Maps [page of at, + MAP_CHUNK), never past {@code limit} (the visible end, within the file). */
    private ByteBuffer map(long at, long limit) throws IOException {
        releaseMapping();
        long start = at & ~(PAGE - 1);
        long length = Math.min(mapChunk, limit - start);
        MappedByteBuffer m = channel.map(FileChannel.MapMode.READ_ONLY, start, length);
        m.order(ByteOrder.LITTLE_ENDIAN);
        mapped = m;
        buf = m;
        bufStart = start;
        buf.position((int) (at - start));
        return buf;
    }

    /** Hands the current mapping to the caller's retire hook: unmapped once nothing holds its bytes. */
    private void releaseMapping() {
        MappedByteBuffer m = mapped;
        if (m == null) {
            return;
        }
        mapped = null;
        buf = window;
        buf.clear().limit(0);
        bufStart = 0;
        retire.accept(() -> Mappings.unmap(m));
    }

    private void moveTo(String next) throws IOException {
        if (!inventory.register(next)) {
            throw new IOException(next + " left the archive before the reader reached it");
        }
        inventory.unregister(file);
        releaseMapping();
        closeChannel();
        file = next;
        position = BinlogPosition.FIRST_EVENT_OFFSET;
        rotatedTo = null;
        enterFile();
    }

    private void enterFile() throws IOException {
        channel = FileChannel.open(inventory.path(file), StandardOpenOption.READ);
        buf.clear().limit(0);
        bufStart = 0;
        // A listed file's FDE is always readable (the archive lists a file only with its head). Read exactly it:
        // the buffer must never hold bytes past the visible end, which a discarded transaction may still change.
        long at = BinlogPosition.FIRST_EVENT_OFFSET;
        ByteBuffer w = window(at, BinlogEvent.HEADER_LENGTH, at + BinlogEvent.HEADER_LENGTH);
        long size = BinlogEvent.eventSizeOf(w, w.position());
        if (size < BinlogEvent.HEADER_LENGTH || size > channel.size() - at) {
            throw new IOException(inventory.path(file) + ": no valid FORMAT_DESCRIPTION at 4 (event_size " + size
                    + ")");
        }
        w = window(at, (int) size, at + size);
        byte[] copy = new byte[(int) size];
        w.get(w.position(), copy);
        try {
            fde = FormatDescription.decode(BinlogEvent.wrap(copy));
        } catch (MalformedEventException e) {
            throw new IOException(inventory.path(file) + ": no valid FORMAT_DESCRIPTION at 4: " + e.getMessage(), e);
        }
        checksum = fde.checksumAlgorithm();
    }

    /**
     * A position must be where an event starts: 4, the end of what is readable, or an offset whose event header
     * chains (log_pos = offset + size) and whose checksum matches. The chance that the middle of an event passes
     * both is negligible with CRC32; with checksums off, only the log_pos chain is checked.
     */
    private void checkBoundary(long at) throws IOException, ArchiveException {
        long visible = inventory.visibleEnd(file);
        if (at == BinlogPosition.FIRST_EVENT_OFFSET || at == visible) {
            return;
        }
        if (at > visible) {
            throw new ArchiveException("cannot read from " + file + ":" + at + ": the archive holds complete"
                    + " transactions of " + file + " up to " + visible);
        }
        String why = null;
        if (at + BinlogEvent.HEADER_LENGTH > visible) {
            throw new ArchiveException("cannot read from " + file + ":" + at + ": not the start of an event (only "
                    + (visible - at) + " bytes before the readable end " + visible + ")");
        }
        ByteBuffer w = window(at, BinlogEvent.HEADER_LENGTH, visible);
        long size = BinlogEvent.eventSizeOf(w, w.position());
        if (size < BinlogEvent.HEADER_LENGTH || at + size > visible) {
            why = "the bytes there declare an event of " + size + " bytes";
        } else {
            w = window(at, (int) size, visible);
            byte[] copy = new byte[(int) size];
            w.get(w.position(), copy);
            BinlogEvent e = BinlogEvent.wrap(copy);
            if (e.logPos() != at + size) {
                why = "the bytes there do not chain (log_pos " + e.logPos() + ", expected " + (at + size) + ")";
            } else if (e.type() == EventType.FORMAT_DESCRIPTION || !EventChecksum.matches(e, checksum)) {
                why = "the bytes there are not a valid event";
            }
        }
        if (why != null) {
            throw new ArchiveException("cannot read from " + file + ":" + at + ": not the start of an event ("
                    + why + ")");
        }
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // read-only channel: nothing to lose
            }
            channel = null;
        }
    }

    private static String describeRange(Inventory inventory) {
        String oldest = inventory.oldest();
        return oldest == null ? " (the archive is empty)" : " (it holds " + oldest + " to " + inventory.newest() + ")";
    }

    private void checkOpen() throws IOException {
        if (closed) {
            throw new IOException("reader closed");
        }
        if (inventory.isClosed()) {
            throw new IOException("archive closed");
        }
    }

    /** The inventory's view of the file being read; purge never takes it while this reader is registered in it. */
    private Inventory.FileView currentView() throws IOException {
        Inventory.FileView v = inventory.view(file);
        if (v == null) {
            throw new IOException(file + " left the archive while a reader was in it");
        }
        return v;
    }
}
