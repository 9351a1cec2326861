package dev.binlogproxy.archive;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the archive's reserve of free space: before a transaction is accepted, the file systems holding the binlog
 * files and the index journal (usually one, but the index may be mounted apart) must have at least
 * {@code minFree} bytes free. Stopping there, not at ENOSPC, is what keeps the index journal safe: it is a
 * memory-mapped Chronicle queue, and a page it touches on a full file system is a SIGBUS (an InternalError), not an
 * IOException anyone could handle.
 *
 * <p>A statfs per transaction would cost the ack path a system call; instead the guard measures at most every
 * {@link #RECHECK_NANOS} or {@link #RECHECK_BYTES} written, and counts its own writes against the last
 * measurement in between (another process filling the disk is seen within the recheck period). When the estimate
 * says the reserve is reached it measures again before refusing. Thread-safe (the metrics and the waiting
 * upstream ask it too).
 */
final class DiskGuard {
    static final long RECHECK_NANOS = 1_000_000_000L;
    static final long RECHECK_BYTES = 1L << 20;

    private final Path dir;
    private final List<Path> watched;
    private final FileStore[] stores;
    private final long minFree;
    private long measuredFree = Long.MAX_VALUE;
    private long measuredAt;
    private long writtenSince;
    private boolean measured;

    DiskGuard(Path dir, long minFree) {
        this.dir = dir;
        this.minFree = minFree;
        this.watched = new ArrayList<>(List.of(dir, dir.resolve(IndexJournal.DIR_NAME)));
        this.stores = new FileStore[watched.size()];
    }

    long minFree() {
        return minFree;
    }

    /**
     * Before a transaction (or a new file) is accepted: counts first the {@code wrote} bytes written since the last
     * call (the writer reports a transaction's bytes at the next one's start, one lock per transaction instead of
     * one per event), then refuses it while less than the reserve is free.
     *
     * @throws DiskFullException nothing was written; try again when {@link #hasRoom()} says so
     */
    synchronized void beforeTransaction(long wrote) throws DiskFullException {
        writtenSince += wrote;
        if (minFree <= 0) {
            return;
        }
        long now = System.nanoTime();
        if (!measured || now - measuredAt >= RECHECK_NANOS || writtenSince >= RECHECK_BYTES
                || measuredFree - writtenSince < minFree) {
            measure(now);
        }
        if (measuredFree - writtenSince < minFree) {
            throw new DiskFullException(dir, Math.max(0, measuredFree - writtenSince), minFree, null);
        }
    }

    /** Measures now: whether the reserve is free again. */
    synchronized boolean hasRoom() {
        measure(System.nanoTime());
        return minFree <= 0 ? measuredFree > 0 : measuredFree >= minFree;
    }

    /** The least free space among the watched file systems, as last measured (measures if never). */
    synchronized long freeBytes() {
        if (!measured) {
            measure(System.nanoTime());
        }
        return measuredFree;
    }

    private void measure(long now) {
        long free = Long.MAX_VALUE;
        for (int i = 0; i < watched.size(); i++) {
            Path p = watched.get(i);
            try {
                // Files.getFileStore reads the whole mount table; at a measurement per MiB written that was 4% of a
                // catch-up's allocation and most of its system calls. The store is looked up once and asked
                // (one statfs of its path) from then on; looked up again if asking fails.
                FileStore store = stores[i];
                if (store == null && Files.exists(p)) {
                    store = stores[i] = Files.getFileStore(p);
                }
                if (store != null) {
                    free = Math.min(free, store.getUsableSpace());
                }
            } catch (IOException e) {
                stores[i] = null;
                // a store we cannot ask is not a reason to stop; the write itself will say if it is full
            }
        }
        measuredFree = free;
        measuredAt = now;
        writtenSince = 0;
        measured = true;
    }
}
