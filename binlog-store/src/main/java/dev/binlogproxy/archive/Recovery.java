package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.file.BinlogDamage;
import dev.binlogproxy.binlog.file.BinlogFileSummary;
import dev.binlogproxy.binlog.position.BinlogPosition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
 *   <li>CORRUPT with data after it: refused, naming the file and offset. Cutting would drop what follows.</li>
 *   <li>No whole FDE (a crash while the file was being created): the file is deleted, nothing in it was ever
 *       acknowledged, and the dump resumes at its position 4.</li>
 * </ul>
 */
final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);
    private static final Pattern BINLOG_NAME = Pattern.compile(".+\\.[0-9]+");

    /** One file as recovery left it; {@code rotatedTo} only for the newest (what the writer resumes after). */
    record Recovered(String name, long end, String rotatedTo) {
    }

    /** What recovery found and did; the actions are also logged. */
    record Result(List<Recovered> files, List<String> actions) {
    }

    private Recovery() {
    }

    static Result run(Path dir, String basename) throws IOException, ArchiveDamagedException {
        List<String> names = binlogFiles(dir, basename);
        List<String> actions = new ArrayList<>();
        String rotatedTo = null;
        long newestEnd = 0;
        while (!names.isEmpty()) {
            String newest = names.get(names.size() - 1);
            Path path = dir.resolve(newest);
            BinlogFileSummary s = BinlogFileSummary.scan(path);
            long cut = s.fileSize();
            if (s.damage().isPresent()) {
                BinlogDamage d = s.damage().get();
                if (d.kind() == BinlogDamage.Kind.CORRUPT && !zerosFrom(path, d.offset())) {
                    throw new ArchiveDamagedException(path, d.offset(), d.reason());
                }
                cut = s.lastBoundary();
            } else if (s.endsInTransaction()) {
                cut = s.lastBoundary();
            }
            if (s.formatDescription() == null || cut <= BinlogPosition.FIRST_EVENT_OFFSET) {
                Files.delete(path);
                Fsync.directory(dir);
                actions.add("deleted " + newest + " (" + s.fileSize() + " bytes, no complete FORMAT_DESCRIPTION:"
                        + " a crash while it was created)");
                names.remove(names.size() - 1);
                continue;
            }
            if (cut < s.fileSize()) {
                try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
                    ch.truncate(cut);
                    ch.force(true);
                }
                actions.add("cut " + newest + " from " + s.fileSize() + " to " + cut + " bytes (" + s.damage()
                        .map(BinlogDamage::toString).orElse("ends inside a transaction") + ")");
            }
            // The ROTATE counts only if it is the last event that stays.
            rotatedTo = cut == s.validEnd() ? s.rotate().map(r -> r.nextFile()).orElse(null) : null;
            newestEnd = cut;
            break;
        }
        actions.forEach(a -> LOG.warn("archive {}: {}", dir, a));
        List<Recovered> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            boolean last = i == names.size() - 1;
            String name = names.get(i);
            out.add(new Recovered(name, last ? newestEnd : Files.size(dir.resolve(name)), last ? rotatedTo : null));
        }
        return new Result(out, actions);
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
