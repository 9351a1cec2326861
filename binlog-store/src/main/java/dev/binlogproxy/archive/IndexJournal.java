package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.file.BinlogDamage;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.queue.rollcycles.LargeRollCycles;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The index journal, a Chronicle Queue under {@code <archive>/index}: one entry per archived transaction (by its
 * first event, with where the transaction ends) and per control event ({@link IndexEntry}), appended after the
 * transaction is in the file and before readers may see it, one document per commit round and file
 * ({@link IndexBatch}).
 *
 * <p>Never the authority (design.md, "Chronicle Queue: measured here": its sync does not cover its header, index
 * pages or directory, so after a power loss it can be ahead of, behind, or disagree with the files). On open its
 * last entry is compared with the files: behind is caught up from the files, anything else (ahead, pointing at
 * bytes that are not that event, unreadable) deletes and rebuilds it from the files. If an append fails at
 * run time the journal is switched off: the archive keeps working, lookups scan the files instead, and the next
 * open rebuilds it.
 *
 * <p>A journal cannot be truncated, so what an adopt cuts from the files (a held ROTATE, the FDE of a file the dead
 * master only began) keeps its entries. The adopt's record says exactly which bytes those were
 * ({@link Epochs#cutAway}); the open-time check, verify and lookups pass over them instead of rebuilding the
 * journal after every failover.
 *
 * <p>Commit rounds append, one round at a time, on the commit thread or inline on the upstream's thread (the one
 * appender is shared, see {@link #appender()}); open-time catch-up and rebuild use their own appender on the
 * opening thread before the commit thread starts. Lookups use short-lived tailers.
 */
final class IndexJournal implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IndexJournal.class);
    static final String DIR_NAME = "index";
    /**
     * How long Chronicle waits for a header another appender left unfinished before taking it over. Only this
     * process appends, so an unfinished header at open is a dead writer's: no reason to wait Chronicle's default
     * seconds.
     */
    private static final long HEADER_TIMEOUT_MS = 500;
    private static final String METADATA_FILE = "metadata.cq4t";
    /** Entries per document when the journal is built from the files. */
    private static final int BUILD_BATCH = 1024;

    static {
        // Chronicle's DiskSpaceMonitor warns "disk almost full, the JVM may crash" by its own percentage every
        // 10 s, outside our logging, and on small file systems with most of the space free. The archive checks
        // free space itself against archive.minFreeSpace (DiskGuard), before any append, so the journal's mapping
        // never meets a full disk. Read by Chronicle once, when the monitor class loads: set before any queue.
        if (System.getProperty("chronicle.disk.monitor.disable") == null) {
            System.setProperty("chronicle.disk.monitor.disable", "true");
        }
    }

    /** What open found. */
    enum Outcome { IN_SYNC, CAUGHT_UP, REBUILT }

    private final Path archiveDir;
    private final Path dir;
    private final IndexCatalog catalog = new IndexCatalog();
    private final Object buildLock = new Object();
    /** Entries of the round being appended (rounds run one at a time), kept to spare a list per round. */
    private final List<IndexEntry> roundEntries = new ArrayList<>();
    private ChronicleQueue queue;
    private ExcerptAppender appender;
    private volatile RuntimeException failure;
    /**
     * Where the entries in the journal reach: the end of the last commit appended (at open, the files' ends the
     * journal was brought up to), or null before anything. The commit round publishes a transaction to readers
     * before it appends its entry (a reader tailing the archive never waits for the index), so the lookups
     * ({@link #find}, {@link #lastTransactionStart}) first wait until the journal reaches what their caller may see
     * ({@link #requireIndexed}).
     */
    private volatile IndexedThrough indexedThrough;
    /**
     * How long a lookup waits for the journal to reach what its caller can see: one append's wait, microseconds;
     * this only guards against a stuck round, after which the lookup fails and the caller reads the files.
     */
    private static final long LOOKUP_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** Lookups waiting in {@link #awaitIndexed}; the commit round notifies only when there are any. */
    private final AtomicInteger awaiting = new AtomicInteger();
    private final Object indexedMonitor = new Object();
    private Outcome outcome;
    private String outcomeReason = "";

    private IndexJournal(Path archiveDir) {
        this.archiveDir = archiveDir;
        this.dir = archiveDir.resolve(DIR_NAME);
    }

    /**
     * Opens the journal and brings it in line with the (already recovered) files.
     *
     * @throws ArchiveException if Chronicle cannot write a queue in this JVM at all (on JDK 17: the flags of
     *                          binlog-store/pom.xml's chronicle.jvm.flags are missing; without some, Chronicle
     *                          silently opens queues read-only). A launcher mistake is reported at open, not left
     *                          to degrade every lookup into a scan of the files.
     */
    /**
     * @param files  every file with its committed end ({@link Inventory#committedViews()}), oldest first
     * @param epochs the archive's masters: entries an adopt cut away from the files are not the journal's end
     */
    static IndexJournal open(Path archiveDir, List<Inventory.FileView> files, Epochs epochs) throws ArchiveException {
        IndexJournal j = new IndexJournal(archiveDir);
        try {
            j.openQueue();
        } catch (InternalError e) {
            // a fault touching the memory-mapped queue: the file system is full (or the file was cut under the
            // mapping). The files are the authority: the archive opens without the journal, the next open with
            // room rebuilds it.
            j.disable(new IllegalStateException("the index journal faulted while opening (its file system full?): "
                    + e.getMessage(), e));
            return j;
        } catch (LinkageError | AssertionError e) {
            // Chronicle's class initialisation fails this way without --add-opens java.base/java.lang.reflect.
            throw unusable(e);
        }
        try {
            j.reconcile(files, epochs);
            if (!files.isEmpty()) {
                Inventory.FileView newest = files.get(files.size() - 1);
                j.indexedThrough = new IndexedThrough(newest.name(), newest.visibleEnd());
            }
        } catch (Exception | InternalError e) {
            // The journal is a convenience: the archive opens without it (recovery has already read the files).
            j.disable(e);
        }
        return j;
    }

    /**
     * The journal of an archive this process has not opened (a running proxy's, or a stopped one's), for
     * {@link BinlogArchive#verifyInPlace}: read-only, never reconciled or rebuilt. If it cannot be opened, the
     * returned journal is unavailable with the reason as its failure.
     */
    static IndexJournal openReadOnly(Path archiveDir) {
        IndexJournal j = new IndexJournal(archiveDir);
        if (!Files.isDirectory(j.dir)) {
            j.failure = new IllegalStateException("no index journal (" + j.dir + " is missing)");
            return j;
        }
        Optional<String> empty = emptyCycleFile(j.dir);
        if (empty.isPresent()) {
            j.failure = new IllegalStateException("the index journal's cycle file " + empty.get()
                    + " has no header");
            return j;
        }
        try {
            j.queue = SingleChronicleQueueBuilder.single(j.dir.toFile()).rollCycle(LargeRollCycles.LARGE_DAILY)
                    .readOnly(true).build();
        } catch (Exception | LinkageError | InternalError e) { // Chronicle throws checked exceptions undeclared
            j.failure = new IllegalStateException("the index journal does not open read-only: " + e, e);
        }
        return j;
    }

    private static ArchiveException unusable(Throwable e) {
        return new ArchiveException("Chronicle Queue (the archive's index journal) cannot write in this JVM: " + e
                + ". On JDK 17 start the JVM with the flags of binlog-store/pom.xml (chronicle.jvm.flags): "
                + "--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED "
                + "--add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED "
                + "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED "
                + "--add-exports=java.base/jdk.internal.util=ALL-UNNAMED "
                + "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED", e);
    }

    /**
     * Builds the queue and proves it writable with a metadata excerpt (readers of entries never see those); if that
     * fails, once more from an empty directory.
     */
    private void openQueue() throws ArchiveException {
        for (int attempt = 0; ; attempt++) {
            try {
                Optional<String> empty = attempt == 0 ? emptyCycleFile(dir) : Optional.empty();
                if (empty.isPresent()) {
                    // Chronicle waits for a cycle file without a header (another appender creating it?) before
                    // giving up on it: 0.5 s here, 10 s read-only. Only this process appends, so it is a power
                    // loss's leftover (the file's first page never reached the disk): start afresh at once.
                    outcomeReason = "journal's cycle file " + empty.get() + " has no header";
                    LOG.warn("index journal {}: {}; rebuilding it from the files", dir, outcomeReason);
                    deleteRecursively(dir);
                } else if (attempt == 0) {
                    // metadata.cq4t is Chronicle's own bookkeeping (roll cycle, cycle range, a table-store lock);
                    // Chronicle recreates it from the cycle files (checked). A garbled one made the build wait 10 s
                    // for a lock no one holds; the archive lock keeps every other process out, so start afresh.
                    Files.deleteIfExists(dir.resolve(METADATA_FILE));
                } else {
                    deleteRecursively(dir);
                }
                queue = build(dir);
                try (ExcerptAppender a = queue.createAppender(); DocumentContext dc = a.writingDocument(true)) {
                    dc.wire().bytes().writeUnsignedByte(0);
                }
                return;
            } catch (Exception | AssertionError e) {
                // Chronicle also throws checked exceptions undeclared, and an AssertionError for a cycle file whose
                // header a power loss left half written (crash images: a page lost). Which of the two it is,
                // a garbled journal or a JVM that cannot write queues at all, only the retry on an empty directory
                // tells.
                if (queue != null) {
                    queue.close();
                    queue = null;
                }
                if (attempt > 0) {
                    throw unusable(e); // even a fresh, empty queue cannot be written
                }
                LOG.warn("index journal {} does not open or take writes ({}); rebuilding it from the files", dir,
                        e.toString());
                outcomeReason = "journal does not open or take writes: " + e;
            }
        }
    }

    Outcome outcome() {
        return outcome;
    }

    String outcomeReason() {
        return outcomeReason;
    }

    boolean available() {
        return failure == null;
    }

    /** A point of the archive: file, then offset (see {@link #indexedThrough}). */
    private record IndexedThrough(String file, long end) {
        boolean reaches(String otherFile, long otherEnd) {
            int byFile = Inventory.FILE_ORDER.compare(file, otherFile);
            return byFile > 0 || byFile == 0 && end >= otherEnd;
        }
    }

    /**
     * Waits until the journal holds the entries of everything up to {@code file}:{@code end}, which readers may
     * already see (the commit round appends a batch's entries right after publishing it, so the wait is that of
     * one append, microseconds; the timeout only guards against a stuck round).
     *
     * @return true when the journal reaches it; false if it is unavailable or the timeout passed (the caller
     *         then reads the files, which are the authority)
     */
    boolean awaitIndexed(String file, long end, long timeoutNanos) {
        IndexedThrough t = indexedThrough;
        if (t != null && t.reaches(file, end)) {
            return available();
        }
        long deadline = System.nanoTime() + timeoutNanos;
        awaiting.incrementAndGet();
        try {
            synchronized (indexedMonitor) {
                while (available()) {
                    t = indexedThrough;
                    if (t != null && t.reaches(file, end)) {
                        return true;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    indexedMonitor.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                }
                return false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            awaiting.decrementAndGet();
        }
    }

    /**
     * Before a lookup answers for {@code file}:{@code end}: waits for the journal to reach it, else fails, so that
     * the caller's fallback (reading the files) answers instead of a journal that has not seen it yet.
     */
    private void requireIndexed(String file, long end) {
        if (!awaitIndexed(file, end, LOOKUP_WAIT_NANOS)) {
            throw new IllegalStateException("index journal short of " + file + ":" + end + " after "
                    + TimeUnit.NANOSECONDS.toMillis(LOOKUP_WAIT_NANOS) + " ms (at " + indexedThrough + ")"
                    + (available() ? "" : ", switched off: " + failure));
        }
    }

    private void indexedTo(IndexedThrough t) {
        indexedThrough = t;
        if (awaiting.get() > 0) {
            synchronized (indexedMonitor) {
                indexedMonitor.notifyAll();
            }
        }
    }

    RuntimeException failure() {
        return failure;
    }

    private void reconcile(List<Inventory.FileView> files, Epochs epochs) throws IOException {
        if (!outcomeReason.isEmpty()) {
            rebuild(files, outcomeReason);
            return;
        }
        IndexEntry last;
        Optional<String> broken;
        try {
            last = readLast(epochs);
            broken = newestCycleBroken();
        } catch (Exception | AssertionError | InternalError e) {
            // Chronicle also throws checked exceptions undeclared (StreamCorruptedException for a bad header), fails
            // its own assertions where run with them (tests: the mirrored master's crash images, a page lost near
            // the journal's end, failed one in the backward tailer's toEnd) and may fault on a mapping
            // (InternalError). The journal is never the authority: whatever it is, it is rebuilt.
            rebuild(files, "journal unreadable: " + e);
            return;
        }
        if (broken.isPresent()) {
            rebuild(files, "journal " + broken.get());
            return;
        }
        String newest = files.isEmpty() ? null : files.get(files.size() - 1).name();
        String oldest = files.isEmpty() ? null : files.get(0).name();
        if (last == null) {
            if (newest == null) {
                outcome = Outcome.IN_SYNC;
            } else {
                catchUp(files, oldest, 0, "journal empty");
            }
            return;
        }
        Inventory.FileView lastFile = files.stream().filter(f -> f.name().equals(last.file())).findFirst()
                .orElse(null);
        if (lastFile == null) {
            if (newest != null && Inventory.FILE_ORDER.compare(last.file(), newest) > 0) {
                rebuild(files, "journal ends in " + last.file() + ", after the newest file " + newest);
            } else if (newest != null && Inventory.FILE_ORDER.compare(last.file(), oldest) < 0) {
                // Everything it indexed was purged; the files present were never indexed.
                catchUp(files, oldest, 0, "journal ends in purged file " + last.file());
            } else if (newest == null) {
                rebuild(files, "journal indexes " + last.file() + " but the archive has no files");
            } else {
                rebuild(files, "journal ends in " + last.file() + ", which is not in the archive");
            }
            return;
        }
        if (last.spanEnd() > lastFile.visibleEnd()) {
            rebuild(files, "journal ends at " + last.file() + ":" + last.spanEnd() + ", beyond the file's end "
                    + lastFile.visibleEnd());
            return;
        }
        Optional<String> disagreement = checkAgainstFile(last);
        if (disagreement.isPresent()) {
            rebuild(files, "journal's last entry disagrees with the file: " + disagreement.get());
            return;
        }
        if (last.file().equals(newest) && last.spanEnd() == lastFile.visibleEnd()) {
            outcome = Outcome.IN_SYNC;
            return;
        }
        catchUp(files, last.file(), last.spanEnd(), "journal ends at " + last.file() + ":" + last.spanEnd());
    }

    /**
     * Reads the newest cycle file forward: every document must decode and pass its checksum, and the read must
     * reach the entry the backward read found last. The queue's pages are written back by the kernel in any order
     * and never synced, so after a power loss an earlier page can be lost (zeros) while a later one is there: the
     * last entry then checks out, but a forward read (verify, the catalog of lookups) stops at the hole, or meets a
     * document with zeros inside (crash images).
     * Only the newest cycle: pages older than the kernel's write-back delay (30 s by default) reached the disk, and
     * reading the whole journal would make every open as slow as a rebuild.
     *
     * @return what is wrong, or empty if the newest cycle reads through
     */
    private Optional<String> newestCycleBroken() {
        long lastIndex;
        try (ExcerptTailer back = queue.createTailer().direction(TailerDirection.BACKWARD).toEnd();
             DocumentContext dc = back.readingDocument()) {
            if (!dc.isPresent()) {
                return Optional.empty();
            }
            lastIndex = dc.index();
        }
        try (ExcerptTailer t = queue.createTailer()) {
            int cycle = queue.rollCycle().toCycle(lastIndex);
            if (!t.moveToCycle(cycle)) {
                return Optional.of("cycle " + cycle + " (its last entry's) does not read");
            }
            long reached = -1;
            while (true) {
                try (DocumentContext dc = t.readingDocument()) {
                    if (!dc.isPresent()) {
                        break;
                    }
                    try {
                        IndexBatch.read(dc.wire().bytes());
                    } catch (IllegalStateException bad) {
                        // a lost page inside a document: its checksum fails (zeros decode, see IndexBatch)
                        return Optional.of("read forward fails at index " + Long.toHexString(dc.index()) + ": "
                                + bad.getMessage());
                    }
                    reached = dc.index();
                }
            }
            return reached == lastIndex ? Optional.empty()
                    : Optional.of("read forward stops at index " + Long.toHexString(reached) + ", before its last"
                    + " entry " + Long.toHexString(lastIndex) + " (a page lost in between)");
        }
    }

    /**
     * Whether the event at the entry's offset is the event the entry describes (type, size, log_pos chain), and the
     * file reaches the end of its span.
     */
    private Optional<String> checkAgainstFile(IndexEntry e) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(BinlogEvent.HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(archiveDir.resolve(e.file()), StandardOpenOption.READ)) {
            if (ch.size() < e.spanEnd()) {
                return Optional.of("file is " + ch.size() + " bytes, entry ends at " + e.spanEnd());
            }
            Fsync.readFully(ch, header, e.offset());
        }
        int type = Byte.toUnsignedInt(header.get(4));
        long size = Integer.toUnsignedLong(header.getInt(9));
        long logPos = Integer.toUnsignedLong(header.getInt(13));
        if (type != e.typeCode() || size != e.length() || logPos != e.end()) {
            return Optional.of(e.file() + ":" + e.offset() + " holds type " + type + " size " + size + " log_pos "
                    + logPos + ", entry says type " + e.typeCode() + " size " + e.length());
        }
        return Optional.empty();
    }

    private void rebuild(List<Inventory.FileView> files, String reason) throws IOException {
        LOG.warn("rebuilding the index journal {} from the binlog files: {}", dir, reason);
        if (queue != null) {
            queue.close();
            queue = null;
        }
        deleteRecursively(dir);
        catalog.clear();
        queue = build(dir);
        if (!files.isEmpty()) {
            appendFromFiles(files, files.get(0).name(), 0);
        }
        outcome = Outcome.REBUILT;
        outcomeReason = reason;
    }

    private void catchUp(List<Inventory.FileView> files, String fromFile, long fromOffset, String reason)
            throws IOException {
        LOG.info("index journal {} is behind the files ({}); catching up from {}:{}", dir, reason, fromFile,
                fromOffset);
        appendFromFiles(files, fromFile, fromOffset);
        outcome = Outcome.CAUGHT_UP;
        outcomeReason = reason;
    }

    private void appendFromFiles(List<Inventory.FileView> files, String fromFile, long fromOffset)
            throws IOException {
        try (ExcerptAppender a = queue.createAppender()) {
            List<IndexEntry> batch = new ArrayList<>(BUILD_BATCH);
            for (Inventory.FileView f : files) {
                if (Inventory.FILE_ORDER.compare(f.name(), fromFile) < 0) {
                    continue;
                }
                long from = f.name().equals(fromFile) ? fromOffset : 0;
                Optional<BinlogDamage> damage = FileScan.spans(archiveDir, f.name(), from, f.visibleEnd(), e -> {
                    batch.add(e);
                    if (batch.size() == BUILD_BATCH) {
                        write(a, batch, 0, batch.size());
                        batch.clear();
                    }
                    return true;
                });
                if (!batch.isEmpty()) {
                    write(a, batch, 0, batch.size());
                    batch.clear();
                }
                // Recovery validated the newest file; an older damaged file is indexed up to the damage and left
                // for verify() to report.
                damage.ifPresent(d -> LOG.error("{} is damaged ({}); indexed up to offset {}", f.name(), d, d.offset()));
            }
        }
    }

    /** One document of {@code entries[from, to)}, all of one file. */
    private static void write(ExcerptAppender a, List<IndexEntry> entries, int from, int to) {
        try (DocumentContext dc = a.writingDocument()) {
            try {
                IndexBatch.write(dc.wire().bytes(), entries, from, to);
            } catch (RuntimeException ex) {
                dc.rollbackOnClose();
                throw ex;
            }
        }
    }

    /**
     * Creates the commit thread's appender up front, so a queue Chronicle could only open read-only (the JDK 17
     * flags missing) is reported when the archive opens, not at the first commit.
     */
    void prepareAppender() {
        if (failure != null || appender != null) {
            return;
        }
        try {
            appender = appender();
        } catch (Exception | InternalError e) {
            disable(e);
        }
    }

    /**
     * Rounds run on the commit thread or inline on the upstream's thread (GroupCommit.commitNow), one at a time
     * under the round lock: the appender is shared between those threads, so Chronicle's check that an appender
     * stays on the thread that first used it is off for it.
     */
    private ExcerptAppender appender() {
        ExcerptAppender a = queue.createAppender();
        a.singleThreadedCheckDisabled(true);
        return a;
    }

    /** Switches the journal off as a failed append does (lookups read the files until the archive reopens). */
    void switchOff(Throwable reason) {
        disable(reason);
    }

    private void disable(Throwable e) {
        failure = e instanceof RuntimeException re ? re : new IllegalStateException(e.toString(), e);
        synchronized (indexedMonitor) {
            indexedMonitor.notifyAll(); // lookups waiting for entries that will not come read the files
        }
        LOG.error("index journal {} cannot be written ({}); lookups fall back to scanning the files until the archive"
                + " is reopened, which rebuilds it. On JDK 17 Chronicle needs the JVM flags listed in"
                + " binlog-store/pom.xml (chronicle.jvm.flags).", dir, e.toString(), e);
    }

    /**
     * Appends a round's commits' entries: a document for each run of one file. One round at a time; a failure
     * switches the journal off, never the archive.
     */
    void append(List<GroupCommit.Commit> round) {
        if (failure != null) {
            return;
        }
        try {
            if (appender == null) {
                appender = appender();
            }
            List<IndexEntry> entries = roundEntries;
            entries.clear();
            for (GroupCommit.Commit c : round) {
                entries.addAll(c.entries());
            }
            boolean cataloged = catalog.isBuilt();
            int from = 0;
            for (int i = 1; i <= entries.size(); i++) {
                if (i < entries.size() && entries.get(i).file().equals(entries.get(from).file())) {
                    continue;
                }
                write(appender, entries, from, i);
                if (cataloged) {
                    long index = appender.lastIndexAppended();
                    for (int k = from; k < i; k++) {
                        catalog.add(entries.get(k), index);
                    }
                }
                from = i;
            }
            entries.clear();
            GroupCommit.Commit last = round.get(round.size() - 1);
            indexedTo(new IndexedThrough(last.file(), last.end()));
        } catch (Exception | InternalError e) {
            // InternalError: a fault writing the memory-mapped queue (its file system full); the archive goes on
            disable(e);
        }
    }

    /** Releases the commit thread's appender; called by that thread when it stops. */
    void closeAppender() {
        if (appender != null) {
            try {
                appender.close();
            } catch (RuntimeException e) {
                LOG.debug("closing the index appender", e);
            }
            appender = null;
        }
    }

    /**
     * The last entry of data the files still hold, or null if there is none. Entries an adopt cut away (a held
     * ROTATE, a never-listed file's FDE: {@link Epochs#cutAway}) stay in the journal, which cannot be truncated,
     * and are passed over here as everywhere else; treating them as the end would rebuild the whole journal at the
     * first open after every failover.
     */
    IndexEntry readLast(Epochs epochs) {
        return lastMatching(e -> !epochs.cutAway(e.file(), e.offset()));
    }

    /** The newest entry {@code match} accepts, reading the journal back from its end; null if none. */
    private IndexEntry lastMatching(Predicate<IndexEntry> match) {
        try (ExcerptTailer t = queue.createTailer().direction(TailerDirection.BACKWARD).toEnd()) {
            while (true) {
                try (DocumentContext dc = t.readingDocument()) {
                    if (!dc.isPresent()) {
                        return null;
                    }
                    List<IndexEntry> entries = IndexBatch.read(dc.wire().bytes());
                    for (int i = entries.size() - 1; i >= 0; i--) {
                        if (match.test(entries.get(i))) {
                            return entries.get(i);
                        }
                    }
                }
            }
        }
    }

    /**
     * The newest entry that starts a transaction and ends at or before {@code file:end}, walking back from the end
     * (past only the few entries after the last transaction start: control events, a cut-away tail).
     */
    Optional<IndexEntry> lastTransactionStart(String file, long end) {
        requireIndexed(file, end);
        return Optional.ofNullable(lastMatching(e -> {
            int byFile = Inventory.FILE_ORDER.compare(e.file(), file);
            return e.startsTransaction() && (byFile < 0 || byFile == 0 && e.end() <= end);
        }));
    }

    /** Reads the journal from its first entry, in order. Use it on one thread and close it. */
    final class Cursor implements AutoCloseable {
        private final ExcerptTailer tailer = queue.createTailer();
        private List<IndexEntry> document = List.of();
        private int next;

        /** The next entry, or null at the end. */
        IndexEntry next() {
            while (next == document.size()) {
                try (DocumentContext dc = tailer.readingDocument()) {
                    if (!dc.isPresent()) {
                        return null;
                    }
                    document = IndexBatch.read(dc.wire().bytes());
                    next = 0;
                }
            }
            return document.get(next++);
        }

        @Override
        public void close() {
            tailer.close();
        }
    }

    Cursor cursor() {
        return new Cursor();
    }

    /**
     * The first entry, in file order, that {@code match} accepts, looking only in the files whose summary
     * {@code mayHold} accepts and only at events readers may see.
     */
    Optional<IndexEntry> find(List<Inventory.FileView> files, Predicate<IndexCatalog.FileStats> mayHold,
                              Predicate<IndexEntry> match) {
        if (!files.isEmpty()) {
            Inventory.FileView newest = files.get(files.size() - 1);
            requireIndexed(newest.name(), newest.visibleEnd());
        }
        IndexCatalog c = catalog();
        try (ExcerptTailer t = queue.createTailer()) {
            for (Inventory.FileView f : files) {
                IndexCatalog.FileStats s = c.stats(f.name());
                if (s == null || !mayHold.test(s) || !t.moveToIndex(s.firstIndex)) {
                    continue;
                }
                while (true) {
                    try (DocumentContext dc = t.readingDocument()) {
                        if (!dc.isPresent() || dc.index() > s.lastIndex) {
                            break;
                        }
                        for (IndexEntry e : IndexBatch.read(dc.wire().bytes())) {
                            // the whole transaction visible, not only its first event
                            if (e.file().equals(f.name()) && e.spanEnd() <= f.visibleEnd() && match.test(e)) {
                                return Optional.of(e);
                            }
                        }
                    }
                }
            }
        }
        return Optional.empty();
    }

    void forget(String file) {
        catalog.forget(file);
    }

    /**
     * The per-file summary, built on first use by one scan of the journal (so opening a large archive stays fast).
     * The commit thread adds to the catalog only once it is built; entries it appended during the scan are picked
     * up by reading on with the same tailer after the catalog is marked built. Adding twice is harmless.
     */
    private IndexCatalog catalog() {
        if (catalog.isBuilt()) {
            return catalog;
        }
        synchronized (buildLock) {
            if (!catalog.isBuilt()) {
                try (ExcerptTailer t = queue.createTailer()) {
                    drainInto(t);
                    catalog.markBuilt();
                    drainInto(t);
                }
            }
        }
        return catalog;
    }

    private void drainInto(ExcerptTailer t) {
        while (true) {
            try (DocumentContext dc = t.readingDocument()) {
                if (!dc.isPresent()) {
                    return;
                }
                for (IndexEntry e : IndexBatch.read(dc.wire().bytes())) {
                    catalog.add(e, dc.index());
                }
            }
        }
    }

    @Override
    public void close() {
        if (queue != null) {
            try {
                queue.close();
            } catch (RuntimeException | InternalError e) {
                LOG.warn("closing the index journal {}: {}", dir, e.toString());
            }
        }
    }

    private static ChronicleQueue build(Path dir) {
        return SingleChronicleQueueBuilder.single(dir.toFile())
                .rollCycle(LargeRollCycles.LARGE_DAILY)
                .timeoutMS(HEADER_TIMEOUT_MS)
                .build();
    }

    /**
     * A cycle file ({@code .cq4}) of the journal's directory without a header (empty, or zeros where Chronicle
     * writes its header when it creates the file), if any: what a power loss leaves of a file whose first page
     * never reached the disk.
     */
    private static Optional<String> emptyCycleFile(Path dir) {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.toList()) {
                if (p.getFileName().toString().endsWith(".cq4") && !hasHeader(p)) {
                    return Optional.of(p.getFileName().toString());
                }
            }
        } catch (IOException e) {
            return Optional.empty(); // the open that follows meets the same problem and says what it is
        }
        return Optional.empty();
    }

    private static boolean hasHeader(Path cycleFile) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(8);
        try (FileChannel ch = FileChannel.open(cycleFile, StandardOpenOption.READ)) {
            while (head.hasRemaining() && ch.read(head, head.position()) > 0) {
                // read on: a short read of a regular file is rare, but possible
            }
        }
        return head.position() == head.capacity() && head.getLong(0) != 0;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
