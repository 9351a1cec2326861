package dev.binlogproxy.archive;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Runs a sample of crash images of a recorded log through {@link CrashImageCheck}: each worker thread replays the
 * log itself and materializes, opens and checks its share of the images one at a time in a scratch directory.
 * Public for the tests of the modules above.
 */
public final class CrashImageRun {
    private CrashImageRun() {
    }

    /**
     * @param durability the mode the log was recorded in
     * @param scratch    a directory for the images (each is deleted after its check)
     * @return the tally; its failures name each failing image's number, which {@link #one} replays
     */
    public static CrashImageCheck.Tally run(CrashLog log, Durability durability, long seed, int count,
                                            double processKillShare, int threads, Path scratch) throws Exception {
        CrashImageCheck.Tally tally = new CrashImageCheck.Tally();
        List<CrashImages.Spec> specs = CrashImages.sample(log, seed, count, processKillShare);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int worker = t;
                List<CrashImages.Spec> share = new ArrayList<>();
                for (CrashImages.Spec s : specs) {
                    if (s.number() % threads == worker) {
                        share.add(s);
                    }
                }
                done.add(pool.submit(() -> {
                    CrashImages.sweep(log, share, image -> checkOne(image, durability, scratch, tally));
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return tally;
    }

    /**
     * {@code count} images cut at {@code cuts} (in turn), numbered from {@code firstNumber}, into {@code tally}: for a
     * stretch of the log a random sample reaches too rarely to count on (an adopt is a few ops of a thousand).
     */
    public static void runAt(CrashLog log, Durability durability, long seed, List<Integer> cuts, int count,
                             int firstNumber, double processKillShare, Path scratch, CrashImageCheck.Tally tally)
            throws Exception {
        Random r = new Random(seed);
        List<CrashImages.Spec> specs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            specs.add(CrashImages.at(r, firstNumber + i, cuts.get(i % cuts.size()), processKillShare, null));
        }
        CrashImages.sweep(log, specs, image -> checkOne(image, durability, scratch, tally));
    }

    /** Image {@code number} of the sample {@code seed}, alone: to replay a failure. */
    public static CrashImageCheck.Tally one(CrashLog log, Durability durability, long seed, int number,
                                            double processKillShare, Path scratch) throws Exception {
        CrashImageCheck.Tally tally = new CrashImageCheck.Tally();
        CrashImages.sweep(log, List.of(CrashImages.spec(log, seed, number, processKillShare)),
                image -> checkOne(image, durability, scratch, tally));
        return tally;
    }

    static void checkOne(CrashImages.Image image, Durability durability, Path scratch,
                                 CrashImageCheck.Tally tally) throws IOException {
        Path dir = scratch.resolve("image-" + image.spec().number());
        image.materialize(dir);
        try {
            CrashImageCheck.check(image, dir, durability, tally);
        } finally {
            delete(dir);
        }
    }

    static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
