package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.file.BinlogDamage;
import dev.binlogproxy.binlog.file.BinlogFileSummary;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MySqlGtid;
import dev.binlogproxy.binlog.txn.EventRole;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Copies a range of archived transactions out as binlog files {@code mysqlbinlog} / {@code mariadb-binlog} read:
 * the files from the one holding the start to the one holding the stop, under their own names, every one whole
 * except the last, which is cut right after the last transaction of the range. Each output file is therefore a
 * byte-identical prefix of the archived file, starting with its own FORMAT_DESCRIPTION and ending on a
 * transaction boundary (what an active binlog looks like; the tools read it to the end). The start is not cut
 * into the first file (that would leave it without its header events): it is reported as the offset to pass to
 * {@code --start-position}, which the tools apply to the first file named.
 *
 * <p>Read-only: works on an archive a running proxy is writing (it reads only whole transactions, which is all
 * a reader may see) and on any directory of binlog files. Every event read is checked (CRC, log_pos chain), so an
 * export never hands on damaged bytes.
 */
public final class ArchiveExport {
    /** Where the range starts. */
    public sealed interface Start {
        /** At the first event of the oldest file. */
        record Oldest() implements Start {
        }

        /** At this event, which must start a transaction (or be position 4 of its file). */
        record At(BinlogPosition position) implements Start {
        }

        /** Right after the transaction with this GTID (the last one a restored backup already holds). */
        record AfterGtid(Object gtid) implements Start {
        }

        /** At the first transaction whose first event is timestamped at or after this time. */
        record AtTime(Instant time) implements Start {
        }
    }

    /** Where the range ends. */
    public sealed interface Stop {
        /** At the end of the last complete transaction archived. */
        record End() implements Stop {
        }

        /**
         * Before the first transaction whose first event is timestamped at or after this time (the tools'
         * {@code --stop-datetime}; timestamps have whole seconds, a fraction rounds up).
         */
        record BeforeTime(Instant time) implements Stop {
        }

        /** After the transaction with this GTID, inclusive. */
        record AfterGtid(Object gtid) implements Stop {
        }
    }

    /** One exported file. {@code length} is the copied size; {@code cut} if shorter than the archived file. */
    public record ExportedFile(String name, long length, boolean cut) {
    }

    /**
     * What was exported.
     *
     * @param startPosition where the range starts in the first file: pass it as {@code --start-position}
     * @param end           where the range ends (the cut, or the end of the last complete transaction)
     * @param transactions  how many transactions the range holds
     * @param notes         what an operator should know (e.g. the archive ends before the stop time)
     */
    public record Result(List<ExportedFile> files, BinlogPosition startPosition, BinlogPosition end,
                         long transactions, List<String> notes) {
        public Result {
            files = List.copyOf(files);
            notes = List.copyOf(notes);
        }
    }

    /** The range cannot be exported: start or stop not found, damage in the way, output in use. */
    public static final class ExportException extends Exception {
        public ExportException(String message) {
            super(message);
        }
    }

    /**
     * Where a long export is, for a progress line: {@code phase} "scan" (reading the files up to the stop; its
     * total is every file from the first, as the stop is not known yet) or "copy" (writing the output). Called
     * often (per event while scanning); the receiver decides when to show something.
     */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (phase, done, total) -> {
        };

