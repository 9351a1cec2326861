package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MySqlGtid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The store of record for the binlog files a proxy mirrors from its master: a directory holding those files under
 * the master's names, byte-identical to the master's copies (point {@code mysqlbinlog} at it), plus
 * {@code archive.properties} (which masters), {@code archive.lock}, and {@code index/} (a Chronicle Queue event
 * index, rebuilt from the files whenever it disagrees with them).
 *
 * <p>The archive follows a history of masters ({@link #epochs()}): the one it was created for, then each master
 * adopted at a failover ({@link #adopt}), which continues the binlog numbering from a file above the archive's
 * last. Every file belongs to one epoch ({@link #epochOf}); a replica reads across the boundary as if one master
 * had written everything, as it does after a master's crash and restart.
 *
 * <p>{@link #open} recovers first: it validates the newest file, cuts a torn tail or an unfinished transaction,
 * refuses to open on corruption with valid data after it, and checks the index against the files. A transaction
 * whose durable future completed in {@link Durability#FSYNC} mode survives kill -9 and power loss.
 *
 * <p>Only complete transactions are ever visible: readers ({@link #openReader}) stop at the end of the last
 * transaction that was committed (synced, in FSYNC mode), and the lookups return only such positions.
 *
 * <p>One process per directory (an OS file lock enforces it). Thread-safe.
 */
public final class BinlogArchive implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BinlogArchive.class);
    static final String LOCK_FILE = "archive.lock";

    private final Path dir;
    private final Durability durability;
    /** Every change to the files goes through it: {@link FileLayer#DIRECT}, or a test's recorder. */
    private final FileLayer layer;
    private final FileChannel lockChannel;
    private final Inventory inventory;
    private final IndexJournal index;
    private final GroupCommit commit;
    private final ArchiveWriter writer;
    private final Recovery.Result recovery;
    private final Adoption adoption;
    private final DiskGuard disk;
    /** The masters, as archive.properties records them; replaced whole (checkIdentity, adopt). */
    private volatile Epochs history;
    private boolean closed;
    /** Object storage holding verified copies of closed files ({@link #attachTier}); null without tiering. */
    private volatile Tier tier;
    private volatile Path cacheDir;
    /** One fetch-back at a time: two dumps asking for the same old file must not fetch it twice. */
    private final Object fetchLock = new Object();
    /**
     * How long a copy fetched back stays listed even with no reader in it: the dump that asked for it enters it
     * only after the fetch (and a GTID start may fetch several before it picks one).
     */
    private volatile long fetchHoldNanos;

    private BinlogArchive(Path dir, Durability durability, FileLayer layer, FileChannel lockChannel, Epochs history,
                          Inventory inventory, IndexJournal index, Recovery.Result recovery, long minFreeSpace) {
        this.dir = dir;
        this.durability = durability;
        this.layer = layer;
        this.lockChannel = lockChannel;
        this.history = history;
        this.inventory = inventory;
        this.index = index;
        this.recovery = recovery;
        this.commit = new GroupCommit(durability, inventory, index, "archive-commit-" + dir.getFileName());
        this.disk = new DiskGuard(dir, minFreeSpace);
        this.writer = new ArchiveWriter(this, dir, layer, inventory, commit, disk);
        this.adoption = new Adoption(layer, dir, inventory, writer, index);
    }

    /** Opens (creating it if needed) the archive in {@code dir} with {@link Durability#FSYNC}. */
    public static BinlogArchive open(Path dir) throws IOException, ArchiveException {
        return open(dir, Durability.FSYNC);
    }

    /**
     * Opens (creating it if needed) the archive in {@code dir}, recovering from whatever ended the last run.
     *
     * @throws ArchiveDamagedException if the newest file's FORMAT_DESCRIPTION does not read
     * @throws ArchiveException        if another process has the archive open, or an interrupted adopt cannot be
     *                                 finished without removing data (the message says which file)
     */
    public static BinlogArchive open(Path dir, Durability durability) throws IOException, ArchiveException {
        return open(dir, durability, 0);
    }

    /**
     * As {@link #open(Path, Durability)}, keeping {@code minFreeSpace} bytes free on the archive's file systems:
     * below that the writer refuses new transactions ({@link DiskFullException}) until there is room again.
     * 0 keeps no reserve (a full disk is still handled: the write fails, the file is cut back, nothing is lost).
     */
    public static BinlogArchive open(Path dir, Durability durability, long minFreeSpace)
            throws IOException, ArchiveException {
        return open(dir, durability, minFreeSpace, FileLayer.DIRECT);
    }

    /**
     * As {@link #open(Path, Durability, long)}, with every change to the files (recovery's included) made through
     * {@code layer}: for tests that record what the archive does to its disk (crash images).
     */
    static BinlogArchive open(Path dir, Durability durability, long minFreeSpace, FileLayer layer)
            throws IOException, ArchiveException {
        Path abs = dir.toAbsolutePath();
        Files.createDirectories(abs);
        FileChannel lockChannel = FileChannel.open(abs.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        IndexJournal index = null;
        try {
            FileLock lock;
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new ArchiveException("archive " + abs + " is open in another process (or twice in this one)");
            }
            Epochs epochs = EpochsFile.read(abs);
            Recovery.Result recovery = Recovery.run(layer, abs, epochs);
            Inventory inventory = new Inventory(abs, layer);
            for (Recovery.Recovered f : recovery.files()) {
                if (f.rotatedTo() != null) {
                    inventory.loadHeldRotate(f.name(), f.rotateAt(), f.end(), f.rotatedTo());
                } else {
                    inventory.load(f.name(), f.end());
                }
            }
            if (recovery.unlisted() != null) {
                inventory.loadUnlisted(recovery.unlisted().name(), recovery.unlisted().end());
            }
            index = IndexJournal.open(abs, inventory.committedViews(), epochs);
            return new BinlogArchive(abs, durability, layer, lockChannel, epochs, inventory, index, recovery,
                    minFreeSpace);
        } catch (IOException | ArchiveException | RuntimeException e) {
            if (index != null) {
                index.close();
            }
            lockChannel.close();
            throw e;
        }
    }

    public Path directory() {
        return dir;
    }

    public Durability durability() {
        return durability;
    }

    /** The master this archive mirrors now (the current epoch's), once recorded. */
    public Optional<UpstreamIdentity> identity() {
        return history.current().map(MasterEpoch::master);
    }

    /** The masters this archive followed, oldest first; the last is the current one. Empty until the first. */
    public List<MasterEpoch> epochs() {
        return history.list();
    }

    /**
     * The epoch whose master wrote {@code file} (e.g. for the server_id of a dump's fake events in that file): the
     * newest epoch whose first file is at or before it. Empty if no master is recorded or the name is not one of
     * the archive's files ({@code basename.NNNNNN}); the file itself need not exist.
     */
    public Optional<MasterEpoch> epochOf(String file) {
        return history.ownerOf(file);
    }

    /**
     * Records the upstream on first use (epoch 1), afterwards refuses any but the current epoch's master: call it
     * after every handshake, before writing. Another master is followed only through {@link #adopt}.
     *
     * @throws UpstreamMismatchException if the archive mirrors another master, or holds files of another basename
     */
    public synchronized void checkIdentity(UpstreamIdentity upstream) throws IOException, UpstreamMismatchException {
        Optional<UpstreamIdentity> current = identity();
        if (current.isPresent()) {
            Optional<String> why = upstream.differenceFrom(current.get());
            if (why.isPresent()) {
                throw new UpstreamMismatchException("upstream " + upstream + " is not the master archived in " + dir
                        + ": " + why.get() + ". Use a fresh archive directory for another master, or adopt it as"
                        + " the next one after a failover.");
            }
            return;
        }
        for (ArchivedFile f : inventory.list()) {
            if (!BinlogPosition.startOf(f.name()).basename().equals(upstream.basename())) {
                throw new UpstreamMismatchException("upstream " + upstream + " does not fit archive " + dir
                        + ": it holds " + f.name());
            }
        }
        Epochs first = Epochs.first(upstream);
        EpochsFile.write(layer, dir, first);
        history = first;
    }

    /**
     * Makes {@code next} the archive's master from {@code firstFile} on: the next epoch. For a failover, with the
     * mirror stopped (the writer idle, its partial transaction discarded; one still open is discarded here), after
     * the new master ran FLUSH BINARY LOGS until its current file is above the archive's last and before it takes
     * writes. The archive's newest file is cut back to the end of its last complete transaction, a ROTATE to a
     * file that never came and a file the dead master had only begun are removed, and the new epoch is recorded
     * durably; then the writer takes only {@code startFile(firstFile, 4)}, which {@link #resumePosition()} says.
     * Crash-safe: after a kill at any point the archive reopens either without the adopt or with all of it (see
     * {@code Adoption}). Adopting the current epoch's master at its first file again returns that epoch unchanged,
     * so a failover resumed after a crash can repeat the call. Adopt before the mirror connects to the new master:
     * until then {@link #checkIdentity} refuses it, and afterwards it refuses the old one.
     *
     * @param next      the new master (a promoted replica): the archive's flavor and binlog basename
     * @param firstFile its current binlog file, strictly above the archive's last file, above the file a ROTATE
     *                  at the archive's end names, and above the current epoch's first file
     * @return the new epoch, whose handover says where the old master's data ended and its last GTID
     * @throws AdoptRefusedException if the master or the file does not fit; nothing was changed
     * @throws IOException           on an I/O error; if it came after the record was written, the writer refuses
     *                               everything until the archive is reopened, which finishes the adopt
     */
    public MasterEpoch adopt(UpstreamIdentity next, String firstFile) throws IOException, AdoptRefusedException {
        return adopt(next, firstFile, Adoption.StepListener.NONE);
    }

    synchronized MasterEpoch adopt(UpstreamIdentity next, String firstFile, Adoption.StepListener steps)
            throws IOException, AdoptRefusedException {
        requireOpen();
        return adoption.run(history, next, firstFile, recorded -> history = recorded, steps);
    }

    /** The masters as recorded now, for the writer. */
    /**
     * Rolls back an adopt: forgets the newest epoch, which must be {@code number} and must own no file yet (the new
     * master's first file was never created), and lets the writer resume the previous master's last file where
     * the adopt cut it. For a failover that fails after its adopt (the candidate died before the mirror streamed
     * from it): the archive follows the old master again, as if the adopt had not happened. Crash-safe:
     * {@code archive.properties} is replaced atomically, so a reopen sees the history with or without the epoch,
     * both consistent (the cut and a removed held ROTATE only took back what no reader had seen).
     *
     * @return false when epoch {@code number} was never recorded (an adopt that failed before its record): nothing
     *         to abandon, which makes this safe to repeat, as a rollback after a crash must be
     * @throws ArchiveException if {@code number} is not the newest epoch, is epoch 1, or already owns a file
     */
    public synchronized boolean abandonEpoch(int number) throws IOException, ArchiveException {
        requireOpen();
        synchronized (writer) {
            writer.awaitCommitted();
            MasterEpoch current = history.current().orElseThrow(() -> new ArchiveException("abandon of epoch "
                    + number + " refused: the archive has no master"));
            if (number > current.number()) {
                return false;
            }
            if (current.number() != number || number < 2) {
                throw new ArchiveException("abandon of epoch " + number + " refused: the newest epoch is "
                        + current.number() + (current.number() < 2 ? " (epoch 1 is the archive's first master)" : ""));
            }
            String first = current.firstFile().orElseThrow();
            if (newestEpochHoldsAFile() || Files.exists(dir.resolve(first))) {
                throw new ArchiveException("abandon of epoch " + number + " refused: it already holds " + first
                        + " (its master wrote to the archive)");
            }
            Epochs before = history.withoutLast();
            EpochsFile.write(layer, dir, before);
            history = before;
            current.handover().ifPresent(h -> inventory.reopenEpoch(h.previousEnd().file()));
            LOG.warn("archive {}: abandoned {}; following {} again", dir, current,
                    before.current().map(MasterEpoch::master).map(Object::toString).orElse("?"));
            return true;
        }
    }

    /**
     * Whether the newest epoch (a master adopted at a failover) already holds a file: its master wrote to the
     * archive, so the adopt can no longer be abandoned.
     */
    public boolean newestEpochHoldsAFile() {
        MasterEpoch current = history.current().orElse(null);
        if (current == null || current.number() < 2) {
            return false;
        }
        String last = inventory.lastFile();
        return last != null && BinlogPosition.compareFiles(last, current.firstFile().orElseThrow()) >= 0;
    }

    Epochs history() {
        return history;
    }

    /** The archive's one writer, for the upstream session. */
    public ArchiveWriter writer() {
        return writer;
    }

    /**
     * Where the upstream dump must resume: after the last complete transaction archived (the start of the next
     * file if the newest ends with its ROTATE). Empty for an empty archive.
     */
    public Optional<BinlogPosition> resumePosition() {
        return writer.resumePosition();
    }

    /**
     * Where a resuming dump should start so that the master proves it is the one whose history the archive holds:
     * the start of the last complete transaction archived. The master sends that transaction again and the writer
     * compares it byte for byte (CRC checked first) before it appends anything new; a difference is refused
     * ({@link EventRejectedException}) with nothing written. Empty when there is nothing of the current master to
     * compare ({@link #resumePosition()} is then where to start): an empty archive, an adopted master whose first
     * file has not come yet, a newest file with no transaction past its head, or one that ended with its ROTATE.
     */
    public Optional<BinlogPosition> recheckPosition() throws IOException {
        return writer.recheckPosition();
    }

    /** Bytes free on the archive's file systems (the least of the files' and the index's), as last measured. */
    public long freeBytes() {
        return disk.freeBytes();
    }

    /** The reserve of free space below which appends stop ({@code archive.minFreeSpace}); 0 for none. */
    public long minFreeSpace() {
        return disk.minFree();
    }

    /** Measures now whether the reserve is free again, so the upstream may resume after a {@link DiskFullException}. */
    public boolean hasRoomToAppend() {
        return disk.hasRoom();
    }

    /** The archived files, oldest first, with their readable sizes. */
    public List<ArchivedFile> files() {
        return inventory.list();
    }

    /**
     * A reader positioned at {@code from}, which must be the start of an event (4, or the end of an event) within
     * the readable part of an archived file.
     */
    public ArchiveReader openReader(BinlogPosition from) throws IOException, ArchiveException {
        requireOpen();
        return ArchiveReader.open(dir, inventory, from);
    }

    /** Where the transaction with this GTID starts (its GTID event), if a readable file holds it. */
    public Optional<BinlogPosition> findTransaction(MySqlGtid gtid) throws IOException {
        return find(s -> s.mayHold(gtid), e -> gtid.equals(e.mysqlGtid()));
    }

    /** Where the transaction with this MariaDB GTID starts (its GTID event), if a readable file holds it. */
    public Optional<BinlogPosition> findTransaction(MariaGtid gtid) throws IOException {
        return find(s -> s.mayHold(gtid), e -> gtid.equals(e.mariaGtid()));
    }

    /**
     * Whether a readable file holds a MariaDB GTID of this replication domain (a dump with a connect state ignores
     * the domains its master never logged). Uses the index; without a hit it reads all of it.
     */
    public boolean holdsMariaDomain(long domainId) throws IOException {
        return find(s -> true, e -> e.mariaGtid() != null && e.mariaGtid().domainId() == domainId).isPresent();
    }

    /**
     * Where the first transaction (in log order) whose first event is timestamped at or after {@code time} starts.
     * Event timestamps have whole seconds; a time with a fraction rounds up.
     */
    public Optional<BinlogPosition> findFirstTransactionAt(Instant time) throws IOException {
        long seconds = time.getEpochSecond() + (time.getNano() > 0 ? 1 : 0);
        return find(s -> s.maxStartTimestamp >= seconds, e -> e.startsTransaction() && e.timestamp() >= seconds);
    }

    private Optional<BinlogPosition> find(Predicate<IndexCatalog.FileStats> mayHold, Predicate<IndexEntry> match)
            throws IOException {
        requireOpen();
        List<Inventory.FileView> files = new ArrayList<>(inventory.views());
        // Copies fetched back from the tier are the oldest files and not in the index (it forgot them when their
        // local copies were purged): scanned first, then the rest as usual.
        List<Inventory.FileView> fetched = new ArrayList<>();
        while (!files.isEmpty() && inventory.isFetched(files.get(0).name())) {
            fetched.add(files.remove(0));
        }
        Optional<BinlogPosition> inFetched = scan(fetched, match);
        if (inFetched.isPresent()) {
            return inFetched;
        }
        if (index.available()) {
            try {
                return index.find(files, mayHold, match).map(e -> new BinlogPosition(e.file(), e.offset()));
            } catch (Exception | InternalError e) { // Chronicle may throw checked exceptions undeclared
                LOG.warn("index journal lookup failed, scanning the files instead", e);
            }
        }
        return scan(files, match);
    }

    private Optional<BinlogPosition> scan(List<Inventory.FileView> files, Predicate<IndexEntry> match)
            throws IOException {
        for (Inventory.FileView f : files) {
            IndexEntry[] found = new IndexEntry[1];
            try {
                FileScan.entriesAt(inventory.path(f.name()), f.name(), 0, f.visibleEnd(), e -> {
                    if (match.test(e)) {
                        found[0] = e;
                        return false;
                    }
                    return true;
                });
            } catch (NoSuchFileException purged) {
                continue;
            }
            if (found[0] != null) {
                return Optional.of(new BinlogPosition(found[0].file(), found[0].offset()));
            }
        }
        return Optional.empty();
    }

    /**
     * Deletes old files as the policy allows (oldest first, never the newest, never one a reader is in; with a
     * tier attached, never one whose remote copy is not recorded as verified). Copies fetched back from the tier
     * are removed once no reader is in them and their hold ran out.
     *
     * @return the names deleted
     */
    public List<String> purge(RetentionPolicy policy) throws IOException {
        return purge(policy, Instant.now());
    }

    List<String> purge(RetentionPolicy policy, Instant now) throws IOException {
        requireOpen();
        Tier t = tier;
        // With a tier, a local copy goes only once the durable record says its remote copy is verified: a crash
        // between upload and verification leaves the file here (and it is uploaded again).
        List<String> deleted = inventory.purge(policy, now, t == null ? f -> true : t::holdsVerified);
        deleted.forEach(index::forget);
        if (!deleted.isEmpty()) {
            LOG.info("archive {}: purged {}", dir, deleted);
        }
        return deleted;
    }

    // ---- tiering ----

    /**
     * Attaches object storage holding verified copies of closed files: from now on a purge deletes a local copy
     * only once {@code tier} records it as verified, and {@link #fetchBack} brings files back from it into
     * {@code cacheDir} (emptied now: copies an earlier run fetched are not listed any more), where each stays at
     * least {@code hold} (then until no reader is in it).
     */
    public void attachTier(Tier tier, Path cacheDir, java.time.Duration hold) throws IOException {
        requireOpen();
        Path abs = cacheDir.toAbsolutePath();
        Files.createDirectories(abs);
        try (Stream<Path> leftovers = Files.list(abs)) {
            for (Path p : leftovers.toList()) {
                if (Files.isRegularFile(p)) {
                    Files.delete(p);
                }
            }
        }
        this.cacheDir = abs;
        this.fetchHoldNanos = hold.toNanos();
        this.tier = tier;
    }

    /**
     * The closed files whose bytes are the archive's own (in its directory), oldest first: what may be copied to
     * a tier. Never the newest file (it may still grow), never a copy fetched back.
     */
    public List<ArchivedFile> closedLocalFiles() {
        List<ArchivedFile> out = new ArrayList<>();
        List<Inventory.FileView> views = inventory.views();
        for (int i = 0; i < views.size() - 1; i++) {
            Inventory.FileView v = views.get(i);
            if (v.sealed() && !inventory.isFetched(v.name())) {
                out.add(new ArchivedFile(v.name(), v.visibleEnd()));
            }
        }
        return out;
    }

    /**
     * Makes {@code file} readable again if only the tier has it: fetches it, and every tiered file between it and
     * the oldest listed file, into the cache directory (each checked against its upload record and validated as
     * a whole binlog) and lists them in front, newest first, so the archive is a run of files without holes at
     * every step and a reader crosses from one into the next as usual. Blocks for the downloads: call it where a
     * dump's start may wait, never on an event loop.
     *
     * @return true if {@code file} is listed now; false if neither the archive nor the tier holds it (or the tier
     *         holds it only after the oldest listed file, which cannot happen with uploads in order)
     */
    public boolean fetchBack(String file) throws IOException {
        requireOpen();
        Tier t = tier;
        if (inventory.contains(file)) {
            return true;
        }
        if (t == null) {
            return false;
        }
        synchronized (fetchLock) {
            if (inventory.contains(file)) {
                return true;
            }
            String anchor = anchorOldest();
            try {
                List<String> tiered = t.files();
                if (!tiered.contains(file) || anchor != null && Inventory.FILE_ORDER.compare(file, anchor) > 0) {
                    return false;
                }
                List<String> needed = new ArrayList<>();
                for (String n : tiered) {
                    if (Inventory.FILE_ORDER.compare(n, file) >= 0
                            && (anchor == null || Inventory.FILE_ORDER.compare(n, anchor) < 0)) {
                        needed.add(n);
                    }
                }
                for (int i = needed.size() - 1; i >= 0; i--) {
                    anchor = fetchOne(t, needed.get(i), anchor);
                }
                return true;
            } finally {
                if (anchor != null) {
                    inventory.unregister(anchor);
                }
            }
        }
    }

    /**
     * Registers as a reader in the oldest listed file (null if none), so that no purge removes it, nor anything
     * after it, while files are fetched in front of it: a purge of the oldest between two prepends would leave a
     * hole a reader could never cross.
     */
    private String anchorOldest() throws IOException {
        while (true) {
            requireOpen();
            String oldest = inventory.oldest();
            if (oldest == null || inventory.register(oldest)) {
                return oldest;
            }
            // purged between the look and the registration: the next one is the oldest now
        }
    }

    /**
     * Fetches back the tiered file just before the oldest listed one (for a GTID start that needs older files than
     * the archive lists).
     *
     * @return its name; empty if the tier holds no older file
     */
    public Optional<String> fetchBackPrevious() throws IOException {
        requireOpen();
        Tier t = tier;
        if (t == null) {
            return Optional.empty();
        }
        synchronized (fetchLock) {
            String anchor = anchorOldest();
            try {
                String previous = null;
                for (String n : t.files()) {
                    if (anchor == null || Inventory.FILE_ORDER.compare(n, anchor) < 0) {
                        previous = n;
                    }
                }
                if (previous == null) {
                    return Optional.empty();
                }
                anchor = fetchOne(t, previous, anchor);
                return Optional.of(previous);
            } finally {
                if (anchor != null) {
                    inventory.unregister(anchor);
                }
            }
        }
    }

    /**
     * Fetches {@code name}, lists it in front of {@code anchor} and moves the anchor (a reader registration) to
     * it.
     *
     * @return the new anchor: {@code name}
     */
    private String fetchOne(Tier t, String name, String anchor) throws IOException {
        // The cache shares the archive's file system: a fetch must not take the reserve the mirror's appends need
        // (they would stop for a full disk because a replica asked for old files).
        long size = t.size(name);
        long usable = Files.getFileStore(cacheDir).getUsableSpace();
        if (usable - size < disk.minFree()) {
            throw new IOException("no room to fetch " + name + " (" + size + " bytes) back into " + cacheDir + ": "
                    + usable + " bytes free, archive.minFreeSpace is " + disk.minFree());
        }
        // The cache's files go around the archive's FileLayer on purpose: they are copies, checked when fetched,
        // never the authority, and the cache is emptied at every start (attachTier), so no crash image of them
        // can matter.
        Path part = cacheDir.resolve(name + ".part");
        Path copy = cacheDir.resolve(name);
        long started = System.nanoTime();
        try {
            t.fetch(name, part);
            // the tier checked size and checksum; a closed binlog must also read as one (every CRC, a ROTATE or
            // an epoch's end), or a reader would meet the damage mid-dump
            var s = dev.binlogproxy.binlog.file.BinlogFileSummary.scan(part);
            if (!s.isValid() || s.endsInTransaction()) {
                throw new IOException("the tier's copy of " + name + " is not a whole binlog: "
                        + s.damage().map(Object::toString).orElse("it ends inside a transaction"));
            }
            Files.move(part, copy, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(part);
            // the reader that asked is dropped (its client reconnects and asks again): say why here
            LOG.warn("archive {}: fetching {} back from the tier failed: {}", dir, name, e.toString());
            throw e;
        }
        long fetched = Files.size(copy);
        inventory.prependFetched(name, fetched, copy, fetchHoldNanos);
        if (!inventory.register(name)) {
            throw new IOException("archive " + dir + " closed while " + name + " was fetched back");
        }
        if (anchor != null) {
            inventory.unregister(anchor);
        }
        LOG.info("archive {}: fetched {} back from the tier ({} bytes in {} ms)", dir, name, fetched,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return name;
    }

    /**
     * Where {@code file}'s bytes are: in the archive directory, or in the tier's cache for a copy fetched back. For
     * readers that open the file themselves (a dump's zero-copy regions) while a reader holds it listed.
     */
    public Path pathOf(String file) {
        return inventory.path(file);
    }

    /** Whether {@code file} is listed as a copy fetched back from the tier. */
    public boolean isFetchedBack(String file) {
        return inventory.isFetched(file);
    }

    /** Validates every file and checks the index journal against them. Reads the whole archive. */
    public VerifyReport verify() throws IOException {
        requireOpen();
        return new Verifier(dir, inventory, index, history).run();
    }

    /**
     * Verifies an archive without opening it: no lock taken, nothing recovered or rebuilt, the index journal read
     * only. Safe on an archive a running proxy is writing, and on a stopped one (a torn tail in its newest file,
     * which the next open cuts, is then reported as a note, not as damage). Files are checked as {@link #verify()}
     * checks them, then the index journal entry by entry against the files' events. An index that merely lags
     * the files (entries the commit thread had not appended when a proxy was killed, or is about to append) is a
     * note: the next open catches it up.
     */
    public static VerifyReport verifyInPlace(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath();
        List<String> problems = new ArrayList<>();
        Epochs epochs;
        try {
            epochs = EpochsFile.read(abs);
        } catch (IOException e) {
            epochs = Epochs.NONE;
            problems.add(EpochsFile.NAME + ": " + e.getMessage());
        }
        Epochs known = epochs;
        List<String> names = new ArrayList<>(Recovery.binlogFiles(abs, epochs.basename().orElse(null)));
        // What the next open leaves of an adopt a crash interrupted: the leftover file gone, the old master's last
        // file cut at the recorded end. The Verifier notes both.
        names.removeIf(n -> known.leftoverOf(n).isPresent());
        Optional<BinlogPosition> epochEnd = epochs.current().flatMap(MasterEpoch::handover)
                .map(MasterEpoch.Handover::previousEnd);
        Inventory inventory = new Inventory(abs, FileLayer.DIRECT); // read-only: never purges
        List<String> notes = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            long size = Files.size(abs.resolve(name));
            long end = size;
            if (epochEnd.isPresent() && epochEnd.get().file().equals(name)) {
                end = Math.min(size, epochEnd.get().offset());
            }
            if (i == names.size() - 1) {
                // what a reader could see: complete transactions only
                var s = dev.binlogproxy.binlog.file.BinlogFileSummary.scan(abs.resolve(name));
                end = Math.min(end, s.lastBoundary());
                if (s.lastBoundary() < size) {
                    notes.add(name + ": " + (size - s.lastBoundary()) + " bytes after the last complete transaction at "
                            + s.lastBoundary()
                            + " (being written, or a torn tail the next open cuts)");
                }
            }
            inventory.load(name, end);
        }
        IndexJournal index = IndexJournal.openReadOnly(abs);
        try {
            VerifyReport r = new Verifier(abs, inventory, index, epochs, true).run();
            notes.addAll(r.notes());
            problems.addAll(r.fileProblems());
            return new VerifyReport(r.files(), problems, r.indexEntries(), r.indexProblems(), notes);
        } finally {
            index.close();
        }
    }

    /**
     * Drops a partial transaction, waits until every committed one is durable and published, and releases the
     * directory. Readers are woken and fail from then on.
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            writer.close();
        } finally {
            commit.close();
            inventory.close();
            index.close();
            lockChannel.close();
        }
    }

    /** Whether the archive is open (not closed): what the application's readiness check asks. */
    public boolean isOpen() {
        return !inventory.isClosed();
    }

    private void requireOpen() throws IOException {
        if (inventory.isClosed()) {
            throw new IOException("archive " + dir + " is closed");
        }
    }

    // ---- for tests ----


    GroupCommit commits() {
        return commit;
    }

    IndexJournal index() {
        return index;
    }

    Recovery.Result recovery() {
        return recovery;
    }
}
