package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.position.BinlogPosition;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The archive's files as readers may see them: which files exist, how far each may be read (the visible end),
 * which are finished, and which readers are in which file. The writer side publishes; readers wait here for
 * news. One lock orders every change (so purge and a reader opening a file cannot race); looking (a file's view,
 * the generation) and waiting take no lock. With a hundred tailing readers, a lock there made every commit wake
 * them all onto one lock, to pass it on one at a time: the tail latency grew with the number of readers.
 *
 * <p>Invariants: a visible end only grows and always sits on a transaction boundary (the writer publishes nothing
 * else); every file but the newest is sealed (it will never grow); a sealed file's visible end is its size.
 */
final class Inventory {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Inventory.class);
    /** Binlog file order: basename, then the number (mysql-bin.999999 before mysql-bin.1000000). */
    static final Comparator<String> FILE_ORDER =
            // allocation-free (readers look their file up once per event): a parsing comparator was 16% of a dump
            // thread's CPU in a fan-out profile
            BinlogPosition::compareFiles;

    /** What a reader needs to know about one file, read atomically. */
    record FileView(String name, long visibleEnd, boolean sealed, String rotatedTo, String next) {
    }

    /** Written under the lock, read without it: see {@link #view} for the order of the reads. */
    private static final class FileState {
        volatile long visibleEnd;
        volatile boolean sealed;
        volatile String rotatedTo;
        int readers;

        FileState(long visibleEnd) {
            this.visibleEnd = visibleEnd;
        }
    }

    private final Path dir;
    private final ReentrantLock lock = new ReentrantLock();
    private final ConcurrentSkipListMap<String, FileState> files = new ConcurrentSkipListMap<>(FILE_ORDER);
    /** Readers parked in {@link #await}; each change unparks them all, and each goes its own way at once. */
    private final Set<Thread> waiters = ConcurrentHashMap.newKeySet();
    /** One-shot callbacks of readers driven by an event loop ({@link #whenChanged}); each change runs them all. */
    private final Set<Runnable> listeners = ConcurrentHashMap.newKeySet();
    private volatile long generation;
    private volatile boolean closed;

    Inventory(Path dir) {
        this.dir = dir;
    }

    /** Adds a file found on disk at open (oldest first). */
    void load(String name, long end, String rotatedTo) {
        lock.lock();
        try {
            if (!files.isEmpty()) {
                files.lastEntry().getValue().sealed = true;
            }
            FileState st = new FileState(end);
            st.rotatedTo = rotatedTo;
            files.put(name, st);
        } finally {
            lock.unlock();
        }
    }

    /** A new newest file, readable up to {@code visibleEnd}; the previous newest is finished. */
    void addFile(String name, long visibleEnd) {
        lock.lock();
        try {
            Map.Entry<String, FileState> previous = files.lastEntry();
            if (previous != null && FILE_ORDER.compare(previous.getKey(), name) >= 0) {
                throw new IllegalStateException("new file " + name + " does not sort after " + previous.getKey());
            }
            // listed before the seal, so a reader that sees the seal (see view) finds the next file too
            files.put(name, new FileState(visibleEnd));
            if (previous != null) {
                previous.getValue().sealed = true;
            }
            changedLocked();
        } finally {
            lock.unlock();
        }
    }

    /** Makes {@code file} readable up to {@code end} (a transaction boundary) and wakes waiting readers. */
    void publish(String file, long end) {
        lock.lock();
        try {
            FileState st = files.get(file);
            if (st == null) {
                throw new IllegalStateException("publish to unknown file " + file);
            }
            if (end > st.visibleEnd) {
                st.visibleEnd = end;
                changedLocked();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Records that {@code file} ends with a ROTATE to {@code next}. */
    void rotated(String file, String next) {
        lock.lock();
        try {
            FileState st = files.get(file);
            if (st != null) {
                st.rotatedTo = next;
                changedLocked();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Without the lock. Sealed is read first: a file is sealed after its last publication, so a reader that sees
     * it sealed sees its final visible end, and the newer file (added with the seal) as next.
     */
    FileView view(String file) {
        FileState st = files.get(file);
        if (st == null) {
            return null;
        }
        boolean sealed = st.sealed;
        String rotatedTo = st.rotatedTo;
        long end = st.visibleEnd;
        // next only matters once the file is sealed (it is listed before the seal): readers look once per event
        return new FileView(file, end, sealed, rotatedTo, sealed ? files.higherKey(file) : null);
    }

    long visibleEnd(String file) {
        FileView v = view(file);
        return v == null ? -1 : v.visibleEnd();
    }

    boolean contains(String file) {
        return files.containsKey(file);
    }

    String newest() {
        Map.Entry<String, FileState> e = files.lastEntry();
        return e == null ? null : e.getKey();
    }

    String oldest() {
        Map.Entry<String, FileState> e = files.firstEntry();
        return e == null ? null : e.getKey();
    }

    List<FileView> views() {
        lock.lock();
        try {
            List<FileView> out = new ArrayList<>(files.size());
            for (Map.Entry<String, FileState> e : files.entrySet()) {
                FileState st = e.getValue();
                out.add(new FileView(e.getKey(), st.visibleEnd, st.sealed, st.rotatedTo, files.higherKey(e.getKey())));
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    List<ArchivedFile> list() {
        List<ArchivedFile> out = new ArrayList<>();
        for (FileView v : views()) {
            out.add(new ArchivedFile(v.name(), v.visibleEnd()));
        }
        return out;
    }

    // ---- readers ----

    /** Counts a reader in {@code file}; false if the file is gone (purged) or the archive closed. */
    boolean register(String file) {
        lock.lock();
        try {
            FileState st = files.get(file);
            if (st == null || closed) {
                return false;
            }
            st.readers++;
            return true;
        } finally {
            lock.unlock();
        }
    }

    void unregister(String file) {
        lock.lock();
        try {
            FileState st = files.get(file);
            if (st != null && st.readers > 0) {
                st.readers--;
            }
        } finally {
            lock.unlock();
        }
    }

    int readers(String file) {
        lock.lock();
        try {
            FileState st = files.get(file);
            return st == null ? 0 : st.readers;
        } finally {
            lock.unlock();
        }
    }

    /** A counter that changes whenever anything a reader could wait for changes. Read it before looking. */
    long generation() {
        return generation;
    }

    /**
     * Waits until the generation moves past {@code seen}, the archive closes, or the time is up.
     *
     * @return false if the archive is closed
     */
    boolean await(long seen, long timeoutNanos) throws InterruptedException {
        if (generation != seen || closed || timeoutNanos <= 0) {
            return !closed;
        }
        Thread me = Thread.currentThread();
        // Registered before the generation is looked at again: a change after this look unparks us, one before
        // it is seen by it (generation is written before the waiters are read).
        waiters.add(me);
        try {
            long deadline = System.nanoTime() + timeoutNanos;
            while (generation == seen && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                LockSupport.parkNanos(this, left);
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
            return !closed;
        } finally {
            waiters.remove(me);
        }
    }

    /**
     * Runs {@code wake} once the generation moves past {@code seen} or the archive closes: at once (on this thread)
     * if it already has, else on the thread that makes the change. {@code wake} must only hand over (it runs while
     * the change is being published); the same object registered again before it ran is kept once.
     */
    void whenChanged(long seen, Runnable wake) {
        listeners.add(wake);
        // Added before the generation is looked at again, as in await: a change after this look runs it, one
        // before it is seen by it (generation is written before the listeners are read).
        if ((generation != seen || closed) && listeners.remove(wake)) {
            wake.run();
        }
    }

    boolean isClosed() {
        return closed;
    }

    void close() {
        lock.lock();
        try {
            closed = true;
            changedLocked();
        } finally {
            lock.unlock();
        }
    }

    // ---- purge ----

    /**
     * Deletes the oldest files the policy lets go, as a prefix: it stops at the first file that must stay (the
     * newest, one a reader is in, or one no limit selects). Runs under the lock, so no reader can enter a file
     * while it is being deleted.
     */
    List<String> purge(RetentionPolicy policy, Instant now) throws IOException {
        List<String> deleted = new ArrayList<>();
        lock.lock();
        try {
            long total = 0;
            for (FileState st : files.values()) {
                total += st.visibleEnd;
            }
            int count = files.size();
            while (files.size() > 1) {
                Map.Entry<String, FileState> oldest = files.firstEntry();
                FileState st = oldest.getValue();
                Path path = dir.resolve(oldest.getKey());
                boolean byCount = policy.maxFiles() > 0 && count > policy.maxFiles();
                boolean bySize = policy.maxTotalBytes() > 0 && total > policy.maxTotalBytes();
                boolean byAge = policy.maxAge() != null
                        && Files.getLastModifiedTime(path).toInstant().isBefore(now.minus(policy.maxAge()));
                if (!(byCount || bySize || byAge) || st.readers > 0 || !st.sealed) {
                    break;
                }
                Files.deleteIfExists(path);
                files.remove(oldest.getKey());
                deleted.add(oldest.getKey());
                total -= st.visibleEnd;
                count--;
            }
            if (!deleted.isEmpty()) {
                changedLocked();
            }
        } finally {
            lock.unlock();
        }
        if (!deleted.isEmpty()) {
            Fsync.directory(dir);
        }
        return deleted;
    }

    private void changedLocked() {
        generation++;
        for (Thread t : waiters) {
            LockSupport.unpark(t);
        }
        for (Runnable r : listeners) {
            if (listeners.remove(r)) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    // a reader's hand-over must never fail the writer's publication
                    LOG.warn("archive change listener failed", e);
                }
            }
        }
    }
}
