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
    /** Bumped by each measurement, whichever thread takes it: see {@link #allowance()}. */
    private volatile int measurements;

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

    /**
     * What the writer may do without calling {@link #beforeTransaction} again, as it stands after a call that did
     * not refuse: until {@link Allowance#bytes} more are written, {@link Allowance#until} (System.nanoTime) passes,
     * or any measurement changes {@link #measurements()}, that call would neither measure nor refuse. A call per
     * transaction was a lock and a clock read per transaction of small events (the writer's own check is a
     * volatile read, a comparison and, with a reserve, the clock).
     */
    synchronized Allowance allowance() {
        if (minFree <= 0) {
            return Allowance.UNLIMITED; // never measures, never refuses
        }
        // strictly below the recheck by bytes, and not below the reserve, so the call it stands for would do
        // nothing (negative, were either already reached: then every call is made)
        long bytes = Math.min(RECHECK_BYTES - writtenSince - 1, measuredFree - writtenSince - minFree);
        return new Allowance(bytes, measuredAt + RECHECK_NANOS, measurements);
    }

    /** Counts measurements (any thread's): an {@link Allowance} is void once another one was taken. */
    int measurements() {
        return measurements;
    }

    /**
     * See {@link #allowance()}.
     *
     * @param bytes        bytes that may still be written without a check (the writer counts them)
     * @param until        System.nanoTime() before which no check is due
     * @param measurements {@link #measurements()} when given
     */
    record Allowance(long bytes, long until, int measurements) {
        /** No reserve: the guard never measures for the writer nor refuses, whatever else measures. */
        static final Allowance UNLIMITED = new Allowance(Long.MAX_VALUE, Long.MAX_VALUE, 0);
        static final Allowance NONE = new Allowance(-1, Long.MIN_VALUE, 0);
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
        measurements++; // under the lock: the writer's allowance (see allowance()) is void from now
    }
}
