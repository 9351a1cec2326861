package dev.binlogproxy.archive;

import dev.binlogproxy.archive.CrashWorkloads.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The crash images that found a bug, kept: each test checks images aimed at the state that failed (a cut where it
 * happened, the index journal's fate fixed) and asserts both that they pass and that the state was reached (so a
 * changed workload cannot make one pass by testing something else). The sample is seeded; the log's sync count
 * varies a little between recordings (the commit thread may sync a round the upstream's inline sync already
 * covered), which is why a test aims at a kind of cut rather than at one image number.
 */
class CrashImageRegressionTest {
    private static final long SEED = 20261203L;

    @TempDir
    Path tmp;

    /**
     * A power loss wrote the newest file's unsynced tail back out of order: a hole, then valid events. Recovery
     * refused to open ("valid data follows"): now it cuts at the hole and keeps the cut bytes aside. Images cut just
     * before a sync of the file (the most unsynced writes), every write kept, lost or torn on its own.
     */
    @Test
    void aHoleInTheUnsyncedTailIsCutNotRefused() throws Exception {
        CrashLog log = CrashWorkloads.record(Workload.MYSQL_ROTATIONS, Durability.WRITE, tmp.resolve("rec"));
        List<Integer> cuts = cutsBefore(log, op -> op instanceof CrashLog.Sync s && s.file().startsWith("mysql-bin"));
        CrashImageCheck.Tally tally = check(log, Durability.WRITE, cuts, 300, CrashImages.Model.POWER_LOSS, null);
        assertTrue(count(tally.recoveryActions, "kept aside") > 0, tally::toString);
    }

    /**
     * The new master's first file after an adopt holding only its FDE: recovery looked for a ROTATE to it at the end
     * of the file before, the handover file, whose ROTATE the adopt had cut, and threw on the bytes it found there
     * (MalformedEventException from the open).
     */
    @Test
    void theAdoptedMastersFirstFileWithOnlyItsHeadOpens() throws Exception {
        CrashLog log = CrashWorkloads.record(Workload.MARIADB_PURGE_ADOPT, Durability.FSYNC, tmp.resolve("rec"));
        List<CrashLog.Op> ops = log.ops();
        int adopted = ops.indexOf(new CrashLog.Note(CrashImageCheck.ADOPTED));
        int headSynced = -1;
        for (int i = adopted; i < ops.size() && headSynced < 0; i++) {
            if (ops.get(i) instanceof CrashLog.Sync s && s.file().equals("mysql-bin.000005")) {
                headSynced = i;
            }
        }
        assertTrue(adopted > 0 && headSynced > adopted, "the workload adopts and starts mysql-bin.000005");
        List<Integer> cuts = new ArrayList<>();
        for (int i = headSynced + 1; i <= headSynced + 2; i++) {
            cuts.add(i);
        }
        // kill -9 right after the head's sync: the file is there with its FDE and nothing more, in every image
        CrashImageCheck.Tally killed = check(log, Durability.FSYNC, cuts, 40, CrashImages.Model.PROCESS_KILL, null);
        CrashImageCheck.Tally lost = check(log, Durability.FSYNC, cuts, 60, CrashImages.Model.POWER_LOSS, null);
        assertTrue(killed.images.get() == 40 && lost.images.get() == 60 && killed.acksChecked.get() > 0,
                killed::toString);
    }

    /**
     * The index journal as a power loss leaves it (pages never synced, written back in any order): a lost header
     * page made Chronicle throw an AssertionError that the open took for a JVM without the flags Chronicle needs
     * (the archive refused to open); a page lost before the last entry left a journal whose last entry checked out
     * but which no forward read got through (verify and lookups failed after the open), or, lost inside the last
     * document, a last entry that decoded from the zeros and still checked out against its file; a cycle file
     * without a header made the read-only verify wait 10 s. Each is now rebuilt at open, or reported by verify at
     * once.
     */
    @Test
    void aJournalGarbledByAPowerLossIsRebuilt() throws Exception {
        CrashLog log = CrashWorkloads.record(Workload.MYSQL_ROTATIONS, Durability.FSYNC, tmp.resolve("rec"));
        List<Integer> cuts = cutsBefore(log, op -> op instanceof CrashLog.IndexSnapshot);
        cuts.add(log.ops().size());
        long start = System.nanoTime();
        CrashImageCheck.Tally tally = check(log, Durability.FSYNC, cuts, 150, CrashImages.Model.POWER_LOSS,
                CrashImages.IndexFate.GARBLED);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(count(tally.indexReasons, "journal does not open or take writes") > 0, tally::toString);
        assertTrue(count(tally.indexReasons, "has no header") > 0, tally::toString);
        assertTrue(seconds < 60, "150 images in " + seconds + " s: something waits on the journal");

        // A page lost before the journal's last one needs a journal of many pages: a document per commit round,
        // a round per transaction here.
        CrashLog many = CrashWorkloads.record(Workload.MANY_TRANSACTIONS, Durability.FSYNC, tmp.resolve("many"));
        List<Integer> manyCuts = cutsBefore(many, op -> op instanceof CrashLog.IndexSnapshot);
        manyCuts.add(many.ops().size());
        CrashImageCheck.Tally pages = check(many, Durability.FSYNC, manyCuts, 100, CrashImages.Model.POWER_LOSS,
                CrashImages.IndexFate.GARBLED);
        // the hole stops the forward read, or falls inside a document, whose checksum then fails
        assertTrue(count(pages.indexReasons, "journal read forward") > 0, pages::toString);
    }

    private static List<Integer> cutsBefore(CrashLog log, Predicate<CrashLog.Op> at) {
        List<Integer> out = new ArrayList<>();
        List<CrashLog.Op> ops = log.ops();
        for (int i = 0; i < ops.size(); i++) {
            if (at.test(ops.get(i))) {
                out.add(i);
            }
        }
        return out;
    }

    /** {@code count} images at the given cuts (round robin), seeded; fails on any failing image. */
    private CrashImageCheck.Tally check(CrashLog log, Durability durability, List<Integer> cuts, int count,
                                        CrashImages.Model model, CrashImages.IndexFate index) throws Exception {
        assertTrue(!cuts.isEmpty(), "no cut of that kind in the log");
        Random r = new Random(SEED);
        List<CrashImages.Spec> specs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            specs.add(new CrashImages.Spec(i, cuts.get(i % cuts.size()), model, r.nextLong(), index));
        }
        CrashImageCheck.Tally tally = new CrashImageCheck.Tally();
        Path scratch = tmp.resolve("images-" + System.nanoTime());
        CrashImages.sweep(log, specs, image -> CrashImageRun.checkOne(image, durability, scratch, tally));
        assertTrue(tally.failures.isEmpty(), () -> tally.failures.size() + " failing:\n"
                + String.join("\n", tally.failures.subList(0, Math.min(5, tally.failures.size()))));
        return tally;
    }

    private static long count(Map<String, AtomicLong> kinds, String containing) {
        return kinds.entrySet().stream().filter(e -> e.getKey().contains(containing))
                .mapToLong(e -> e.getValue().get()).sum();
    }
}
