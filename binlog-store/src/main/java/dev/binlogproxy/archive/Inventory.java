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
import java.util.TreeMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The archive's files as readers may see them: which files exist, how far each may be read (the visible end),
 * which are finished, and which readers are in which file. The writer side publishes; readers wait here for
 * news. One lock guards everything, so purge and a reader opening a file cannot race.
 *
 * <p>Invariants: a visible end only grows and always sits on a transaction boundary (the writer publishes nothing
 * else); every file but the newest is sealed (it will never grow); a sealed file's visible end is its size.
 */
final class Inventory {
    /** Binlog file order: basename, then the number (mysql-bin.999999 before mysql-bin.1000000). */
    static final Comparator<String> FILE_ORDER =
            // equal names first: every TreeMap lookup ends on one, and the commit thread looks up once per round
            (a, b) -> a.equals(b) ? 0 : BinlogPosition.startOf(a).compareTo(BinlogPosition.startOf(b));

    /** What a reader needs to know about one file, read atomically. */
    record FileView(String name, long visibleEnd, boolean sealed, String rotatedTo, String next) {
    }

    private static final class FileState {
        long visibleEnd;
        boolean sealed;
        String rotatedTo;
        int readers;

        FileState(long visibleEnd) {
            this.visibleEnd = visibleEnd;
        }
    }

    private final Path dir;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final TreeMap<String, FileState> files = new TreeMap<>(FILE_ORDER);
    private long generation;
    private boolean closed;

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
            if (!files.isEmpty()) {
                if (FILE_ORDER.compare(files.lastKey(), name) >= 0) {
                    throw new IllegalStateException("new file " + name + " does not sort after " + files.lastKey());
                }
                files.lastEntry().getValue().sealed = true;
            }
            files.put(name, new FileState(visibleEnd));
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

    FileView view(String file) {
        lock.lock();
        try {
            FileState st = files.get(file);
            if (st == null) {
                return null;
            }
            return new FileView(file, st.visibleEnd, st.sealed, st.rotatedTo, files.higherKey(file));
        } finally {
            lock.unlock();
        }
    }

    long visibleEnd(String file) {
        FileView v = view(file);
        return v == null ? -1 : v.visibleEnd();
    }

    boolean contains(String file) {
        lock.lock();
        try {
            return files.containsKey(file);
        } finally {
            lock.unlock();
        }
    }

    String newest() {
        lock.lock();
        try {
            return files.isEmpty() ? null : files.lastKey();
        } finally {
            lock.unlock();
        }
    }

    String oldest() {
        lock.lock();
        try {
            return files.isEmpty() ? null : files.firstKey();
        } finally {
            lock.unlock();
        }
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
        lock.lock();
        try {
            return generation;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the generation moves past {@code seen}, the archive closes, or the time is up.
     *
     * @return false if the archive is closed
     */
    boolean await(long seen, long timeoutNanos) throws InterruptedException {
        lock.lock();
        try {
            long left = timeoutNanos;
            while (generation == seen && !closed && left > 0) {
                left = changed.awaitNanos(left);
            }
            return !closed;
        } finally {
            lock.unlock();
        }
    }

    boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
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
        changed.signalAll();
    }
}
