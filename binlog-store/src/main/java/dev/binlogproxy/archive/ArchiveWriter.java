package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.txn.EventRole;
import dev.binlogproxy.binlog.txn.TransactionTracker;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Writes what the master's dump sends into the archive's files, byte for byte, refusing anything that would make
 * a file differ from the master's. There is one writer per archive ({@link BinlogArchive#writer()}).
 *
 * <p>The calls follow the dump: for each file, {@link #startFile} (what the dump's fake ROTATE says), then
 * {@link #appendFormatDescription} (the FDE the dump sends next), then {@link #append} for every further event;
 * the file's real ROTATE, appended like any event, closes it, and the next file starts again with
 * {@link #startFile}. After a disconnect, {@link #discardPartialTransaction()}, then resume from
 * {@link BinlogArchive#resumePosition()}. Files belong to masters ({@link Epochs}): the files of an earlier master
 * are never started again, and after {@link BinlogArchive#adopt} only the new master's first file at 4 is.
 *
 * <p>Every event is checked before anything is written: log_pos must be the event's end offset in the file, the
 * checksum must match under the file's FDE, the body of GTID and ROTATE events must decode, and the event must fit
 * the transaction boundaries so far. A refused event ({@link EventRejectedException}) leaves the file, the
 * writer's state and the open transaction as they were.
 *
 * <p>Events are buffered ({@link WriteBuffer}) and written at each transaction boundary (or when the buffer
 * fills), so a partial transaction rarely reaches the file at all; when one does (a transaction larger than the
 * buffer, or a crash), {@link #discardPartialTransaction()} or crash recovery cuts it. What a file's
 * FORMAT_DESCRIPTION may be and how it is stored is {@link FormatDescriptionRules}'.
 *
 * <p>A transaction is refused whole, before any of it is written, while the file system has less than the
 * reserve free ({@link DiskGuard}); a write that still finds it full cuts back to the last committed transaction
 * ({@link DiskFullException}). Either way the writer stays usable.
 *
 * <p>Thread-safety: the methods are synchronized, but a transaction's events must arrive in order without another
 * transaction's in between; the upstream session is one thread and does that naturally.
 */
public final class ArchiveWriter {
    private static final int BUFFER_SIZE = 256 * 1024;
    /** Durability WRITE: how much of a file is written before the commit thread starts writing it back. */
    static final long WRITE_BACK_BYTES = 8L << 20;

    private final BinlogArchive archive;
    private final Path dir;
    private final FileLayer layer;
    private final Inventory inventory;
    private final GroupCommit commit;
    private final WriteBuffer buffer = new WriteBuffer(BUFFER_SIZE);
    private final DiskGuard disk;

    private WriterState state = WriterState.IDLE;
    private IOException failure;
    /** The file being written, verified or (in ROTATED) just closed. */
    private String file;
    private FileChannel channel;
    /** startFile named a file the archive does not have yet: appendFormatDescription creates it. */
    private boolean newFile;
    private long startPosition;
    private ChecksumAlgorithm checksum = ChecksumAlgorithm.OFF;
    private TransactionTracker tracker = new TransactionTracker();
    /** End of every byte accepted so far, written or still in the buffer. */
    private long end;
    /** End of the last complete transaction (or control event) accepted: where a cut leaves whole transactions. */
    private long boundary;
    /**
     * While {@code end < verifyLimit}, the file already holds these bytes (startFile at 4 of an archived file):
     * incoming events are compared with them instead of written.
     */
    private long verifyLimit = -1;
    /** The file being verified is not the newest: nothing may be appended after its end. */
    private boolean verifyingSealed;
    private String expectedNext;
    /**
     * The journal entries of the transaction being appended (usually one), handed to its commit as an immutable
     * copy: a list per transaction and its growth were a fifth of the samples of small-event appends.
     */
    private final List<IndexEntry> pending = new ArrayList<>();
    /**
     * The first event of the transaction being appended, as its journal entry needs it (an entry is made once, at
     * the transaction's last event: one made at the start and copied with its span at the end was two per
     * transaction). The event itself is not kept: its bytes are the caller's. {@code openStart < 0}: none open.
     */
    private long openStart = -1;
    private int openLength;
    private int openTypeCode;
    private long openTimestamp;
    private Object openGtid;
    /** Where the last complete transaction of {@link #lastTxnFile} starts (-1: not known, see recheckPosition). */
    private long lastTxnStart = -1;
    private String lastTxnFile;
    /** Between {@link #holdCommits()} and {@link #releaseCommits()}. */
    private boolean holding;
    private final CommitFeed commits;
    /** The file last handed to {@link GroupCommit#writeBackInBackground}, and where that hand-over was. */
    private FileChannel writeBackChannel;
    private long writeBackFrom;
    /** Bytes written since the last {@link DiskGuard#beforeTransaction(long)}, reported at the next one. */
    private long unreported;
    /** What {@link #checkDisk()} may skip: the guard's answer after the last check that let a transaction in. */
    private DiskGuard.Allowance diskAllowance = DiskGuard.Allowance.NONE;

    ArchiveWriter(BinlogArchive archive, Path dir, FileLayer layer, Inventory inventory, GroupCommit commit,
                  DiskGuard disk) {
        this.archive = archive;
        this.disk = disk;
        this.dir = dir;
        this.layer = layer;
        this.inventory = inventory;
        this.commit = commit;
        this.commits = new CommitFeed(commit);
        String newest = inventory.lastFile();
        if (newest != null) {
            file = newest;
            end = boundary = inventory.committedEnd(newest);
            String rotatedTo = inventory.committedRotatedTo(newest);
            if (rotatedTo != null) {
                state = WriterState.ROTATED;
                expectedNext = rotatedTo;
            }
        }
    }

    /**
     * Begins (or resumes) a file, as the dump's fake ROTATE announces it.
     *
     * @param position 4 for the start of a file: a file the archive does not have is created by the FDE that
     *                 follows; one it has is compared byte by byte with what follows, and appending continues at its
     *                 end. Above 4: the dump resumes mid-file in the archive's newest file, at exactly its end
     *                 ({@link BinlogArchive#resumePosition()}) or at {@link #recheckPosition()} (compared again).
     * @throws ArchiveException if the file or position does not fit the archive: among others a file of an
     *                          earlier master (epoch), or, after an adopt, anything but the new master's first file
     *                          at 4
     * @throws IllegalStateException if no upstream identity was recorded yet, or a transaction is still open
     */
    public synchronized void startFile(String name, long position) throws IOException, ArchiveException {
        requireUsable();
        writeDeferred();
        UpstreamIdentity id = archive.identity().orElseThrow(() -> new IllegalStateException(
                "no upstream identity recorded: call BinlogArchive.checkIdentity before writing"));
        BinlogPosition at = ArchivedBytes.ofMaster(id, name, position);
        checkEpoch(at);
        if (state == WriterState.WRITING && end != boundary) {
            throw new IllegalStateException("a transaction is open in " + file + " at " + boundary
                    + ": call discardPartialTransaction() before starting over");
        }
        // What the writer has, listed or not: a file not listed yet and a held ROTATE are archived all the same.
        String newest = inventory.lastFile();
        if (position == BinlogPosition.FIRST_EVENT_OFFSET) {
            if (inventory.holds(name)) {
                startVerifying(name, newest);
                return;
            }
            ArchivedBytes.checkNewFile(dir, name, newest, state == WriterState.ROTATED ? file : null, expectedNext,
                    () -> archive.resumePosition().map(Object::toString).orElse("?"));
            finishCurrentFile();
            file = name;
            newFile = true;
            startPosition = position;
            end = boundary = position;
            buffer.reset(position);
            state = WriterState.AWAIT_FDE;
            return;
        }
        if (!name.equals(newest)) {
            throw new ArchiveException("cannot resume " + at + ": only the newest file"
                    + (newest == null ? " (the archive is empty: start a file at position 4)" : ", " + newest + ",")
                    + " can be resumed mid-file");
        }
        long archived = archivedEnd(name);
        // Resuming at the start of the last archived transaction: the master sends it again and it is compared
        // byte for byte (the mirror's identity check), then appending goes on at the archive's end.
        boolean recheck = position < archived && position == lastTxnStart && name.equals(lastTxnFile);
        if (position != archived && !recheck) {
            throw new ArchiveException("cannot resume " + at + ": the archive holds " + name + " up to " + archived
                    + " (the end of its last complete transaction); resume there"
                    + (lastTxnStart > 0 && name.equals(lastTxnFile) ? " or at " + lastTxnStart : ""));
        }
        if (!name.equals(file) || channel == null) {
            finishCurrentFile();
            file = name;
            channel = layer.open(dir.resolve(name), StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        newFile = false;
        verifyLimit = recheck ? archived : -1;
        verifyingSealed = false;
        startPosition = position;
        end = boundary = position;
        buffer.reset(position);
        state = WriterState.AWAIT_FDE;
    }

    /**
     * How far the archive holds {@code name}: the writer's last boundary while it has the file (complete
     * transactions may still wait for their sync), else what was committed (readers may see less: a held ROTATE).
     */
    private long archivedEnd(String name) {
        long committed = inventory.committedEnd(name);
        return name.equals(file) && channel != null ? Math.max(boundary, committed) : committed;
    }

    private void startVerifying(String name, String newest) throws IOException {
        finishCurrentFile();
        boolean isNewest = name.equals(newest);
        channel = isNewest
                ? layer.open(dir.resolve(name), StandardOpenOption.READ, StandardOpenOption.WRITE)
                : layer.open(dir.resolve(name), StandardOpenOption.READ);
        file = name;
        newFile = false;
        startPosition = BinlogPosition.FIRST_EVENT_OFFSET;
        end = boundary = startPosition;
        buffer.reset(startPosition);
        verifyLimit = inventory.committedEnd(name);
        verifyingSealed = !isNewest;
        state = WriterState.AWAIT_FDE;
    }

    /**
     * The FORMAT_DESCRIPTION that follows the fake ROTATE. For a new file it is written after the magic and the file
     * is made durable (file, then directory) before anything else goes in. When the dump resumes mid-file the
     * master sends it with log_pos 0 and it is not written (the file has its FDE): it must describe the same file.
     *
     * <p>A dump sends the FDE of the master's open file with LOG_EVENT_BINLOG_IN_USE_F cleared; the master clears it
     * in its own copy when it closes the file. Should a server send it set, it is cleared here (and the CRC
     * recomputed), so the archive never claims a file is open and equals the master's closed file.
     */
    public synchronized Appended appendFormatDescription(BinlogEvent event)
            throws IOException, EventRejectedException {
        requireUsable();
        if (state != WriterState.AWAIT_FDE) {
            throw new IllegalStateException("FORMAT_DESCRIPTION out of place: " + describeState());
        }
        boolean atStart = startPosition == BinlogPosition.FIRST_EVENT_OFFSET;
        BinlogPosition at = new BinlogPosition(file, startPosition);
        FormatDescription fde = FormatDescriptionRules.check(event, at, archive.identity().orElseThrow().flavor());
        if (!atStart) {
            return resumeWith(at, fde);
        }
        long fdeEnd = BinlogPosition.FIRST_EVENT_OFFSET + event.eventSize();
        if (event.logPos() != fdeEnd) {
            throw new EventRejectedException(at, "FORMAT_DESCRIPTION log_pos " + event.logPos() + " (expected: "
                    + fdeEnd + ", its end offset)");
        }
        byte[] bytes = FormatDescriptionRules.asStored(event, fde, at);
        BinlogEvent stored = BinlogEvent.wrap(bytes);
        if (verifyLimit >= 0) {
            byte[] archived = ArchivedBytes.read(channel, BinlogPosition.FIRST_EVENT_OFFSET,
                    (int) Math.min(bytes.length, Math.max(0, verifyLimit - BinlogPosition.FIRST_EVENT_OFFSET)));
            if (!FormatDescriptionRules.sameAsArchived(archived, bytes)) {
                throw EventRejectedException.differs(at, "FORMAT_DESCRIPTION differs from the one archived in " + file);
            }
        } else {
            checkDisk();
            create(bytes);
        }
        checksum = fde.checksumAlgorithm();
        tracker = new TransactionTracker();
        openStart = -1;
        openGtid = null;
        tracker.accept(stored);
        end = boundary = fdeEnd;
        buffer.reset(fdeEnd);
        state = WriterState.WRITING;
        BinlogPosition after = new BinlogPosition(file, fdeEnd);
        if (verifyLimit >= 0) {
            leaveVerifyingIfDone();
            return new Appended(after, EventRole.CONTROL, false, CompletableFuture.completedFuture(after));
        }
        IndexEntry entry = IndexEntry.of(file, BinlogPosition.FIRST_EVENT_OFFSET, stored, EventRole.CONTROL, checksum);
        return new Appended(after, EventRole.CONTROL, true, submit(List.of(entry), null));
    }

    private Appended resumeWith(BinlogPosition at, FormatDescription sent) throws IOException, EventRejectedException {
        BinlogEvent archivedEvent = ArchivedBytes.readFde(channel);
        FormatDescription archived = FormatDescription.decode(archivedEvent);
        Optional<String> mismatch = FormatDescriptionRules.resumeMismatch(sent, archived, file);
        if (mismatch.isPresent()) {
            throw EventRejectedException.differs(at, mismatch.get());
        }
        checksum = archived.checksumAlgorithm();
        tracker = new TransactionTracker();
        openStart = -1;
        openGtid = null;
        tracker.accept(archivedEvent);
        end = boundary = startPosition;
        buffer.reset(startPosition);
        String rotatedTo = inventory.committedRotatedTo(file);
        if (rotatedTo != null && verifyLimit < 0) {
            closeChannel();
            state = WriterState.ROTATED;
            expectedNext = rotatedTo;
        } else {
            state = WriterState.WRITING;
        }
        return new Appended(at, EventRole.CONTROL, false, CompletableFuture.completedFuture(at));
    }

    /**
     * Checks an event and, unless it is refused, adds it to the file.
     *
     * <p>Heartbeats and artificial events (what a dump sends that no file holds) are accepted and not written.
     *
     * @throws EventRejectedException if the event is corrupt or does not fit; nothing was written
     * @throws IllegalStateException  if the dump's order was not followed (no startFile, FDE missing, event after
     *                                the file's ROTATE)
     */
    public synchronized Appended append(BinlogEvent event) throws IOException, EventRejectedException {
        requireUsable();
        EventType type = event.type(); // once: the checks and the tracker below are given it
        if (type == EventType.HEARTBEAT || type == EventType.HEARTBEAT_V2 || event.hasFlag(EventFlags.ARTIFICIAL)) {
            return new Appended(currentPosition(), EventRole.CONTROL, false, null);
        }
        if (state != WriterState.WRITING) {
            throw new IllegalStateException("cannot append " + type + ": " + describeState());
        }
        boolean verifying = verifyLimit >= 0;
        int size = event.eventSize();
        long eventEnd = end + size;
        if (!verifying && verifyingSealed) {
            throw EventRejectedException.differs(at(), file + " is a finished file of the archive (a newer file"
                    + " exists), but the master's copy goes on");
        }
        if (!verifying && end == boundary) {
            checkDisk(); // refused before anything changed, like a refused event
        }
        // Checked (GTID body decoded) before the tracker sees the event: a refused event changes nothing.
        EventChecks.Checked checked = EventChecks.check(event, type, file, end, checksum);
        String rotateTo = checked.rotateTo();
        if (verifying) {
            byte[] archived = ArchivedBytes.read(channel, end, (int) Math.min(size, verifyLimit - end));
            if (!Arrays.equals(archived, event.toByteArray())) {
                throw EventRejectedException.differs(at(), type + " differs from the bytes archived in " + file
                        + " at " + end + (eventEnd > verifyLimit ? " (the archived file ends at " + verifyLimit + ")"
                        : ""));
            }
        }
        EventRole role;
        try {
            // The tracker changes nothing when it refuses an event, so a refused event leaves the open
            // transaction as it was.
            role = tracker.accept(event, type);
        } catch (MalformedEventException e) {
            throw new EventRejectedException(at(), e.getMessage());
        }
        if (!verifying && role == EventRole.END && openStart < 0) {
            // cannot be: the tracker saw the start, and verifying ends only at a transaction's end
            throw new IllegalStateException("the end of a transaction whose start was not appended, at " + at());
        }
        if (!verifying) {
            write(event);
            unreported += size;
            // The journal keeps transactions, not events (IndexEntry): a transaction's first event waits for
            // its last one, the events between add nothing.
            if (role == EventRole.START) {
                openStart = end;
                openLength = size;
                openTypeCode = event.typeCode();
                openTimestamp = event.timestamp();
                openGtid = checked.gtid();
            } else if (role == EventRole.END) {
                pending.add(IndexEntry.of(file, openStart, openLength, openTypeCode, openTimestamp, EventRole.START,
                        openGtid, eventEnd));
                openStart = -1;
                openGtid = null;
            } else if (role != EventRole.INSIDE) {
                pending.add(IndexEntry.of(file, end, event, role, checked.gtid()));
            }
        }
        end = eventEnd;
        if (!role.isBoundaryAfter()) {
            return new Appended(file, end, role, !verifying, null);
        }
        if (role == EventRole.END || role == EventRole.COMPLETE) {
            lastTxnStart = boundary; // where this transaction began
            lastTxnFile = file;
        }
        boundary = end;
        CompletableFuture<BinlogPosition> durable;
        String endFile = file;
        if (verifying) {
            leaveVerifyingIfDone();
            durable = CompletableFuture.completedFuture(new BinlogPosition(file, end));
        } else if (holding) {
            // one write and one commit for the whole hold, not one per transaction: see holdCommits, defer
            durable = commits.defer(channel, file, end, pending, rotateTo);
            pending.clear();
            if (rotateTo == null) {
                return new Appended(endFile, eventEnd, role, true, durable, true);
            }
        } else {
            flush();
            durable = submit(takePending(), rotateTo);
        }
        if (rotateTo != null) {
            closeAfterRotate(rotateTo);
        }
        return new Appended(endFile, eventEnd, role, !verifying, durable);
    }

    /**
     * The disk guard's check before a transaction or a new file, with the bytes written since the last check: a new
     * file's check counts the previous file's last transaction too.
     */
    private void checkDisk() throws DiskFullException {
        DiskGuard.Allowance a = diskAllowance;
        // Within the guard's last allowance its check would do nothing: skipped (a lock and a clock read per
        // transaction otherwise). The bytes stay unreported until the next real check, which counts them all.
        if (a == DiskGuard.Allowance.UNLIMITED || unreported <= a.bytes()
                && a.measurements() == disk.measurements() && System.nanoTime() - a.until() < 0) {
            return;
        }
        long wrote = unreported;
        unreported = 0;
        diskAllowance = DiskGuard.Allowance.NONE; // refused below: the next transaction checks again
        disk.beforeTransaction(wrote);
        diskAllowance = disk.allowance();
    }

    /**
     * The journal entries of the transaction just completed, as its commit's immutable list, and none pending.
     * Nearly always one entry: List.of(e) is one small object, where List.copyOf copied the list through an array.
     */
    private List<IndexEntry> takePending() {
        List<IndexEntry> entries = pending.size() == 1 ? List.of(pending.get(0)) : List.copyOf(pending);
        pending.clear();
        return entries;
    }

    /**
     * Makes every complete transaction appended so far stored as {@link Durability} says, now, on the calling
     * thread: in {@code FSYNC} one fdatasync of the open file (files closed by a ROTATE were synced before they
     * closed), in {@code WRITE} nothing (a transaction's end flushes it to the file). When this returns, a semi-sync
     * ack for any of them may go out without waiting for the commit thread; their index entries and visibility to
     * readers still come from the commit thread's round (which skips the sync this one covered).
     *
     * @throws IOException if the sync failed; the archive then acknowledges nothing more, as after a failed round
     */
    public synchronized void syncNow() throws IOException {
        requireUsable();
        writeDeferred();
        if (!buffer.dirty() || channel == null) {
            return;
        }
        commit.syncInline(channel, buffer.start());
        buffer.synced();
    }

    /**
     * From now until {@link #releaseCommits()}, complete transactions stay in the write buffer (written when it
     * fills) and their commits wait without waking the commit thread. For the upstream session, which holds commits
     * while it handles one read from the master: one write and one round per read instead of one per transaction,
     * and, after {@link #syncNow()} and its semi-sync acks, the commit thread's indexing never competes with an
     * ack for a CPU. Anything that needs the transactions in the file (syncNow, a rotation, a cut, close) writes
     * them first.
     */
    public synchronized void holdCommits() {
        holding = true;
    }

    /**
     * Ends {@link #holdCommits()}: what was queued is committed on this thread if that needs no fsync (durability
     * WRITE, or {@link #syncNow()} covered it), so readers see it without a hand-over; else by the commit thread.
     */
    public synchronized void releaseCommits() throws IOException {
        try {
            // Queued while still holding, so without waking the commit thread: commitNow below runs the round here
            // or wakes the thread once. Woken per commit, the thread took rounds of a few commits each, competing
            // with this one for the lock and a CPU (a quarter of small-event appends went to futex wake-ups).
            writeDeferred();
        } finally {
            holding = false;
        }
        commit.commitNow();
    }

    /**
     * After a disconnect: cuts the file back to the end of the last complete transaction appended (a partial
     * transaction is never kept or served) and syncs the cut. Complete transactions still waiting for their sync
     * are kept and still acknowledged. The next call must be {@link #startFile} at {@link BinlogArchive#resumePosition()}.
     */
    public synchronized void discardPartialTransaction() throws IOException {
        holding = false;
        requireUsable();
        writeDeferred();
        commit.wake();
        if (state == WriterState.WRITING) {
            cutToBoundary();
        }
        if (state == WriterState.WRITING || state == WriterState.AWAIT_FDE) {
            // Back to what the archive itself says: after a file closed by its ROTATE, only that next file fits.
            String newest = inventory.lastFile();
            String rotatedTo = newest == null ? null : inventory.committedRotatedTo(newest);
            if (rotatedTo != null) {
                finishCurrentFile();
                file = newest;
                state = WriterState.ROTATED;
            } else {
                state = WriterState.IDLE;
            }
            expectedNext = rotatedTo;
        }
    }

    private void cutToBoundary() throws IOException {
        writeDeferred(); // complete transactions stay; the partial tail, if written, is truncated below
        buffer.reset(boundary);
        if (channel != null && verifyLimit < 0 && channel.size() > boundary) {
            // Only a transaction larger than the buffer reaches the file before its end.
            channel.truncate(boundary);
            channel.force(true);
        }
        end = boundary;
        pending.clear();
        openStart = -1;
        openGtid = null;
        tracker.reset();
    }

    /** Where the archive ends for the upstream: after the last complete transaction appended. */
    synchronized Optional<BinlogPosition> resumePosition() {
        String awaited = awaitedFirstFile();
        if (awaited != null) {
            return Optional.of(BinlogPosition.startOf(awaited));
        }
        if (state == WriterState.ROTATED) {
            return Optional.of(BinlogPosition.startOf(expectedNext));
        }
        String newest = inventory.lastFile();
        if (newest == null) {
            return Optional.empty();
        }
        return Optional.of(new BinlogPosition(newest, archivedEnd(newest)));
    }

    /** See {@link BinlogArchive#recheckPosition()}. */
    synchronized Optional<BinlogPosition> recheckPosition() throws IOException {
        if (awaitedFirstFile() != null || state == WriterState.ROTATED || state == WriterState.FAILED) {
            return Optional.empty();
        }
        String newest = inventory.lastFile();
        if (newest == null || inventory.committedRotatedTo(newest) != null) {
            return Optional.empty();
        }
        long archived = archivedEnd(newest);
        if (!newest.equals(lastTxnFile) || lastTxnStart < 0 || lastTxnStart >= archived) {
            lastTxnFile = newest; // not seen since open: read from the file, once
            lastTxnStart = ArchivedBytes.lastTransactionStart(dir, newest, archived);
        }
        return lastTxnStart > BinlogPosition.FIRST_EVENT_OFFSET
                ? Optional.of(new BinlogPosition(newest, lastTxnStart)) : Optional.empty();
    }

    // ---- epochs (masters): see Adoption ----

    /** See {@link Epochs#awaitedFirstFile}. */
    private String awaitedFirstFile() {
        return archive.history().awaitedFirstFile(inventory.lastFile()).orElse(null);
    }

    private void checkEpoch(BinlogPosition at) throws ArchiveException {
        Optional<String> refused = archive.history().refusedStart(at, inventory.lastFile());
        if (refused.isPresent()) {
            throw new ArchiveException("cannot start " + at + ": " + refused.get());
        }
    }

    /** For an adopt: waits until everything appended is committed (synced, indexed, published or held). */
    synchronized void awaitCommitted() throws IOException {
        requireUsable();
        holding = false;
        awaitLastCommit();
    }

    /**
     * For an adopt: drops a partial transaction as {@link #discardPartialTransaction()} does, releases the file and
     * goes idle. Afterwards the current epoch decides what the writer accepts ({@link #awaitedFirstFile()}).
     */
    synchronized void stopForAdopt() throws IOException {
        requireUsable();
        if (state == WriterState.WRITING && end != boundary) {
            cutToBoundary();
        }
        finishCurrentFile();
        state = WriterState.IDLE;
        file = null;
        expectedNext = null;
    }

    /** An adopt failed after it may have changed the disk: nothing is written until the archive is reopened. */
    synchronized IOException failAdopt(IOException e) {
        state = WriterState.FAILED;
        failure = new IOException("adopting a new master failed; reopen the archive (recovery finishes or"
                + " leaves out the adopt, whichever archive.properties records)", e);
        return failure;
    }

    /** Flushes what is complete, drops a partial transaction, waits for pending commits, releases the file. */
    synchronized void close() throws IOException {
        if (state == WriterState.FAILED) {
            closeChannel();
            return;
        }
        if (state == WriterState.WRITING && end != boundary) {
            cutToBoundary();
        }
        finishCurrentFile();
    }

    // ---- internals ----

    private void create(byte[] fdeBytes) throws IOException {
        FileChannel ch;
        try {
            ch = ArchivedBytes.create(layer, dir, file, fdeBytes);
        } catch (IOException e) {
            throw DiskFullException.isNoSpace(e) ? new DiskFullException(dir, disk.freeBytes(), disk.minFree(), e) : e;
        }
        channel = ch;
        // Not listed yet: readers see the file with its head, in the round that publishes it (see Inventory).
        inventory.created(file, BinlogPosition.FIRST_EVENT_OFFSET + fdeBytes.length);
        newFile = false;
    }

    /** @param rotatedTo for a file's ROTATE, the file it names (the commit thread holds it from readers) */
    private CompletableFuture<BinlogPosition> submit(List<IndexEntry> entries, String rotatedTo) throws IOException {
        writeDeferred(); // commits go to the thread in order
        return commits.submit(new GroupCommit.Commit(channel, file, end, entries, new CompletableFuture<>(),
                rotatedTo), !holding);
    }

    /** Writes the buffer (a partial transaction's tail included: a cut truncates it) and submits held commits. */
    private void writeDeferred() throws IOException {
        if (!commits.hasDeferred()) {
            return;
        }
        flush();
        commits.submitDeferred(!holding);
    }

    private void closeAfterRotate(String next) throws IOException {
        // The commit thread syncs this channel for the commits already queued: wait for them before closing it.
        awaitLastCommit();
        syncFinished();
        closeChannel();
        verifyLimit = -1;
        verifyingSealed = false;
        // The commit thread recorded the ROTATE (held from readers until the next file's head is published).
        expectedNext = next;
        state = WriterState.ROTATED;
    }

    private void finishCurrentFile() throws IOException {
        boolean readOnly = verifyingSealed; // a sealed file re-read by a recheck: opened read-only, written before
        verifyLimit = -1;
        verifyingSealed = false;
        if (channel == null) {
            return;
        }
        awaitLastCommit();
        if (!readOnly) {
            syncFinished();
        }
        closeChannel();
    }

    /**
     * Write mode syncs nothing per transaction, but a file it leaves is synced once, before the next file exists:
     * so a power loss can tear only the newest file, which recovery scans, never a file behind it that readers
     * would serve torn (found by the crash images, docs/architecture.md). In fsync mode the last commit synced it.
     */
    private void syncFinished() throws IOException {
        if (archive.durability() != Durability.WRITE) {
            return;
        }
        try {
            channel.force(false);
        } catch (IOException e) {
            throw fail(e);
        }
    }

    private void awaitLastCommit() throws IOException {
        writeDeferred();
        commits.awaitLast();
    }

    private void closeChannel() throws IOException {
        if (channel != null) {
            FileChannel ch = channel;
            channel = null;
            buffer.synced(); // every close follows the commit that synced what was written
            ch.close();
        }
    }

    private void leaveVerifyingIfDone() {
        if (end >= verifyLimit) {
            verifyLimit = -1;
            buffer.reset(end);
        }
    }

    private void write(BinlogEvent event) throws IOException {
        try {
            buffer.add(channel, event);
        } catch (IOException e) {
            throw fail(e);
        }
        writeBackEvery();
    }

    private void flush() throws IOException {
        try {
            buffer.flush(channel);
        } catch (IOException e) {
            throw fail(e);
        }
        writeBackEvery();
    }

    /** Every {@link #WRITE_BACK_BYTES} written to a file: see {@link GroupCommit#writeBackInBackground}. */
    private void writeBackEvery() {
        long written = buffer.start();
        if (channel != writeBackChannel) {
            writeBackChannel = channel;
            writeBackFrom = written;
        } else if (written - writeBackFrom >= WRITE_BACK_BYTES) {
            writeBackFrom = written;
            commit.writeBackInBackground(channel);
        }
    }

    private IOException fail(IOException e) {
        if (DiskFullException.isNoSpace(e)) {
            try {
                return cutAfterNoSpace(e);
            } catch (IOException again) {
                e.addSuppressed(again); // the cut failed too: only a reopen (recovery) can say what is there
            }
        }
        state = WriterState.FAILED;
        failure = new IOException("writing " + file + " failed at " + buffer.start()
                + "; the writer is unusable, reopen the archive (recovery cuts any torn event)", e);
        commits.failDeferred(failure);
        return failure;
    }

    /**
     * A write found the file system full: nothing is lost, since only complete transactions handed to the commit
     * thread can be acknowledged, and those were written whole before. The ones still held (not yet written
     * whole) fail, the file is cut back to the last committed transaction (a truncate frees space, it needs none)
     * and the writer goes idle, to resume at {@link #resumePosition()} once there is room.
     */
    private DiskFullException cutAfterNoSpace(IOException e) throws IOException {
        DiskFullException full = new DiskFullException(dir, disk.freeBytes(), disk.minFree(), e);
        commits.failDeferred(full);
        holding = false;
        commits.awaitLast();
        long keep = file == null ? -1 : inventory.committedEnd(file);
        boundary = keep >= BinlogPosition.FIRST_EVENT_OFFSET ? keep : boundary;
        verifyLimit = -1;
        cutToBoundary();
        state = WriterState.WRITING; // settled by discardPartialTransaction, as after any disconnect
        discardPartialTransaction();
        return full;
    }

    private void requireUsable() throws IOException {
        if (state == WriterState.FAILED) {
            throw failure;
        }
        IOException syncFailure = commit.failure();
        if (syncFailure != null) {
            throw syncFailure;
        }
    }

    /** Where the next event starts, for the message of a refused one (built only then). */
    private BinlogPosition at() {
        return new BinlogPosition(file, end);
    }

    private BinlogPosition currentPosition() {
        String awaited = awaitedFirstFile();
        if (awaited != null) {
            return BinlogPosition.startOf(awaited);
        }
        if (state == WriterState.ROTATED) {
            return BinlogPosition.startOf(expectedNext);
        }
        if (file != null && end >= BinlogPosition.FIRST_EVENT_OFFSET) {
            return new BinlogPosition(file, end);
        }
        return file != null ? BinlogPosition.startOf(file) : null;
    }

    private String describeState() {
        return state.describe(file, end, expectedNext, failure, awaitedFirstFile());
    }

    // ---- for tests ----

    synchronized long bufferedBytes() {
        return buffer.buffered();
    }
}