        void advanced(String phase, long done, long total);
    }

    /** Copies this much at a time, so the copy reports progress within large files. */
    private static final long COPY_CHUNK = 64L << 20;

    private ArchiveExport() {
    }

    /** Parses a GTID as {@link Start.AfterGtid} and {@link Stop.AfterGtid} take it: MySQL uuid:gno or MariaDB d-s-n. */
    public static Object parseGtid(String text) {
        return text.indexOf(':') >= 0 ? MySqlGtid.parse(text.trim()) : MariaGtid.parse(text.trim());
    }

    /**
     * Exports the range into {@code outDir}, which must not exist or be empty.
     */
    public static Result export(Path archiveDir, Start start, Stop stop, Path outDir) throws IOException,
            ExportException {
        return export(archiveDir, start, stop, outDir, Progress.NONE);
    }

    /** As {@link #export(Path, Start, Stop, Path)}, telling {@code progress} how far it is. */
    public static Result export(Path archiveDir, Start start, Stop stop, Path outDir, Progress progress)
            throws IOException, ExportException {
        if (!Files.isDirectory(archiveDir)) {
            throw new ExportException(archiveDir + " is not a directory");
        }
        List<String> files = Recovery.binlogFiles(archiveDir, EpochsFile.read(archiveDir).basename().orElse(null));
        if (files.isEmpty()) {
            throw new ExportException("no binlog files in " + archiveDir);
        }
        Scan scan = new Scan(start, stop);
        long scanTotal = 0;
        for (String f : files) {
            scanTotal += Files.size(archiveDir.resolve(f));
        }
        long scanned = 0;
        for (String f : files) {
            long before = scanned;
            long total = scanTotal;
            Optional<BinlogDamage> damage = FileScan.entries(archiveDir, f, 0, Long.MAX_VALUE, e -> {
                progress.advanced("scan", before + e.end(), total);
                return scan.accept(e);
            });
            scanned += Files.size(archiveDir.resolve(f));
            if (scan.done) {
                break;
            }
            boolean newest = f.equals(files.get(files.size() - 1));
            // A running writer leaves a torn or unfinished tail in the newest file only; anywhere else, damage
            // means the range cannot be exported whole.
            if (damage.isPresent() && !(newest && damage.get().kind() == BinlogDamage.Kind.TRUNCATED_TAIL)) {
                throw new ExportException(f + " is damaged (" + damage.get() + "); run binlog-proxy verify");
            }
        }
        List<String> notes = new ArrayList<>();
        if (scan.error != null) {
            throw new ExportException(scan.error);
        }
        if (scan.startPosition == null) {
            throw new ExportException("start " + describe(start) + " not found in " + archiveDir + " ("
                    + files.get(0) + " .. " + files.get(files.size() - 1) + ")");
        }
        if (!scan.done) {
            if (stop instanceof Stop.AfterGtid g) {
                throw new ExportException("stop GTID " + g.gtid() + " not found after the start "
                        + scan.startPosition);
            }
            if (stop instanceof Stop.BeforeTime t) {
                notes.add("the archive's last complete transaction (" + scan.lastBoundary + ") is before the stop"
                        + " time " + t.time() + ": exported up to it");
            }
            scan.end = scan.lastBoundary;
        }
        if (scan.end.compareTo(scan.startPosition) < 0) {
            scan.end = scan.startPosition;
        }
        if (scan.transactions == 0) {
            notes.add("the range holds no transaction");
        }

        prepareOutput(outDir);
        List<ExportedFile> out = new ArrayList<>();
        long copyTotal = 0;
        for (String f : files) {
            if (Inventory.FILE_ORDER.compare(f, scan.startPosition.file()) >= 0
                    && Inventory.FILE_ORDER.compare(f, scan.end.file()) <= 0) {
                copyTotal += f.equals(scan.end.file()) ? scan.end.offset() : Files.size(archiveDir.resolve(f));
            }
        }
        long copied = 0;
        for (String f : files) {
            if (Inventory.FILE_ORDER.compare(f, scan.startPosition.file()) < 0) {
                continue;
            }
            if (Inventory.FILE_ORDER.compare(f, scan.end.file()) > 0) {
                break;
            }
            long archived = Files.size(archiveDir.resolve(f));
            long length = f.equals(scan.end.file()) ? scan.end.offset() : archived;
            long before = copied;
            long total = copyTotal;
            copy(archiveDir.resolve(f), outDir.resolve(f), length, done -> progress.advanced("copy", before + done,
                    total));
            copied += length;
            out.add(new ExportedFile(f, length, length < archived));
        }
        // The output is checked as any binlog would be: a prefix cut anywhere but on a boundary is a bug here.
        for (ExportedFile e : out) {
            BinlogFileSummary s = BinlogFileSummary.scan(outDir.resolve(e.name()));
            if (!s.isValid() || s.endsInTransaction()) {
                throw new IllegalStateException("exported " + e.name() + " does not verify: " + s);
            }
        }
        return new Result(out, scan.startPosition, scan.end, scan.transactions, notes);
    }

    private static String describe(Start start) {
        if (start instanceof Start.At a) {
            return a.position().toString();
        }
        if (start instanceof Start.AfterGtid g) {
            return "after GTID " + g.gtid();
        }
        if (start instanceof Start.AtTime t) {
            return "at time " + t.time();
        }
        return "(the oldest file)";
    }

    /** Walks index entries across files in order, finding the start, then the stop. */
    private static final class Scan {
        private final Start start;
        private final Stop stop;
        private final long startSeconds;
        private final long stopSeconds;
        BinlogPosition startPosition;
        BinlogPosition end;
        BinlogPosition lastBoundary;
        long transactions;
        boolean done;
        String error;
        private boolean inStartGtid;
        private boolean inStopGtid;
        private boolean atBoundary = true;

        Scan(Start start, Stop stop) {
            this.start = start;
            this.stop = stop;
            this.startSeconds = start instanceof Start.AtTime t ? roundUp(t.time()) : 0;
            this.stopSeconds = stop instanceof Stop.BeforeTime t ? roundUp(t.time()) : 0;
        }

        private static long roundUp(Instant t) {
            return t.getEpochSecond() + (t.getNano() > 0 ? 1 : 0);
        }

        boolean accept(IndexEntry e) {
            if (startPosition == null) {
                findStart(e);
                if (error != null) {
                    done = true;
                    return false;
                }
            }
            if (startPosition != null && inRange(e)) {
                done = true;
                return false;
            }
            atBoundary = e.role().isBoundaryAfter();
            if (atBoundary) {
                lastBoundary = new BinlogPosition(e.file(), e.end());
            }
            return true;
        }

        private void findStart(IndexEntry e) {
            if (start instanceof Start.Oldest) {
                startPosition = BinlogPosition.startOf(e.file());
            } else if (start instanceof Start.At a) {
                BinlogPosition p = a.position();
                if (!e.file().equals(p.file()) || e.offset() < p.offset()) {
                    return;
                }
                if (e.offset() != p.offset()) {
                    error = p + " is not the start of an event (the event there starts at " + e.offset() + ")";
                } else if (!atBoundary && p.offset() != BinlogPosition.FIRST_EVENT_OFFSET) {
                    error = p + " is inside a transaction: start at a transaction's first event";
                } else {
                    startPosition = p;
                }
            } else if (start instanceof Start.AtTime) {
                if (e.startsTransaction() && e.timestamp() >= startSeconds) {
                    startPosition = new BinlogPosition(e.file(), e.offset());
                }
            } else if (start instanceof Start.AfterGtid g) {
                if (e.role() == EventRole.START && g.gtid().equals(gtidOf(e))) {
                    inStartGtid = true;
                } else if (inStartGtid && (e.role() == EventRole.END || e.role() == EventRole.COMPLETE)) {
                    inStartGtid = false;
                    // the range starts with whatever follows; this entry is still the old transaction's
                    startPosition = new BinlogPosition(e.file(), e.end());
                }
            }
        }

        /** Returns true when {@code e} is past the range (the cut is then set). */
        private boolean inRange(IndexEntry e) {
            if (e.offset() < startPosition.offset() && e.file().equals(startPosition.file())) {
                return false;
            }
            if (stop instanceof Stop.BeforeTime) {
                if (e.startsTransaction() && e.timestamp() >= stopSeconds) {
                    end = new BinlogPosition(e.file(), e.offset());
                    return true;
                }
            } else if (stop instanceof Stop.AfterGtid g) {
                if (e.role() == EventRole.START && g.gtid().equals(gtidOf(e))) {
                    inStopGtid = true;
                }
            }
            if (e.role() == EventRole.END || e.role() == EventRole.COMPLETE) {
                transactions++;
                if (inStopGtid) {
                    end = new BinlogPosition(e.file(), e.end());
                    return true;
                }
            }
            return false;
        }

        private static Object gtidOf(IndexEntry e) {
            return e.mysqlGtid() != null ? e.mysqlGtid() : e.mariaGtid();
        }
    }

    private static void prepareOutput(Path outDir) throws IOException, ExportException {
        if (Files.exists(outDir)) {
            if (!Files.isDirectory(outDir)) {
                throw new ExportException(outDir + " exists and is not a directory");
            }
            try (Stream<Path> s = Files.list(outDir)) {
                if (s.findAny().isPresent()) {
                    throw new ExportException(outDir + " is not empty: export writes into an empty directory");
                }
            }
        }
        Files.createDirectories(outDir);
    }

    private static void copy(Path from, Path to, long length, java.util.function.LongConsumer copied)
            throws IOException {
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long done = 0;
            while (done < length) {
                long n = in.transferTo(done, Math.min(COPY_CHUNK, length - done), out);
                if (n <= 0) {
                    throw new IOException(from + " shrank while it was exported (at " + done + " of " + length + ")");
                }
                done += n;
                copied.accept(done);
            }
            out.force(true);
        }
    }
}
