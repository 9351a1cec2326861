package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.file.BinlogDamage;
import dev.binlogproxy.binlog.file.BinlogFileSummary;
import dev.binlogproxy.binlog.position.BinlogPosition;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks a live archive: every file with {@link BinlogFileSummary}, then the index journal against the files,
 * entry by entry, in one pass over both. Tolerates what a running writer leaves: in the newest file, anything past
 * what readers may see (a transaction being written, or complete and waiting for its sync).
 *
 * <p>Across masters ({@link Epochs}): each file's FORMAT_DESCRIPTION must come from its epoch's master (server_id,
 * flavor); the last file of an epoch ends where the next epoch's record says the data ended, without a ROTATE (the
 * adopt cut it), and nothing lies between it and the next epoch's first file. A file that ends without a ROTATE
 * in the middle of an epoch is a note, not a problem: its master stopped without closing it (a crash, or a clean
 * shutdown's STOP) and went on in a new file, which the archive copies faithfully. Problems are reported per file
 * and epoch; nothing here throws on bad data. Journal entries an adopt cut away from the files
 * ({@link Epochs#cutAway}) stay in the journal and are passed over.
 */
final class Verifier {
    private final Path dir;
    private final Inventory inventory;
    private final IndexJournal index;
    private final Epochs epochs;
    /** Checking an archive this process has not opened: an index that ends early lags, it is not damaged. */
    private final boolean inPlace;
    private final List<String> notes = new ArrayList<>();

    Verifier(Path dir, Inventory inventory, IndexJournal index, Epochs epochs) {
        this(dir, inventory, index, epochs, false);
    }

    Verifier(Path dir, Inventory inventory, IndexJournal index, Epochs epochs, boolean inPlace) {
        this.dir = dir;
        this.inventory = inventory;
        this.index = index;
        this.epochs = epochs;
        this.inPlace = inPlace;
    }

    VerifyReport run() throws IOException {
        // What the writer committed, not only what readers see: a held ROTATE and a file not listed yet (its FDE
        // alone) are on disk and indexed, and checked as such.
        List<Inventory.FileView> views = inventory.committedViews();
        List<VerifyReport.FileCheck> checks = new ArrayList<>();
        List<String> fileProblems = new ArrayList<>();
        for (int i = 0; i < views.size(); i++) {
            Inventory.FileView v = views.get(i);
            Path path = dir.resolve(v.name());
            if (!Files.exists(path)) {
                continue; // purged meanwhile
            }
            BinlogFileSummary s = BinlogFileSummary.scan(path);
            checks.add(new VerifyReport.FileCheck(v.name(), s));
            boolean newest = i == views.size() - 1;
            checkFile(v, s, newest, fileProblems);
            checkEpoch(v, s, newest, fileProblems);
        }
        checkEpochEnds(fileProblems);
        List<String> indexProblems = new ArrayList<>();
        long compared = 0;
        if (!index.available()) {
            indexProblems.add(inPlace ? index.failure().getMessage() + "; opening the archive rebuilds it"
                    : "index journal unavailable since an append failed (" + index.failure()
                    + "); reopening the archive rebuilds it");
        } else {
            compared = compareIndex(views, indexProblems);
        }
        return new VerifyReport(checks, fileProblems, compared, indexProblems, notes);
    }

    private static void checkFile(Inventory.FileView v, BinlogFileSummary s, boolean newest, List<String> problems) {
        Optional<BinlogDamage> damage = s.damage();
        if (newest) {
            // A running writer may be past what readers see; only what readers may see must be whole.
            if (damage.isPresent() && damage.get().offset() < v.visibleEnd()) {
                problems.add(v.name() + ": " + damage.get());
            } else if (s.lastBoundary() < v.visibleEnd()) {
                problems.add(v.name() + ": readable up to " + v.visibleEnd() + " but its last complete transaction"
                        + " ends at " + s.lastBoundary());
            }
            return;
        }
        if (damage.isPresent()) {
            problems.add(v.name() + ": " + damage.get());
            return;
        }
        if (s.endsInTransaction()) {
            problems.add(v.name() + ": a finished file that ends inside a transaction (at " + s.lastBoundary() + ")");
        }
        if (s.rotate().isPresent() && v.next() != null && !s.rotate().get().nextFile().equals(v.next())) {
            problems.add(v.name() + ": its ROTATE names " + s.rotate().get().nextFile() + " but the next file is "
                    + v.next());
        }
    }

    /** The file against its master: written by the epoch's server, and ending as a file in its place ends. */
    private void checkEpoch(Inventory.FileView v, BinlogFileSummary s, boolean newest, List<String> problems) {
        Optional<MasterEpoch> owner = epochs.ownerOf(v.name());
        if (owner.isEmpty() || s.formatDescription() == null) {
            return;
        }
        UpstreamIdentity master = owner.get().master();
        long serverId = s.formatDescription().header().serverId();
        if (serverId != master.serverId() || s.formatDescription().flavor() != master.flavor()) {
            problems.add(v.name() + ": FORMAT_DESCRIPTION written by a " + s.formatDescription().flavor()
                    + " server_id " + serverId + ", but the file belongs to epoch " + owner.get().number()
                    + ", whose master is " + master);
        }
        if (newest || s.damage().isPresent()) {
            return;
        }
        boolean endsEpoch = epochs.endsEpoch(v.name(), v.next());
        if (endsEpoch && s.rotate().isPresent()) {
            problems.add(v.name() + ": the last file of epoch " + owner.get().number() + " ends with a ROTATE to "
                    + s.rotate().get().nextFile() + " (an adopt cuts it: the next master starts at " + v.next() + ")");
        } else if (!endsEpoch && s.rotate().isEmpty() && !s.stopped()) {
            notes.add(v.name() + ": ends without a ROTATE or STOP although " + v.next() + " of the same master"
                    + " follows (its master crashed, or the file was cut)");
        }
    }

    /**
     * Each adopt's record against the files: the handover file ends at the recorded end, and no file lies between
     * it and the epoch's first file. What an interrupted adopt left (the next open finishes it) is a note in place.
     */
    private void checkEpochEnds(List<String> problems) throws IOException {
        for (MasterEpoch e : epochs.list()) {
            if (e.handover().isEmpty()) {
                continue;
            }
            BinlogPosition end = e.handover().get().previousEnd();
            Path path = dir.resolve(end.file());
            if (Files.exists(path)) {
                long size = Files.size(path);
                if (size < end.offset() || size > end.offset() && !inPlace) {
                    problems.add(end.file() + ": " + size + " bytes, but " + e + " records that the previous"
                            + " master's data ends at " + end);
                } else if (size > end.offset()) {
                    notes.add(end.file() + ": " + (size - end.offset()) + " bytes after " + end + ", where " + e
                            + " records the previous master's end (an adopt was interrupted; the next open cuts them)");
                }
            }
        }
        try (java.util.stream.Stream<Path> list = Files.list(dir)) {
            for (Path p : list.sorted().toList()) {
                String name = p.getFileName().toString();
                Optional<MasterEpoch> of = epochs.leftoverOf(name);
                if (of.isPresent() && Files.isRegularFile(p)) {
                    String what = name + ": lies between the end of the previous master's data and the first file"
                            + " of " + of.get();
                    long transactions = BinlogFileSummary.scan(p).transactions();
                    if (inPlace && of.equals(epochs.current()) && transactions == 0) {
                        notes.add(what + " (an adopt was interrupted; the next open deletes it)");
                    } else {
                        problems.add(what + (transactions > 0 ? " and holds " + transactions + " transactions" : ""));
                    }
                }
            }
        }
    }

    /** Walks the journal and the files in step; stops at the first disagreement. */
    private long compareIndex(List<Inventory.FileView> views, List<String> problems) throws IOException {
        if (views.isEmpty()) {
            return 0;
        }
        String oldest = views.get(0).name();
        Inventory.FileView newest = views.get(views.size() - 1);
        long[] compared = {0};
        String[] lagging = {null};
        try (IndexJournal.Cursor cursor = index.cursor()) {
            for (Inventory.FileView v : views) {
                if (!problems.isEmpty() || lagging[0] != null || !Files.exists(dir.resolve(v.name()))) {
                    break;
                }
                FileScan.spans(dir, v.name(), 0, v.visibleEnd(), fromFile -> {
                    IndexEntry fromIndex = nextRelevant(cursor, oldest);
                    if (fromIndex == null) {
                        // A proxy killed (or running) leaves the journal at most one batch behind the files,
                        // which a rotation can split across the last two files; further back it was cut short.
                        if (inPlace && views.size() - views.indexOf(v) <= 2) {
                            lagging[0] = fromFile.file() + ":" + fromFile.offset();
                        } else {
                            problems.add("index journal ends before " + fromFile.file() + ":" + fromFile.offset());
                        }
                        return false;
                    }
                    if (!fromIndex.equals(fromFile)) {
                        problems.add("index journal entry " + (compared[0] + 1) + " is " + fromIndex
                                + " but the file has " + fromFile);
                        return false;
                    }
                    compared[0]++;
                    return true;
                });
            }
            if (lagging[0] != null) {
                notes.add("index journal ends before " + lagging[0] + ", behind the files (not yet appended, or"
                        + " a killed proxy's; opening the archive catches it up)");
            } else if (problems.isEmpty()) {
                IndexEntry extra = nextRelevant(cursor, oldest);
                // Entries of the newest file past its visible end: appended by the commit thread, about to be published.
                // So are entries of files the writer started since the snapshot, listed or not yet (a new file is
                // listed with its head: its FDE is indexed before), and of a ROTATE held until the next file's head.
                while (extra != null && (extra.file().equals(newest.name()) && extra.offset() >= newest.visibleEnd()
                        || Inventory.FILE_ORDER.compare(extra.file(), newest.name()) > 0
                        && (inventory.holds(extra.file()) || inPlace && Files.exists(dir.resolve(extra.file()))))) {
                    extra = nextRelevant(cursor, oldest);
                }
                if (extra != null) {
                    problems.add("index journal goes on past the files: " + extra);
                }
            }
        } catch (IOException e) {
            throw e;
        } catch (Exception e) { // Chronicle may throw checked exceptions undeclared
            problems.add("index journal unreadable: " + e);
        } catch (InternalError e) {
            // a fault reading the memory-mapped journal: written on a full disk, its pages were never stored
            problems.add("index journal unreadable after " + compared[0] + " entries (a fault reading its mapped"
                    + " file, as after it was written on a full disk): " + e.getMessage());
        }
        return compared[0];
    }

    /** The next entry that is not about a purged file nor about what an adopt cut away. */
    private IndexEntry nextRelevant(IndexJournal.Cursor cursor, String oldest) {
        while (true) {
            IndexEntry e = cursor.next();
            if (e == null || Inventory.FILE_ORDER.compare(e.file(), oldest) >= 0
                    && !epochs.cutAway(e.file(), e.offset())) {
                return e;
            }
        }
    }
}
