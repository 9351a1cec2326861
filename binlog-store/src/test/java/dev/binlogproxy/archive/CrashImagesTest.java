package dev.binlogproxy.archive;

import dev.binlogproxy.archive.CrashWorkloads.Workload;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crash images of the archive (docs/architecture.md, "Crash images"): each synthetic workload recorded through
 * {@link RecordingFileLayer} in both durabilities, a seeded sample of the states a kill -9 or a power loss could
 * leave at any point of it, each opened and held to {@link CrashImageCheck}. A failure line names the workload,
 * the seed and the image; {@link CrashImageRun#one} replays it.
 *
 * <p>The default run checks {@link #FSYNC_IMAGES} + {@link #WRITE_IMAGES} images per workload (about a minute and a
 * half on two cores); the soak ({@code mvn verify -pl binlog-store -DexcludedGroups= -Dgroups=soak
 * -Dtest='CrashImagesTest' -Dcrash.images.count=N}, default 10,000 per workload and mode) the same with another
 * seed each run unless {@code -Dcrash.images.seed} fixes it ({@code -Dcrash.images.workloads} picks workloads).
 */
class CrashImagesTest {
    /** The default run's sample; another seed is another sample (a failure names its seed). */
    static final long SEED = Long.getLong("crash.images.seed", 14L);
    static final int FSYNC_IMAGES = 500;
    static final int WRITE_IMAGES = 200;
    /** Share of images modelling kill -9 (the page cache survives); the rest model a power loss. */
    static final double KILL_SHARE = 0.2;
    private static final int THREADS = 2;

    @TempDir
    Path tmp;

    static Stream<Arguments> runs() {
        List<Arguments> out = new ArrayList<>();
        for (Workload w : Workload.values()) {
            out.add(Arguments.of(w, Durability.FSYNC, FSYNC_IMAGES));
            out.add(Arguments.of(w, Durability.WRITE, WRITE_IMAGES));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} in {1}: {2} images")
    @MethodSource("runs")
    void everyImageOpensServesNothingTornAndKeepsWhatTheModePromises(Workload workload, Durability durability,
                                                                     int count) throws Exception {
        sweep(workload, durability, SEED, count);
    }

    @Test
    @Tag("soak")
    void manyMoreImages() throws Exception {
        int count = Integer.getInteger("crash.images.count", 10_000);
        long seed = Long.getLong("crash.images.seed", System.nanoTime());
        // Chronicle keeps every queue a JVM ever opened in a global list it walks at each new queue
        // (CleaningThreadLocal's orphan tracking), so a JVM gets slower with each image: past ~10,000 images run
        // the workloads in JVMs of their own, -Dcrash.images.workloads=LARGE_EVENTS,...
        String only = System.getProperty("crash.images.workloads", "");
        for (Workload w : Workload.values()) {
            if (!only.isEmpty() && !List.of(only.split(",")).contains(w.name())) {
                continue;
            }
            for (Durability d : Durability.values()) {
                sweep(w, d, seed, count);
            }
        }
    }

    /**
     * Write mode syncs nothing per transaction, but every file it leaves is synced before the next one is created:
     * what keeps a power loss's damage in the newest file, the only one recovery scans (a bug the images found:
     * an older file was served torn).
     */
    @ParameterizedTest
    @MethodSource("workloads")
    void writeModeSyncsEachFileBeforeTheNextExists(Workload workload) throws Exception {
        CrashLog log = CrashWorkloads.record(workload, Durability.WRITE, tmp.resolve("archive"));
        String writing = null;
        boolean syncedSinceWrite = true;
        int creates = 0;
        for (CrashLog.Op op : log.ops()) {
            if (op instanceof CrashLog.Write w && w.file().startsWith("mysql-bin.")) {
                writing = w.file();
                syncedSinceWrite = false;
            } else if (op instanceof CrashLog.Sync s && s.file().equals(writing)) {
                syncedSinceWrite = true;
            } else if (op instanceof CrashLog.Truncate t && t.file().equals(writing)) {
                syncedSinceWrite = false;
            } else if (op instanceof CrashLog.Create c && c.file().startsWith("mysql-bin.") && writing != null) {
                assertTrue(syncedSinceWrite, writing + " was not synced before " + c.file() + " was created");
                creates++;
            }
        }
        assertTrue(creates >= 1, "the workload rotates");
    }

    static Stream<Workload> workloads() {
        return Stream.of(Workload.values());
    }

    private void sweep(Workload workload, Durability durability, long seed, int count) throws Exception {
        long start = System.nanoTime();
        CrashLog log = CrashWorkloads.record(workload, durability, tmp.resolve("recorded-" + workload + durability));
        CrashImageCheck.Tally tally = CrashImageRun.run(log, durability, seed, count, KILL_SHARE, THREADS,
                tmp.resolve("images-" + workload + durability));
        // the report's numbers (docs/testing.md): the surefire output keeps them
        System.out.printf("crash images %s %s seed %d: %s; log %s; %.1f s%n", workload, durability, seed, tally,
                log.summary(), (System.nanoTime() - start) / 1e9);
        assertTrue(tally.failures.isEmpty(), () -> workload + " " + durability + " seed " + seed + ": "
                + tally.failures.size() + " of " + count + " images fail, first ones:\n"
                + String.join("\n", tally.failures.subList(0, Math.min(10, tally.failures.size()))));
        assertEquals(count, tally.images.get());
        assertTrue(tally.models.containsKey(CrashImages.Model.POWER_LOSS.name())
                && tally.models.containsKey(CrashImages.Model.PROCESS_KILL.name()), tally::toString);
        assertTrue(tally.acksChecked.get() > 0, "the images hold acknowledged transactions: " + tally);
        if (durability == Durability.WRITE) {
            // what write mode does not promise, seen to happen: a power loss takes back acknowledged transactions
            assertTrue(tally.unpromisedAcksLost.get() > 0, tally::toString);
        }
        if (workload == Workload.MARIADB_PURGE_ADOPT && durability == Durability.FSYNC) {
            assertTrue(tally.adoptsPresent.get() > 0 && tally.adoptsAbsent.get() > 0,
                    "images cut during the adopt find it there and not there: " + tally);
        }
    }
}
