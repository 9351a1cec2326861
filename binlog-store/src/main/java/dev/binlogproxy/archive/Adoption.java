package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.position.BinlogPosition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Adopting a new master ({@link BinlogArchive#adopt}): ends the current epoch where the dead master's last complete
 * transaction ends and begins the next at the new master's first file. The mirror is stopped; the writer is held
 * (its lock) for the whole operation, so nothing is appended meanwhile.
 *
 * <p>The steps, each durable before the next begins. A kill -9 between any two reopens to one of two states: the
 * adopt wholly absent (epoch not recorded, at most a partial transaction cut, which recovery does anyway) or
 * wholly there (epoch recorded, the old file cut, the leftover gone: recovery finishes from the record).
 * <ol>
 *   <li>{@link Step#CHECKED}: every commit the writer queued is done, so the inventory shows all that is durable:
 *       the newest listed file, a ROTATE held at its end, a newer file created but not listed. The new master must
 *       have the archive's flavor and basename, and its first file must sort after all of those and after the
 *       current epoch's own first file; otherwise {@link AdoptRefusedException}, nothing changed. Then the writer
 *       stops, cutting a partial transaction as {@link ArchiveWriter#discardPartialTransaction()} would.</li>
 *   <li>{@link Step#SYNCED}: the newest listed file is synced as it stands (in {@code WRITE} durability its last
 *       transactions may be in the page cache only), because the record is about to name its length.</li>
 *   <li>{@link Step#RECORDED}: {@code archive.properties} is replaced atomically by the history plus the new epoch:
 *       its first file, and the handover: the newest listed file with the end of its data (before a held ROTATE)
 *       and the last transaction's GTID. This is the commit point. Recovery, seeing the record, cuts that file
 *       back to the recorded end and deletes files between it and the first file, so everything after this step
 *       is redone by the next open if a crash interrupts it.</li>
 *   <li>{@link Step#ROTATE_CUT}: the held ROTATE is truncated (it names a file the new master will not have; a
 *       reader at the end of a file without a ROTATE moves on to the next listed file once there is one) and the
 *       file synced. It stays a byte prefix of the dead master's file.</li>
 *   <li>{@link Step#LEFTOVER_DELETED}: a file the dead master had begun, never listed (nothing past its
 *       FORMAT_DESCRIPTION), is deleted and the directory synced.</li>
 *   <li>{@link Step#DONE}: in memory, the inventory forgets the held ROTATE and the leftover and seals the old file;
 *       the writer accepts only {@code startFile(firstFile, 4)}, which {@link BinlogArchive#resumePosition()}
 *       says.</li>
 * </ol>
 * An I/O error after the record leaves the writer failed (reopen the archive; recovery finishes the cut).
 */
final class Adoption {
    private static final Logger LOG = LoggerFactory.getLogger(Adoption.class);

    /** What has been done, in order; see the class comment. */
    enum Step { CHECKED, SYNCED, RECORDED, ROTATE_CUT, LEFTOVER_DELETED, DONE }

    /** Told after each step: a seam for tests that stop the process between two steps. */
    interface StepListener {
        StepListener NONE = step -> {
        };

        void reached(Step step);
    }

    /** The archive's end as the checks see it, after every commit is done. */
    private record Tail(String listed, long dataEnd, String heldRotateTo, String unlisted) {
        static Tail of(Inventory inventory) {
            String listed = inventory.newest();
            String last = inventory.lastFile();
            return new Tail(listed, listed == null ? -1 : inventory.visibleEnd(listed),
                    listed == null ? null : inventory.committedRotatedTo(listed),
                    last != null && !last.equals(listed) ? last : null);
        }
    }

    private final FileLayer layer;
    private final Path dir;
    private final Inventory inventory;
    private final ArchiveWriter writer;
    private final IndexJournal index;

    Adoption(FileLayer layer, Path dir, Inventory inventory, ArchiveWriter writer, IndexJournal index) {
        this.layer = layer;
        this.dir = dir;
        this.inventory = inventory;
        this.writer = writer;
        this.index = index;
    }

    /**
     * @param recorded takes the new history once it is durable (before the cut: memory follows the disk)
     * @return the new epoch, or the current one if it is already {@code next} from {@code firstFile}
     */
    MasterEpoch run(Epochs history, UpstreamIdentity next, String firstFile, Consumer<Epochs> recorded,
                    StepListener steps) throws IOException, AdoptRefusedException {
        synchronized (writer) {
            writer.awaitCommitted();
            MasterEpoch current = history.current().orElseThrow(() -> new AdoptRefusedException("adopt of "
                    + firstFile + " refused: the archive in " + dir + " has no master yet (checkIdentity records"
                    + " the first)"));
            if (current.number() > 1 && current.master().equals(next)
                    && current.firstFile().orElseThrow().equals(firstFile)) {
                // Adopted before: a failover resumed after a crash repeats its steps.
                return current;
            }
            Tail tail = Tail.of(inventory);
            check(current, next, firstFile, tail);
            writer.stopForAdopt();
            steps.reached(Step.CHECKED);

            Optional<MasterEpoch.Handover> handover = Optional.empty();
            if (tail.listed() != null) {
                sync(tail.listed());
                handover = Optional.of(new MasterEpoch.Handover(new BinlogPosition(tail.listed(), tail.dataEnd()),
                        lastGtid(tail.listed(), tail.dataEnd())));
            }
            steps.reached(Step.SYNCED);

            MasterEpoch epoch = new MasterEpoch(current.number() + 1, next, Optional.of(firstFile), handover);
            Epochs after = history.then(epoch);
            try {
                EpochsFile.write(layer, dir, after);
            } catch (IOException e) {
                // The rename may or may not have happened: only a reopen knows which history holds.
                throw writer.failAdopt(e);
            }
            recorded.accept(after);
            steps.reached(Step.RECORDED);

            try {
                if (tail.listed() != null) {
                    cut(tail.listed(), tail.dataEnd());
                }
                steps.reached(Step.ROTATE_CUT);
                if (tail.unlisted() != null) {
                    layer.deleteIfExists(dir.resolve(tail.unlisted()));
                    layer.syncDirectory(dir);
                }
                steps.reached(Step.LEFTOVER_DELETED);
            } catch (IOException e) {
                throw writer.failAdopt(e);
            }
            inventory.endEpoch(tail.listed(), tail.dataEnd());
            LOG.warn("archive {}: adopted {} (previous master: {}{}{})", dir, epoch, current.master(),
                    tail.heldRotateTo() != null ? "; cut its ROTATE to " + tail.heldRotateTo() : "",
                    tail.unlisted() != null ? "; deleted " + tail.unlisted() + ", begun but never readable" : "");
            steps.reached(Step.DONE);
            return epoch;
        }
    }

    private void check(MasterEpoch current, UpstreamIdentity next, String firstFile, Tail tail)
            throws AdoptRefusedException {
        String refused = "adopt of " + firstFile + " refused: ";
        UpstreamIdentity master = current.master();
        if (next.flavor() != master.flavor()) {
            throw new AdoptRefusedException(refused + "the new master " + next + " is " + next.flavor()
                    + ", the archive holds " + master.flavor() + " binlogs");
        }
        if (!next.basename().equals(master.basename())) {
            throw new AdoptRefusedException(refused + "the new master's binlog basename is '" + next.basename()
                    + "', the archive's files are " + master.basename() + ".NNNNNN; the numbering continues only"
                    + " with the same basename (log_bin) on every master");
        }
        BinlogPosition first;
        try {
            first = BinlogPosition.startOf(firstFile);
        } catch (IllegalArgumentException e) {
            throw new AdoptRefusedException(refused + e.getMessage());
        }
        if (!first.hasFileSequence() || !first.basename().equals(master.basename())) {
            throw new AdoptRefusedException(refused + "it is not a file of " + master.basename() + ".NNNNNN");
        }
        // The highest name the archive has used or reserved, and why.
        String bound = null;
        String why = null;
        if (tail.listed() != null) {
            bound = tail.listed();
            why = "the archive's last file is " + bound;
        }
        if (tail.heldRotateTo() != null && above(tail.heldRotateTo(), bound)) {
            bound = tail.heldRotateTo();
            why = "the archive's last file is " + tail.listed() + ", whose ROTATE names " + bound;
        }
        if (tail.unlisted() != null && (bound == null || !above(bound, tail.unlisted()))) {
            // the file the held ROTATE names, if it has one: said as what it is
            bound = tail.unlisted();
            why = "the archive's last file is " + bound + " (begun by the previous master, not readable yet)";
        }
        if (current.firstFile().isPresent() && above(current.firstFile().get(), bound)) {
            bound = current.firstFile().get();
            why = "epoch " + current.number() + " (" + master + ") owns the files from " + bound;
        }
        if (bound != null && !above(firstFile, bound)) {
            throw new AdoptRefusedException(refused + why + "; the new master must FLUSH BINARY LOGS until its"
                    + " current file is above " + (bound.equals(tail.listed()) ? "it" : bound));
        }
    }

    private static boolean above(String file, String than) {
        return than == null || Inventory.FILE_ORDER.compare(file, than) > 0;
    }

    private void sync(String file) throws IOException {
        try (FileChannel ch = layer.open(dir.resolve(file), StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    private void cut(String file, long end) throws IOException {
        try (FileChannel ch = layer.open(dir.resolve(file), StandardOpenOption.WRITE)) {
            if (ch.size() > end) {
                ch.truncate(end);
                ch.force(true);
            }
        }
    }

    /**
     * The GTID of the last transaction that starts before {@code file:end}: from the index journal (a few entries
     * back from its end), else from the files, newest first.
     */
    private Optional<String> lastGtid(String file, long end) throws IOException {
        if (index.available()) {
            try {
                return index.lastTransactionStart(file, end).flatMap(Adoption::gtidOf);
            } catch (Exception e) { // Chronicle may throw checked exceptions undeclared
                LOG.warn("index journal lookup failed, scanning the files instead", e);
            }
        }
        List<Inventory.FileView> views = inventory.views();
        for (int i = views.size() - 1; i >= 0; i--) {
            Inventory.FileView v = views.get(i);
            IndexEntry[] last = {null};
            try {
                FileScan.entries(dir, v.name(), 0, v.name().equals(file) ? end : v.visibleEnd(), e -> {
                    if (e.startsTransaction()) {
                        last[0] = e;
                    }
                    return true;
                });
            } catch (NoSuchFileException purged) {
                break;
            }
            if (last[0] != null) {
                return gtidOf(last[0]);
            }
        }
        return Optional.empty();
    }

    private static Optional<String> gtidOf(IndexEntry e) {
        if (e.mysqlGtid() != null) {
            return Optional.of(e.mysqlGtid().toString());
        }
        return e.mariaGtid() != null ? Optional.of(e.mariaGtid().toString()) : Optional.empty();
    }
}
