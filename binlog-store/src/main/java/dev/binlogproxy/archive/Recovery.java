package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventChecksum;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.binlog.file.BinlogDamage;
import dev.binlogproxy.binlog.file.BinlogFileDamagedException;
import dev.binlogproxy.binlog.file.BinlogFileReader;
import dev.binlogproxy.binlog.file.BinlogFileSummary;
import dev.binlogproxy.binlog.file.FileEvent;
import dev.binlogproxy.binlog.position.BinlogPosition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Brings the archive's files to a state where every byte is part of a complete transaction, after whatever ended
 * the last run (kill -9, power loss, a failed write).
 *
 * <p>Only the newest file can hold a torn tail: a file is finished (ROTATE, then the next file created with its
 * FDE synced) before the next one gets any event. So the newest file is validated in full with
 * {@link BinlogFileSummary}; the older ones are left to {@link BinlogArchive#verify()}.
 * <ul>
 *   <li>TRUNCATED_TAIL, or the file ends inside a transaction: cut at {@code lastBoundary}. Nothing acknowledged
 *       is lost: an acknowledged transaction was synced whole, and nothing after it is ever acknowledged before
 *       it is.</li>
 *   <li>CORRUPT followed only by zero bytes: also a torn tail. After a power loss the file's size may have
 *       reached the disk before its data (ext4 and XFS zero-fill such blocks); no real event is all zeros.</li>
 *   <li>CORRUPT with data after it: also cut, but what is cut is first copied, synced, to
 *       {@code FILE.damaged-OFFSET} beside it ({@link #DAMAGED_SUFFIX}) and the cut is logged as an error. After a
 *       power loss the unsynced tail reaches the disk in any order (a later page written back, an earlier one not:
 *       a hole, then valid events), so this is what a power loss leaves, and the crash images produce it; refusing
 *       the open made every such power loss an operator's incident. Nothing acknowledged lies past the damage
 *       (in fsync mode an acknowledged transaction is synced, and a synced byte is not torn; in write mode a
 *       finished file is synced before the next one exists, so only the newest file can be torn), and the mirror
 *       fetches what was cut again. Only a disk that corrupts synced data could put an acknowledged transaction
 *       behind the damage: then the copy keeps it, and the error names it.</li>
 *   <li>No whole FDE (a crash while the file was being created): the file is deleted, nothing in it was ever
 *       acknowledged, and the dump resumes at its position 4.</li>
 * </ul>
 *
 * <p>Then the rotation invariant of {@link Inventory} (a file is listed only with its head, a ROTATE is readable
 * only once the file it names is listed) is restored for what a crash mid-rotation leaves:
 * <ul>
 *   <li>A newest file with nothing past its FDE (killed after the FDE was made durable, before the head): kept,
 *       but unlisted; the writer resumes in it after the FDE (as the master's dump resumes mid-file) and the file
 *       is listed when its head is published. Deleting it instead would leave the index journal, which already
 *       has its FDE, ahead of the files (a rebuild at every such reopen).</li>
 *   <li>The newest listed file ending with a ROTATE (the newest on disk, or the one before an unlisted file):
 *       the ROTATE stays held, so readers stop before it until the next file's head is published.</li>
 * </ul>
 *
 * <p>Before all that, an adopt of a new master that a crash interrupted is finished from its record
 * ({@link Adoption}: once {@code archive.properties} names the new epoch, the adopt has happened). Recovery knows
 * which files belong to which epoch from the record alone: the current epoch's handover file is cut back to the
 * recorded end of the previous master's data (its held ROTATE), and files between it and the epoch's first file
 * (begun by the dead master, never listed) are deleted. Either only if it removes nothing anyone could have
 * acknowledged: a file in that gap holding a complete transaction, or a handover file shorter than recorded, refuses
 * the open. The handover file ends its epoch: it is listed even if it holds nothing past its FDE, never held back as
 * a file waiting for its head.
 */
final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);
    private static final Pattern BINLOG_NAME = Pattern.compile(".+\\.[0-9]+");
    /** What a cut with data after the damage keeps aside: {@code NAME + DAMAGED_SUFFIX + offset}. */
    static final String DAMAGED_SUFFIX = ".damaged-";

    /**
     * One file as recovery left it, {@code end} bytes long. Only for the newest listed file: {@code rotatedTo}
     * if it ends with a ROTATE (held from readers; what the writer resumes after), starting at {@code rotateAt}.
     */
    record Recovered(String name, long end, long rotateAt, String rotatedTo) {
        Recovered(String name, long end) {
            this(name, end, -1, null);
        }
    }

    /**
     * What recovery found and did; the actions are also logged.
     *
     * @param files    the files to list, oldest first
     * @param unlisted the newest file if it holds nothing past its FDE (its end is the FDE's), else null
     */
    record Result(List<Recovered> files, Recovered unlisted, List<String> actions) {
    }

    private Recovery() {
    }

    static Result run(FileLayer layer, Path dir, Epochs epochs) throws IOException, ArchiveException {
        List<String> names = binlogFiles(dir, epochs.basename().orElse(null));
        List<String> actions = new ArrayList<>();
        finishAdopt(layer, dir, epochs, names, actions);
        String epochEnd = epochs.current().flatMap(MasterEpoch::handover).map(h -> h.previousEnd().file())
                .orElse(null);
        String rotatedTo = null;
        long newestEnd = 0;
        long fdeEnd = 0;
        while (!names.isEmpty()) {
            String newest = names.get(names.size() - 1);
            Path path = dir.resolve(newest);
            BinlogFileSummary s = BinlogFileSummary.scan(path);
            long cut = s.fileSize();
            String keptAside = null;
            if (s.damage().isPresent()) {
                BinlogDamage d = s.damage().get();
                cut = s.lastBoundary();
                if (d.kind() == BinlogDamage.Kind.CORRUPT && !zerosFrom(path, d.offset())) {
                    keptAside = keepAside(layer, dir, newest, cut, s.fileSize());
                    LOG.error("archive {}: {} is damaged at offset {} ({}) with data after it: a power loss's torn"
                            + " tail, or a disk corrupting data; cutting it at {}, the cut bytes kept in {}", dir,
                            newest, d.offset(), d.reason(), cut, keptAside);
                }
            } else if (s.endsInTransaction()) {
                cut = s.lastBoundary();
            }
            if (s.formatDescription() == null || cut <= BinlogPosition.FIRST_EVENT_OFFSET) {
                layer.deleteIfExists(path);
                layer.syncDirectory(dir);
                actions.add("deleted " + newest + " (" + s.fileSize() + " bytes, no complete FORMAT_DESCRIPTION:"
                        + " a crash while it was created)");
                names.remove(names.size() - 1);
                continue;
            }
            if (cut == s.fileSize()) {
                // What was just validated may still be only in the page cache (a kill in write mode): make it
                // durable before anything is written after it, so a later power loss cannot tear it behind a
                // newer file, where recovery would not look again.
                try (FileChannel ch = layer.open(path, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
            } else {
                try (FileChannel ch = layer.open(path, StandardOpenOption.WRITE)) {
                    ch.truncate(cut);
                    ch.force(true);
                }
                actions.add("cut " + newest + " from " + s.fileSize() + " to " + cut + " bytes (" + s.damage()
                        .map(BinlogDamage::toString).orElse("ends inside a transaction")
                        + (keptAside == null ? "" : "; data follows the damage, the cut bytes are kept in "
                        + keptAside) + ")");
            }
            // The ROTATE counts only if it is the last event that stays.
            rotatedTo = cut == s.validEnd() ? s.rotate().map(r -> r.nextFile()).orElse(null) : null;
            newestEnd = cut;
            fdeEnd = head(path).fdeEnd();
            break;
        }
        actions.forEach(a -> LOG.warn("archive {}: {}", dir, a));
        Recovered unlisted = null;
        if (!names.isEmpty() && newestEnd == fdeEnd && !names.get(names.size() - 1).equals(epochEnd)) {
            String name = names.remove(names.size() - 1);
            unlisted = new Recovered(name, fdeEnd);
            LOG.info("archive {}: {} holds nothing past its FORMAT_DESCRIPTION: kept unlisted until its head is"
                    + " archived", dir, name);
            if (!names.isEmpty()) {
                // The file before it is the newest listed: its ROTATE (to the unlisted file) stays held.
                String previous = names.get(names.size() - 1);
                newestEnd = Files.size(dir.resolve(previous));
                rotatedTo = name;
            }
        }
        List<Recovered> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            if (i < names.size() - 1) {
                out.add(new Recovered(name, Files.size(dir.resolve(name))));
                continue;
            }
            Path path = dir.resolve(name);
            long rotateAt = rotatedTo == null ? -1 : rotateStart(path, newestEnd, rotatedTo);
            out.add(rotateAt < 0 ? new Recovered(name, newestEnd)
                    : new Recovered(name, newestEnd, rotateAt, rotatedTo));
        }
        return new Result(out, unlisted, actions);
    }

    private record Head(long fdeEnd, ChecksumAlgorithm checksum) {
    }

    /**
     * Finishes what an adopt recorded and a crash may have left undone (see the class comment). Idempotent: on an
     * archive whose adopt completed it only looks at one file's size and the names.
     */
    private static void finishAdopt(FileLayer layer, Path dir, Epochs epochs, List<String> names, List<String> actions)
            throws IOException, ArchiveException {
        MasterEpoch current = epochs.current().orElse(null);
        if (current == null || current.firstFile().isEmpty()) {
            return;
        }
        for (String name : List.copyOf(names)) {
            if (epochs.leftoverOf(name).filter(current::equals).isEmpty()) {
                continue;
            }
            Path path = dir.resolve(name);
            BinlogFileSummary s = BinlogFileSummary.scan(path);
            if (s.transactions() > 0) {
                throw new ArchiveException("cannot open " + dir + ": " + name + " lies between the end of the"
                        + " previous master's data and " + current + ", but holds " + s.transactions()
                        + " complete transactions; an adopt deletes only a file its master had begun (nothing past"
                        + " its FORMAT_DESCRIPTION). Move it away if it does not belong here.");
            }
            layer.deleteIfExists(path);
            layer.syncDirectory(dir);
            names.remove(name);
            actions.add("deleted " + name + " (" + s.fileSize() + " bytes, begun by the previous master and never"
                    + " readable: finishing the adopt of " + current + ")");
        }
        if (current.handover().isEmpty()) {
            return;
        }
        BinlogPosition end = current.handover().get().previousEnd();
        Path path = dir.resolve(end.file());
        if (!Files.exists(path)) {
            return; // purged since
        }
        long size = Files.size(path);
        if (size < end.offset()) {
            throw new ArchiveException("cannot open " + dir + ": " + current + " records that the previous master's"
                    + " data ends at " + end + ", but " + end.file() + " is only " + size + " bytes");
        }
        if (size > end.offset()) {
            try (FileChannel ch = layer.open(path, StandardOpenOption.WRITE)) {
                ch.truncate(end.offset());
                ch.force(true);
            }
            actions.add("cut " + end.file() + " from " + size + " to " + end.offset() + " bytes (finishing the"
                    + " adopt of " + current + ")");
        }
    }

    /** A file's FDE, read (and checked) alone. */
    private static Head head(Path path) throws IOException, ArchiveDamagedException {
        try (BinlogFileReader r = BinlogFileReader.open(path)) {
            FileEvent fde = r.next();
            if (fde == null) {
                throw new ArchiveDamagedException(path, BinlogPosition.FIRST_EVENT_OFFSET, "no FORMAT_DESCRIPTION");
            }
            return new Head(fde.endOffset(), r.checksum());
        } catch (BinlogFileDamagedException e) {
            throw new ArchiveDamagedException(path, e.damage().offset(), e.damage().reason());
        }
    }

    /**
     * Where the ROTATE to {@code next} that ends the file at {@code end} starts; -1 if the file does not end with
     * one. Reads only the FDE and the last event (the size of a ROTATE follows from the name it carries), so a
     * large finished file is not scanned again.
     */
    private static long rotateStart(Path path, long end, String next) throws IOException, ArchiveDamagedException {
        Head h = head(path);
        int size = BinlogEvent.HEADER_LENGTH + 8 + next.getBytes(StandardCharsets.ISO_8859_1).length
                + h.checksum().trailerLength();
        long at = end - size;
        if (at < h.fdeEnd()) {
            return -1;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            Fsync.readFully(ch, b, at);
        }
        try {
            // After an adopt the file before an unlisted one may end with no ROTATE at all (the handover cut it):
            // whatever the bytes there are, they are not this ROTATE.
            BinlogEvent e = BinlogEvent.wrap(b.array());
            boolean isRotate = e.type() == EventType.ROTATE && e.eventSize() == size && e.logPos() == end
                    && EventChecksum.matches(e, h.checksum()) && Rotate.decode(e, h.checksum()).nextFile().equals(next);
            return isRotate ? at : -1;
        } catch (MalformedEventException | IllegalArgumentException ex) {
            return -1;
        }
    }

    /** The binlog files of the directory in binlog order; other files (index, properties, lock) are not. */
    static List<String> binlogFiles(Path dir, String basename) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.toList()) {
                String name = p.getFileName().toString();
                if (!Files.isRegularFile(p) || !BINLOG_NAME.matcher(name).matches()) {
                    continue;
                }
                if (basename != null && !BinlogPosition.startOf(name).basename().equals(basename)) {
                    LOG.warn("archive {}: ignoring {}, not a file of the archived master ({}.NNNNNN)", dir, name,
                            basename);
                    continue;
                }
                out.add(name);
            }
        }
        out.sort(Inventory.FILE_ORDER);
        return out;
    }

    /**
     * Copies {@code [from, to)} of the file to {@code NAME.damaged-FROM} and makes the copy durable (file and
     * directory) before the caller cuts: a crash during recovery never loses those bytes. Its name is not a binlog
     * file's, so nothing of the archive reads it; it is for the operator to compare with the master's copy.
     */
    private static String keepAside(FileLayer layer, Path dir, String name, long from, long to) throws IOException {
        String aside = name + DAMAGED_SUFFIX + from;
        ByteBuffer b = ByteBuffer.allocate(1 << 16);
        try (FileChannel in = FileChannel.open(dir.resolve(name), StandardOpenOption.READ);
             FileChannel out = layer.open(dir.resolve(aside), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long at = from; at < to; ) {
                b.clear().limit((int) Math.min(b.capacity(), to - at));
                Fsync.readFully(in, b, at);
                b.flip();
                Fsync.writeFully(out, b, at - from);
                at += b.limit();
            }
            out.force(true);
        }
        layer.syncDirectory(dir);
        return aside;
    }

    private static boolean zerosFrom(Path path, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(1 << 16);
            long at = offset;
            while (true) {
                b.clear();
                int n = ch.read(b, at);
                if (n < 0) {
                    return true;
                }
                for (int i = 0; i < n; i++) {
                    if (b.get(i) != 0) {
                        return false;
                    }
                }
                at += n;
            }
        }
    }
}
