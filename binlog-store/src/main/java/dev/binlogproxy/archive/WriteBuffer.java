package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.BinlogEvent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * The writer's buffer in front of the file it appends to: events gather here and reach the file in one write per
 * transaction boundary (or when the buffer fills), so a partial transaction rarely reaches the file at all and a
 * cut after a disconnect rarely has to truncate. An event larger than the buffer goes to the file directly.
 *
 * <p>Holds [{@link #start()}, start + {@link #buffered()}) of the file; everything before {@code start} is in the
 * file. {@link #dirty()} says whether bytes reached the file since the last sync, so a sync with nothing to do
 * costs nothing. Not thread-safe: the writer's lock guards it.
 */
final class WriteBuffer {
    private final ByteBuffer buffer;
    private long start;
    private boolean dirty;

    WriteBuffer(int capacity) {
        this.buffer = ByteBuffer.allocateDirect(capacity);
    }

    /** File offset of the first buffered byte: where the next write to the file goes. */
    long start() {
        return start;
    }

    int buffered() {
        return buffer.position();
    }

    boolean dirty() {
        return dirty;
    }

    /** The file was synced (or closed after its last commit's sync): nothing written is unsynced. */
    void synced() {
        dirty = false;
    }

    /** Drops what is buffered; the next byte goes to {@code at}. */
    void reset(long at) {
        buffer.clear();
        start = at;
    }

    /** Adds one event's bytes, writing the buffer first if they do not fit. */
    void add(FileChannel ch, BinlogEvent event) throws IOException {
        int size = event.eventSize();
        if (size > buffer.remaining()) {
            flush(ch);
        }
        if (size > buffer.capacity()) {
            dirty = true;
            Fsync.writeFully(ch, event.bytes(), start);
            start += size;
        } else {
            event.copyTo(buffer);
        }
    }

    /** Writes what is buffered to the file. */
    void flush(FileChannel ch) throws IOException {
        if (buffer.position() == 0) {
            return;
        }
        buffer.flip();
        int n = buffer.remaining();
        dirty = true;
        Fsync.writeFully(ch, buffer, start);
        start += n;
        buffer.clear();
    }
}
