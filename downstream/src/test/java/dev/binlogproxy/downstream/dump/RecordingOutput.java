package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.protocol.RealMasterDump;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A DumpOutput that keeps what the sender writes, in the same form as a captured real dump
 * ({@link RealMasterDump.Item}), reading file regions at once (as a synchronous implementation would). It can
 * close itself after a number of packets or when a packet matches, the way a client goes away.
 */
final class RecordingOutput implements DumpOutput {
    final List<RealMasterDump.Item> items = new ArrayList<>();
    /** Per event item: whether it came as a file region. */
    final List<Boolean> regions = new ArrayList<>();
    /** System.nanoTime() of each item. */
    final List<Long> times = new ArrayList<>();
    private final int maxItems;
    private final Predicate<RealMasterDump.Item> closeAfter;
    private volatile boolean open = true;
    int afterClose;

    RecordingOutput() {
        this(Integer.MAX_VALUE, i -> false);
    }

    RecordingOutput(int maxItems, Predicate<RealMasterDump.Item> closeAfter) {
        this.maxItems = maxItems;
        this.closeAfter = closeAfter;
    }

    @Override
    public synchronized void event(ByteBuf eventBytes, boolean semiSyncHeader, boolean ackRequested) {
        try {
            add(new RealMasterDump.Event(ByteBufUtil.getBytes(eventBytes), semiSyncHeader, ackRequested, 0), false);
        } finally {
            eventBytes.release();
        }
    }

    @Override
    public synchronized void event(FileChannel file, long offset, int length, boolean semiSyncHeader,
                                   boolean ackRequested) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            if (file.read(b, offset + b.position()) < 0) {
                throw new IOException("region past the end of the file");
            }
        }
        add(new RealMasterDump.Event(b.array(), semiSyncHeader, ackRequested, 0), true);
    }

    @Override
    public synchronized void eof() {
        add(new RealMasterDump.Eof(), false);
    }

    @Override
    public synchronized void error(int code, String sqlState, String message) {
        add(new RealMasterDump.Err(code, sqlState, message), false);
        open = false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    void close() {
        open = false;
    }

    private void add(RealMasterDump.Item item, boolean region) {
        if (!open) {
            afterClose++;
            return; // a real channel would fail or drop it; the sender notices isOpen() next
        }
        items.add(item);
        regions.add(region);
        times.add(System.nanoTime());
        if (items.size() >= maxItems || closeAfter.test(item)) {
            open = false;
        }
    }

    synchronized List<RealMasterDump.Item> snapshot() {
        return List.copyOf(items);
    }

    /** The event of item {@code i}. */
    BinlogEvent event(int i) {
        return BinlogEvent.wrap(((RealMasterDump.Event) items.get(i)).bytes());
    }
}
