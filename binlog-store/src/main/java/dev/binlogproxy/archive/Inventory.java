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
 *
 * <p>A rotation becomes visible as a master shows it, all at once. On a master the ROTATE at the end of the old
 * file and the new file with its head (FORMAT_DESCRIPTION, then PREVIOUS_GTIDS on MySQL, GTID_LIST and
 * BINLOG_CHECKPOINT on MariaDB) are written under one lock, so a dump never finds a file it cannot read the head
 * of, nor a ROTATE to a file that does not exist. Here:
 * <ul>
 *   <li>A new file is <em>listed</em> (readers can see it at all: {@link #view}, {@link #newest}, {@link #list})
 *       only in the lock hold that publishes its first complete event after the FDE ({@link #publish}); the file
 *       is {@link #created} unlisted when its FDE is durable. In that same hold the previous file's ROTATE (held
 *       since its commit, see {@link #rotate}) is published, its {@code rotatedTo} recorded, and the previous file
 *       sealed. So no reader ever sees a ROTATE to a file that is not listed, nor a listed file without its
 *       head.</li>
 *   <li>A ROTATE whose next file never gets a head (the master died mid-rotation, the upstream went away) stays
 *       unpublished: readers stop before it. Also across a reopen: {@link Recovery} loads a newest file ending in
 *       a ROTATE with the ROTATE held, and a newest file holding nothing past its FDE unlisted.</li>
 *   <li>A file the upstream gives nothing past its FDE before it moves on (no server writes one, but the writer
 *       takes it): listed, with just its FDE visible, when the writer moves on: at the commit of its ROTATE (which
 *       is then held as any ROTATE), or when the next file is created.</li>
 * </ul>
 * The writer side sees more than readers: {@link #lastFile}, {@link #holds}, {@link #committedEnd} and
 * {@link #committedRotatedTo} include the unlisted file and a held ROTATE (what is durable and must not be
 * written again).
 *
 * <p>Across masters (epochs, {@link Epochs}): an adopt cuts a held ROTATE and deletes the unlisted file, and the
 * old master's last file is sealed without a ROTATE ({@link #endEpoch}); the new master's first file is then
 * created and listed like any next file. A reader crosses from one to the other as a master's dump does after a
 * crash: at the end of a sealed file without a ROTATE, it goes on at the next listed file, position 4.
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
        /** Under the lock: the end of what the writer committed (past visibleEnd only by a held ROTATE). */
        long end;
        /** Under the lock: the file ends at {@link #end} with a ROTATE to this file, not yet published. */
        String heldRotatedTo;
        /**
         * Where the bytes are when not in the archive directory: a copy fetched back from the tier into the cache
         * directory (final once the file is listed). Null for the archive's own files.
         */
        volatile Path fetched;
        /** Under the lock: a fetched copy stays at least until then (System.nanoTime), so its reader can enter it. */
        long pinnedUntil;
        /**
         * The next listed file, once there is one: kept so a reader of a sealed file does not walk the skip list
         * for it once per event ({@code higherKey} was 3-4% of the proxy's CPU in a fan-out profile). Files are
         * only listed after the newest and purged or fetched back at the oldest end, so a file's successor, once
         * it has one, never changes.
         */
        volatile String next;

        FileState(long visibleEnd) {
            this.visibleEnd = visibleEnd;
            this.end = visibleEnd;
        }
    }

    /** The writer's newest file while it is not listed: its FDE is durable, its head not yet committed. */
    private static final class Unlisted {
        final String name;
        /** Where its FDE ends: a publication past it lists the file. */
        final long fdeEnd;
        long end;

        Unlisted(String name, long fdeEnd, long end) {
            this.name = name;
            this.fdeEnd = fdeEnd;
            this.end = end;
        }
    }

    private final Path dir;
    /** Purge deletes through it (see {@link FileLayer}). */
    private final FileLayer layer;
    private final ReentrantLock lock = new ReentrantLock();
    private final ConcurrentSkipListMap<String, FileState> files = new ConcurrentSkipListMap<>(FILE_ORDER);
    /**
     * The same files by name, for the lookups readers make once per event (view, contains): a hash lookup instead
     * of a walk down the skip list comparing names (4% of a dump's CPU in a fan-out profile). Changed together
     * with {@link #files}, before any seal that would send a reader to the new file.
     */
    private final ConcurrentHashMap<String, FileState> byName = new ConcurrentHashMap<>();
    /** Readers parked in {@link #await}; each change unparks them all, and each goes its own way at once. */
    private final Set<Thread> waiters = ConcurrentHashMap.newKeySet();
    /** One-shot callbacks of readers driven by an event loop ({@link #whenChanged}); each change runs them all. */
    private final Set<Runnable> listeners = ConcurrentHashMap.newKeySet();
    /** Under the lock. */
    private Unlisted unlisted;
    private volatile long generation;
    private volatile boolean closed;

    Inventory(Path dir, FileLayer layer) {
        this.dir = dir;
        this.layer = layer;
    }

    /** Adds a file found on disk at open (oldest first), readable to {@code end}. */
    void load(String name, long end) {
        lock.lock();
        try {
            if (!files.isEmpty()) {
                files.lastEntry().getValue().sealed = true;
            }
            FileState loaded = new FileState(end);
            files.put(name, loaded);
            byName.put(name, loaded);
        } finally {
            lock.unlock();
        }
    }

    /**
     * At open: the newest listed file ends with a ROTATE (at {@code rotateAt}, ending at {@code end}) to a file
     * that is not listed. The ROTATE stays held until {@code next} is listed.
     */
    void loadHeldRotate(String name, long rotateAt, long end, String next) {
        load(name, rotateAt);
        lock.lock();
        try {
            FileState st = files.get(name);
            st.end = end;
            st.heldRotatedTo = next;
        } finally {
            lock.unlock();
        }
    }

    /** At open: the newest file on disk holds nothing past its FDE; it stays unlisted until its head arrives. */
    void loadUnlisted(String name, long fdeEnd) {
        created(name, fdeEnd);
    }

    /**
     * The writer created {@code name} and made its FDE (ending at {@code fdeEnd}) durable. The file is not listed
     * until its head is published. A previous unlisted file (nothing past its FDE, and no ROTATE) is listed now:
     * the upstream has moved on from it.
     */
    void created(String name, long fdeEnd) {
        lock.lock();
        try {
            String last = lastFileLocked();
            if (last != null && FILE_ORDER.compare(last, name) >= 0) {
                throw new IllegalStateException("new file " + name + " does not sort after " + last);
            }
            if (unlisted != null) {
                listLocked(unlisted.end);
            }
            unlisted = new Unlisted(name, fdeEnd, fdeEnd);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes {@code file} readable up to {@code end} (a transaction boundary) and wakes waiting readers. For the
     * unlisted file, an end past its FDE is its head: the file is listed, with the previous file's ROTATE.
     */
    void publish(String file, long end) {
        lock.lock();
        try {
            if (unlisted != null && unlisted.name.equals(file)) {
                unlisted.end = Math.max(unlisted.end, end);
                if (end > unlisted.fdeEnd) {
                    listLocked(unlisted.end);
                }
                return;
            }
            FileState st = files.get(file);
            if (st == null) {
                throw new IllegalStateException("publish to unknown file " + file);
            }
            if (st.heldRotatedTo != null) {
                throw new IllegalStateException("publish to " + file + " after its ROTATE");
            }
            st.end = Math.max(st.end, end);
            if (end > st.visibleEnd) {
                st.visibleEnd = end;
                changedLocked();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The commit of {@code file}'s ROTATE to {@code next}, ending at {@code end}: durable, but held from readers
     * until {@code next} is listed with its head. An unlisted file that gets its ROTATE right after its FDE is
     * listed now, with just its FDE readable.
     */
    void rotate(String file, long end, String next) {
        lock.lock();
        try {
            if (unlisted != null && unlisted.name.equals(file)) {
                listLocked(unlisted.end);
            }
            FileState st = files.get(file);
            if (st == null || !file.equals(files.lastKey())) {
                throw new IllegalStateException("ROTATE in " + file + ", which is not the newest file");
            }
            st.end = end;
            st.heldRotatedTo = next;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Lists the unlisted file, readable to {@code visibleEnd}, and publishes the previous file's held ROTATE.
     * Readers look without the lock, so the order of the writes matters: the new file is in the map (whole)
     * before the ROTATE naming it becomes readable, and the previous file is sealed after its last publication.
     */
    private void listLocked(long visibleEnd) {
        Unlisted u = unlisted;
        unlisted = null;
        Map.Entry<String, FileState> previous = files.lastEntry();
        FileState st = new FileState(visibleEnd);
        st.end = u.end;
        files.put(u.name, st);
        byName.put(u.name, st);
        if (previous != null) {
            FileState p = previous.getValue();
            if (p.heldRotatedTo != null) {
                if (!p.heldRotatedTo.equals(u.name)) {
                    throw new IllegalStateException(previous.getKey() + " ends with a ROTATE to " + p.heldRotatedTo
                            + ", but the next file is " + u.name);
                }
                p.visibleEnd = p.end;
                p.rotatedTo = p.heldRotatedTo;
                p.heldRotatedTo = null;
            }
            p.sealed = true;
        }
        changedLocked();
    }

    /**
     * An adopt ended the epoch at {@code last}:{@code end} (null: the archive had no listed file): the ROTATE held
     * at its end and the unlisted file were removed from disk, so they are forgotten here, and the file is sealed,
     * as it will never grow. Readers at its end move on to the next listed file (the new epoch's first) as they do
     * at the end of any sealed file without a ROTATE.
     */
    /** An abandoned adopt: the file {@link #endEpoch} sealed is the newest again and may grow. */
    void reopenEpoch(String last) {
        lock.lock();
        try {
            FileState st = files.get(last);
            if (st != null && last.equals(files.lastKey())) {
                st.sealed = false;
            }
            changedLocked();
        } finally {
            lock.unlock();
        }
    }

    void endEpoch(String last, long end) {
        lock.lock();
        try {
            unlisted = null;
            if (last != null) {
                FileState st = files.get(last);
                if (st == null || !last.equals(files.lastKey()) || st.visibleEnd != end) {
                    throw new IllegalStateException("epoch end " + last + ":" + end + " is not the visible end of"
                            + " the newest file");
                }
                st.end = end;
                st.heldRotatedTo = null;
                st.sealed = true;
            }
            changedLocked();
        } finally {
            lock.unlock();
        }
    }

    // ---- the writer's side: everything committed, listed or not ----

    /** The newest file the writer has: the unlisted one if any, else the newest listed. */
    String lastFile() {
        lock.lock();
        try {
            return lastFileLocked();
        } finally {
            lock.unlock();
        }
    }

    private String lastFileLocked() {
        return unlisted != null ? unlisted.name : newest();
    }

    /** Whether the archive holds {@code file}, listed or not. */
    boolean holds(String file) {
        lock.lock();
        try {
            return unlisted != null && unlisted.name.equals(file) || files.containsKey(file);
        } finally {
            lock.unlock();
        }
    }

    /** How far {@code file} is committed (a held ROTATE included); -1 if the archive does not hold it. */
    long committedEnd(String file) {
        lock.lock();
        try {
            if (unlisted != null && unlisted.name.equals(file)) {
                return unlisted.end;
            }
            FileState st = files.get(file);
            return st == null ? -1 : st.end;
        } finally {
            lock.unlock();
        }
    }

    /** The file {@code file}'s committed ROTATE names, published or held; null if it has none. */
    String committedRotatedTo(String file) {
        lock.lock();
        try {
            FileState st = files.get(file);
            if (st == null) {
                return null;
            }
            return st.heldRotatedTo != null ? st.heldRotatedTo : st.rotatedTo;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Every file with its committed end, the unlisted one last: what the index journal must cover (the commit
     * thread indexes an event before it is visible, and a held ROTATE or an unlisted FDE is indexed too).
     */
    List<FileView> committedViews() {
        lock.lock();
        try {
            List<FileView> out = new ArrayList<>(files.size() + 1);
            for (Map.Entry<String, FileState> e : files.entrySet()) {
                FileState st = e.getValue();
                String next = files.higherKey(e.getKey());
                if (next == null && unlisted != null) {
                    next = unlisted.name;
                }
                out.add(new FileView(e.getKey(), st.end, st.sealed, st.heldRotatedTo != null ? st.heldRotatedTo
                        : st.rotatedTo, next));
            }
            if (unlisted != null) {
                out.add(new FileView(unlisted.name, unlisted.end, false, null, null));
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Without the lock. Sealed is read first: a file is sealed after its last publication, so a reader that sees
     * it sealed sees its final visible end, and the newer file (added with the seal) as next.
     */
    FileView view(String file) {
        FileState st = byName.get(file);
        if (st == null) {
            return null;
        }
        boolean sealed = st.sealed;
        String rotatedTo = st.rotatedTo;
        long end = st.visibleEnd;
        // next only matters once the file is sealed (it is listed before the seal): readers look once per event
        return new FileView(file, end, sealed, rotatedTo, sealed ? nextOf(file, st) : null);
    }

    /** The file listed after {@code file} (whose state is {@code st}), or null while there is none. */
    private String nextOf(String file, FileState st) {
        String next = st.next;
        if (next == null) {
            next = files.higherKey(file);
            // only a successor is final: a file without one yet (the newest, sealed by an epoch's end) gets one
            st.next = next;
        }
        return next;
    }

    long visibleEnd(String file) {
        FileView v = view(file);
        return v == null ? -1 : v.visibleEnd();
    }

    boolean contains(String file) {
        return byName.containsKey(file);
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
     * newest, one a reader is in, one no limit selects, or one {@code mayDelete} refuses). A copy fetched back from
     * the tier goes as soon as no reader is in it and its pin ran out, whatever the limits: it is a cache. Runs
     * under the lock, so no reader can enter a file while it is being deleted.
     */
    List<String> purge(RetentionPolicy policy, Instant now, java.util.function.Predicate<String> mayDelete)
            throws IOException {
        List<String> deleted = new ArrayList<>();
        boolean archiveFiles = false;
        lock.lock();
        try {
            // the limits are the archive's own files': a copy fetched back must not push one of them out
            long total = 0;
            int count = 0;
            for (FileState st : files.values()) {
                if (st.fetched == null) {
                    total += st.visibleEnd;
                    count++;
                }
            }
            long nanos = System.nanoTime();
            while (files.size() > 1) {
                Map.Entry<String, FileState> oldest = files.firstEntry();
                FileState st = oldest.getValue();
                Path path = pathLocked(oldest.getKey(), st);
                if (st.readers > 0 || !st.sealed) {
                    break;
                }
                if (st.fetched != null) {
                    if (nanos - st.pinnedUntil < 0) {
                        break;
                    }
                } else {
                    boolean byCount = policy.maxFiles() > 0 && count > policy.maxFiles();
                    boolean bySize = policy.maxTotalBytes() > 0 && total > policy.maxTotalBytes();
                    boolean byAge = policy.maxAge() != null
                            && Files.getLastModifiedTime(path).toInstant().isBefore(now.minus(policy.maxAge()));
                    if (!(byCount || bySize || byAge) || !mayDelete.test(oldest.getKey())) {
                        break;
                    }
                    archiveFiles = true;
                }
                layer.deleteIfExists(path);
                files.remove(oldest.getKey());
                byName.remove(oldest.getKey());
                deleted.add(oldest.getKey());
                if (st.fetched == null) {
                    total -= st.visibleEnd;
                    count--;
                }
            }
            if (!deleted.isEmpty()) {
                changedLocked();
            }
        } finally {
            lock.unlock();
        }
        if (archiveFiles) {
            layer.syncDirectory(dir);
        }
        return deleted;
    }

    // ---- copies fetched back from the tier ----

    /**
     * Lists {@code name}, a closed file fetched back from the tier to {@code path} ({@code size} bytes, whole and
     * checked), in front of the oldest listed file, which must be the next one: the archive stays a run of files
     * without holes. Sealed; its reader crosses into the next file as at any closed file's end. Purge leaves it
     * for {@code pinNanos} (or while a reader is in it).
     */
    void prependFetched(String name, long size, Path path, long pinNanos) {
        lock.lock();
        try {
            String first = oldest();
            if (first != null && FILE_ORDER.compare(name, first) >= 0) {
                throw new IllegalStateException("fetched " + name + " does not sort before " + first);
            }
            FileState st = new FileState(size);
            st.sealed = true;
            st.fetched = path;
            st.pinnedUntil = System.nanoTime() + pinNanos;
            files.put(name, st);
            byName.put(name, st);
            changedLocked();
        } finally {
            lock.unlock();
        }
    }

    /** Where a listed file's bytes are: the archive directory, or the cache for a copy fetched back. */
    Path path(String file) {
        FileState st = byName.get(file);
        return pathLocked(file, st);
    }

    private Path pathLocked(String file, FileState st) {
        Path fetched = st == null ? null : st.fetched;
        return fetched != null ? fetched : dir.resolve(file);
    }

    /** Whether {@code file} is listed as a copy fetched back from the tier (not the archive's own). */
    boolean isFetched(String file) {
        FileState st = byName.get(file);
        return st != null && st.fetched != null;
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
