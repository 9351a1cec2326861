package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.position.BinlogPosition;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every crash image must satisfy once the archive is opened on it (recovery): the issue's checks, one image
 * at a time, each failure a line naming the image (which {@link CrashImages#spec} replays).
 * <ol>
 *   <li>{@code verifyInPlace} (the read-only {@code verify}) on the image as the crash left it names damage in no
 *       file but the newest (the torn tail a power loss leaves, which recovery cuts).</li>
 *   <li>The archive opens.</li>
 *   <li>Every binlog file left on disk is a byte prefix of what the run wrote to it: recovery left nothing torn.</li>
 *   <li>A reader from the oldest file's start gets exactly the run's bytes at every position: nothing after a torn
 *       or missing part is served.</li>
 *   <li>Where the durability promises it ({@code FSYNC}, or any mode against kill -9), every transaction
 *       acknowledged before the cut is served whole (a rotation's FDE or ROTATE: on disk); a file retention
 *       deleted before the cut, and what an adopt that holds cut (the dead master's held ROTATE, its begun file),
 *       are excused.</li>
 *   <li>{@code verify} after the open passes: the files, and the index journal against them (it was caught up or
 *       rebuilt whatever it was).</li>
 *   <li>An adopt is all or nothing: the epochs recorded are those before it or those after it, and after it if the
 *       adopt had returned before the cut; {@code verify} holds the files to the record.</li>
 * </ol>
 */
public final class CrashImageCheck {
    /** Notes a workload logs ({@link RecordingFileLayer#note}) for the adopt check. */
    public static final String IDENTITY_RECORDED = "identity recorded";
    public static final String ADOPTING = "adopting";
    public static final String ADOPTED = "adopted";

    /** Counts over many images, for the closing report; thread-safe. */
    public static final class Tally {
        public final AtomicLong images = new AtomicLong();
        public final AtomicLong acksChecked = new AtomicLong();
        /** Acks of images whose durability does not promise them (write mode, power loss) found missing. */
        public final AtomicLong unpromisedAcksLost = new AtomicLong();
        public final AtomicLong recoveriesActing = new AtomicLong();
        public final AtomicLong adoptsPresent = new AtomicLong();
        public final AtomicLong adoptsAbsent = new AtomicLong();
        /**
         * Images whose unsynced tail of a binlog_checksum=NONE file was torn inside an event body: nothing in the
         * format can tell, so it is opened and served as it is (docs/architecture.md, "Crash images"). Counted, not
         * failed, and only past the file's durable length: a difference before it fails.
         */
        public final AtomicLong undetectableTears = new AtomicLong();
        public final Map<String, AtomicLong> indexOutcomes = new ConcurrentHashMap<>();
        public final Map<String, AtomicLong> models = new ConcurrentHashMap<>();
        public final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        /** What recovery did, by kind (cut a tail, deleted a begun file, ...; "kept aside": data after damage). */
        public final Map<String, AtomicLong> recoveryActions = new ConcurrentHashMap<>();
        /** Why the index journal was caught up or rebuilt at open, by kind. */
        public final Map<String, AtomicLong> indexReasons = new ConcurrentHashMap<>();
        /** Failures by kind (the message with its numbers blanked): what a report groups them by. */
        public final Map<String, AtomicLong> failureKinds = new ConcurrentHashMap<>();

        void count(Map<String, AtomicLong> m, String key) {
            m.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
        }

        @Override
        public String toString() {
            return images + " images (" + new TreeMap<>(models) + "), " + acksChecked + " acks checked, "
                    + failures.size() + " failing; recovery acted on " + recoveriesActing + "; index at open "
                    + new TreeMap<>(indexOutcomes) + "; adopt present " + adoptsPresent + ", absent " + adoptsAbsent
                    + (unpromisedAcksLost.get() > 0 ? "; acks not promised by the mode, lost: " + unpromisedAcksLost
                    : "") + (undetectableTears.get() > 0 ? "; torn past the durable end in a file without checksums"
                    + " (undetectable): " + undetectableTears : "") + "; recovery " + new TreeMap<>(recoveryActions)
                    + "; index " + new TreeMap<>(indexReasons);
        }
    }

    private CrashImageCheck() {
    }

    /**
     * Checks the image materialized in {@code dir}.
     *
     * @param durability the mode the run wrote in: in {@code WRITE} acks are promised only against kill -9
     * @return the failures, each naming the image
     */
    public static List<String> check(CrashImages.Image image, Path dir, Durability durability, Tally tally) {
        List<String> failures = new ArrayList<>();
        String what = image.describe();
        tally.images.incrementAndGet();
        tally.count(tally.models, image.spec().model().name());
        boolean acksPromised = durability == Durability.FSYNC
                || image.spec().model() == CrashImages.Model.PROCESS_KILL;
        try {
            VerifyReport inPlace = BinlogArchive.verifyInPlace(dir);
            List<String> onDisk = Recovery.binlogFiles(dir, null);
            String newest = onDisk.isEmpty() ? null : onDisk.get(onDisk.size() - 1);
            for (String problem : inPlace.fileProblems()) {
                // the crash's torn tail: only the newest file (the only one written since its last sync)
                if (newest == null || !problem.startsWith(newest + ":")) {
                    failures.add("verify in place names damage before the newest file: " + problem);
                }
            }
            try (BinlogArchive a = BinlogArchive.open(dir, Durability.FSYNC)) {
                if (!a.recovery().actions().isEmpty()) {
                    tally.recoveriesActing.incrementAndGet();
                }
                for (String action : a.recovery().actions()) {
                    tally.count(tally.recoveryActions, kind(action.replaceAll("\\(.*", "").replaceAll(
                            "mysql-bin\\.[0-9]+", "FILE")) + (action.contains("kept in") ? ", kept aside" : ""));
                }
                tally.count(tally.indexOutcomes, String.valueOf(a.index().outcome()));
                if (!a.index().outcomeReason().isEmpty()) {
                    tally.count(tally.indexReasons, kind(a.index().outcomeReason().replaceAll("[(:,].*", "")
                            .replaceAll("mysql-bin\\.[0-9]+", "FILE")));
                }
                Set<String> tornUndetectably = new HashSet<>();
                checkFilesArePrefixes(image, dir, tornUndetectably, failures);
                Map<String, Long> served = checkServed(image, a, tornUndetectably, failures);
                if (!tornUndetectably.isEmpty()) {
                    tally.undetectableTears.incrementAndGet();
                }
                checkAcks(image, dir, served, acksPromised, a.epochs(), tally, failures);
                VerifyReport report = a.verify();
                if (!report.ok()) {
                    failures.add("verify after open: " + report);
                }
                checkEpochs(image, a, tally, failures);
            }
        } catch (Exception | AssertionError e) {
            failures.add("threw " + e + " at " + where(e));
        }
        List<String> named = new ArrayList<>();
        for (String f : failures) {
            named.add(what + ": " + f);
            tally.count(tally.failureKinds, kind(f));
        }
        tally.failures.addAll(named);
        return named;
    }

    /**
     * Whether a difference at {@code offset} of {@code name} is one no reader can see: past what the file had
     * synced, in a file whose events carry no checksum (a lost sector inside an event body reads as zeros, and the
     * event still parses).
     */
    private static boolean undetectable(CrashImages.Image image, String name, long offset, byte[] ref) {
        return offset >= image.durableLength(name) && ref.length > BinlogPosition.FIRST_EVENT_OFFSET
                && Dump.checksum(ref) == ChecksumAlgorithm.OFF;
    }

    private static void checkFilesArePrefixes(CrashImages.Image image, Path dir, Set<String> tornUndetectably,
                                              List<String> failures) throws Exception {
        for (String name : Recovery.binlogFiles(dir, null)) {
            byte[] disk = Files.readAllBytes(dir.resolve(name));
            byte[] ref = image.reference(name);
            if (ref == null) {
                failures.add(name + " is on disk but the run never wrote it");
                continue;
            }
            int n = Math.min(disk.length, ref.length);
            int mismatch = Arrays.mismatch(disk, 0, n, ref, 0, n);
            if (mismatch >= 0 && disk.length <= ref.length && undetectable(image, name, mismatch, ref)) {
                tornUndetectably.add(name);
                continue;
            }
            if (mismatch >= 0 || disk.length > ref.length) {
                failures.add(name + " after recovery (" + disk.length + " bytes) is not a prefix of what was written"
                        + " to it (" + ref.length + " bytes): " + (mismatch >= 0 ? "differs at " + mismatch
                        : "longer"));
            }
        }
    }

    /** Reads everything readable; returns how far each file was served. */
    private static Map<String, Long> checkServed(CrashImages.Image image, BinlogArchive a,
                                                 Set<String> tornUndetectably, List<String> failures)
            throws Exception {
        Map<String, Long> served = new HashMap<>();
        List<ArchivedFile> files = a.files();
        if (files.isEmpty()) {
            return served;
        }
        Map<String, byte[]> refs = new HashMap<>();
        try (ArchiveReader r = a.openReader(BinlogPosition.startOf(files.get(0).name()))) {
            for (BinlogEvent e = r.next(); e != null; e = r.next()) {
                BinlogPosition end = r.position();
                long start = end.offset() - e.eventSize();
                byte[] ref = refs.computeIfAbsent(end.file(), image::reference);
                ByteBuffer bytes = e.bytes();
                byte[] got = new byte[bytes.remaining()];
                bytes.get(got);
                int differs = ref == null || end.offset() > ref.length ? 0
                        : Arrays.mismatch(got, 0, got.length, ref, (int) start, (int) end.offset());
                if (differs >= 0 && ref != null && tornUndetectably.contains(end.file())
                        && undetectable(image, end.file(), start + differs, ref)) {
                    return served; // counted above; what follows in the file is no more reliable
                }
                if (differs >= 0) {
                    failures.add("served " + e.type() + " at " + end.file() + ":" + start + " is not what was written"
                            + " there");
                    return served;
                }
                served.merge(end.file(), end.offset(), Math::max);
            }
        }
        return served;
    }

    private static void checkAcks(CrashImages.Image image, Path dir, Map<String, Long> served, boolean promised,
                                  List<MasterEpoch> epochs, Tally tally, List<String> failures) throws Exception {
        List<String> missing = new ArrayList<>();
        Epochs history = new Epochs(epochs);
        for (CrashLog.Ack ack : image.acks()) {
            Path file = dir.resolve(ack.file());
            if (image.deletedBeforeCut(ack.file()) && !Files.exists(file)) {
                continue; // purged by retention before the cut
            }
            if (ack.control() && cutByAdopt(history, ack)) {
                continue; // the dead master's held ROTATE or begun file: an adopt that holds removes them
            }
            boolean there = ack.control()
                    ? Files.exists(file) && Files.size(file) >= ack.end()
                    : served.getOrDefault(ack.file(), 0L) >= ack.end();
            if (promised) {
                tally.acksChecked.incrementAndGet();
                if (!there) {
                    missing.add(ack.file() + ":" + ack.end() + (ack.control() ? " (control)" : ""));
                }
            } else if (!there) {
                tally.unpromisedAcksLost.incrementAndGet();
            }
        }
        if (!missing.isEmpty()) {
            failures.add(missing.size() + " acknowledged transactions missing, first " + missing.get(0)
                    + " (served: " + new TreeMap<>(served) + ")");
        }
    }

    /**
     * Whether an adopt recorded in the opened archive removed what the control ack was for: a ROTATE past the
     * handover's end of the previous master's data, or the FDE of a file lying between the epochs.
     */
    private static boolean cutByAdopt(Epochs history, CrashLog.Ack ack) {
        if (history.leftoverOf(ack.file()).isPresent()) {
            return true;
        }
        for (MasterEpoch e : history.list()) {
            if (e.handover().isPresent()) {
                BinlogPosition end = e.handover().get().previousEnd();
                if (end.file().equals(ack.file()) && ack.end() > end.offset()) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void checkEpochs(CrashImages.Image image, BinlogArchive a, Tally tally, List<String> failures) {
        List<String> notes = image.notes();
        int atLeast = (notes.contains(IDENTITY_RECORDED) ? 1 : 0) + count(notes, ADOPTED);
        int atMost = (notes.contains(IDENTITY_RECORDED) ? 1 : 0) + count(notes, ADOPTING);
        int got = a.epochs().size();
        if (got < atLeast || got > atMost + (notes.contains(IDENTITY_RECORDED) ? 0 : 1)) {
            failures.add(got + " epochs recorded; expected " + (atLeast == atMost ? atLeast : atLeast + ".." + atMost));
        }
        if (atMost > atLeast) {
            (got > atLeast ? tally.adoptsPresent : tally.adoptsAbsent).incrementAndGet();
        }
    }

    /** The innermost frames of the project's code, for a failure line that says where without a stack dump. */
    private static String where(Throwable e) {
        List<String> frames = new ArrayList<>();
        for (StackTraceElement f : e.getStackTrace()) {
            if (f.getClassName().startsWith("dev.binlogproxy.") && frames.size() < 3) {
                frames.add(f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "."
                        + f.getMethodName() + ":" + f.getLineNumber());
            }
        }
        return String.join(" < ", frames);
    }

    private static String kind(String failure) {
        String k = failure.replaceAll("[0-9]+", "N").replaceAll("0x[0-9a-fN]+", "X");
        return k.length() > 160 ? k.substring(0, 160) : k;
    }

    private static int count(List<String> notes, String what) {
        return (int) notes.stream().filter(what::equals).count();
    }
}
