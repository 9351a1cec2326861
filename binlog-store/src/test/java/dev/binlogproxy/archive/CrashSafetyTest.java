package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.file.BinlogFileSummary;
import dev.binlogproxy.binlog.position.BinlogPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * kill -9 of a writing process at random moments never costs an acknowledged transaction, and what is left is a
 * byte-identical prefix of what was being written, cut on a transaction boundary, with an index that agrees.
 *
 * <p>A child JVM ({@link Writer}) mirrors an endless stream of real fixture bytes ({@link Dump#streamFile}: files
 * alternating between a small one and one with a 70 KB event, so kills land in the middle of multi-page writes,
 * file creations and rotations) in FSYNC mode, without waiting for acks, and prints every position whose durable
 * future completed. The parent kills it, reopens the archive and checks.
 */
class CrashSafetyTest {
    private static final int ITERATIONS = 20;
    private static final String SCENARIO = Dump.MYSQL_GTID;

    @TempDir
    Path tmp;

    private final Map<Integer, byte[]> expected = new HashMap<>();

    private byte[] expected(int k) {
        return expected.computeIfAbsent(k, n -> Dump.streamFile(SCENARIO, n));
    }

    /** The child: writes until killed (or, as a safety net, for 30 s). */
    public static final class Writer {
        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
            // stdout carries the acks only: logging (logback's console default) goes to stderr, WARN and up.
            System.setOut(System.err);
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                    .setLevel(ch.qos.logback.classic.Level.WARN);
            long stopAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            try (BinlogArchive a = BinlogArchive.open(dir)) {
                a.checkIdentity(Dump.identity(SCENARIO));
                ArchiveWriter w = a.writer();
                for (int k = 1; System.nanoTime() < stopAt; k++) {
                    List<Appended> appended = Dump.feedFile(w, Dump.streamName(k), Dump.streamFile(SCENARIO, k));
                    for (int i = 0; i < appended.size(); i++) {
                        Appended ap = appended.get(i);
                        if (ap.durable() != null) {
                            // A rotation's FDE and ROTATE (first and last event of every stream file) are durable
                            // when acknowledged, readable only with the next file's head: the parent checks them
                            // against the files on disk, everything else against what readers see.
                            String kind = i == 0 || i == appended.size() - 1 ? "R" : "T";
                            ap.durable().thenAccept(p -> {
                                synchronized (out) {
                                    out.println("ACK " + p.file() + " " + p.offset() + " " + kind);
                                }
                            });
                        }
                    }
                }
            }
        }
    }

    @Test
    void killNineNeverLosesAnAcknowledgedTransaction() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int cut = 0;
        int rebuilt = 0;
        long totalAcks = 0;
        int lagging = 0;
        int midRotation = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            Path dir = tmp.resolve("run" + i);
            int delayMs = random.nextInt(400);
            String context = "iteration " + i + " (seed " + seed + ", killed " + delayMs + " ms after the first ack)";
            List<Ack> acks = runAndKill(dir, delayMs, context);
            totalAcks += acks.size();
            // what `verify` sees of a killed writer's archive before anything repairs it: no damage, at most a
            // torn tail and an index that lags
            VerifyReport inPlace = BinlogArchive.verifyInPlace(dir);
            assertTrue(inPlace.ok(), context + ": " + inPlace + " notes " + inPlace.notes());
            lagging += inPlace.notes().stream().anyMatch(n -> n.startsWith("index journal ends before")) ? 1 : 0;
            try (BinlogArchive a = BinlogArchive.open(dir)) {
                cut += a.recovery().actions().isEmpty() ? 0 : 1;
                rebuilt += a.index().outcome() == IndexJournal.Outcome.IN_SYNC ? 0 : 1;
                // killed between a ROTATE and the next file's head: the ROTATE held, the next file unlisted or absent
                midRotation += a.resumePosition().orElseThrow().offset() == 4
                        || Files.exists(dir.resolve(Dump.streamName(a.files().size() + 1))) ? 1 : 0;
                checkRecovered(a, dir, acks, context);
                resumeAndFinish(a, dir, context);
            }
        }
        System.out.printf("crash test: %d kills, %d acks checked, %d recoveries cut a tail, %d index repairs,"
                + " %d in-place verifies saw the index lag, %d kills mid-rotation%n", ITERATIONS, totalAcks, cut,
                rebuilt, lagging, midRotation);
    }

    /** A durable future that completed; {@code rotation}: a file's FDE or ROTATE. */
    private record Ack(BinlogPosition position, boolean rotation) {
    }

    private List<Ack> runAndKill(Path dir, int delayMs, String context) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("--add-exports") || arg.startsWith("-Dchronicle.")) {
                cmd.add(arg);
            }
        }
        cmd.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), Writer.class.getName(), dir.toString()));
        Process child = new ProcessBuilder(cmd).redirectError(dir.resolveSibling(dir.getFileName() + ".err").toFile())
                .start();
        List<Ack> acks = new ArrayList<>();
        CountDownLatch firstAck = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            // Only newline-terminated lines count: the kill may cut the last one short.
            try (var in = child.getInputStream()) {
                StringBuilder line = new StringBuilder();
                for (int c = in.read(); c >= 0; c = in.read()) {
                    if (c != '\n') {
                        line.append((char) c);
                        continue;
                    }
                    String[] f = line.toString().split(" ");
                    line.setLength(0);
                    if (f.length == 4 && f[0].equals("ACK")) {
                        synchronized (acks) {
                            acks.add(new Ack(new BinlogPosition(f[1], Long.parseLong(f[2])), f[3].equals("R")));
                        }
                        firstAck.countDown();
                    }
                }
            } catch (Exception ignored) {
                // the pipe closes when the child dies
            }
        });
        reader.start();
        try {
            if (!firstAck.await(30, TimeUnit.SECONDS)) {
                fail(context + ": the child acknowledged nothing; its stderr: "
                        + Files.readString(dir.resolveSibling(dir.getFileName() + ".err")));
            }
            Thread.sleep(delayMs);
        } finally {
            child.destroyForcibly(); // SIGKILL
            child.waitFor();
        }
        reader.join();
        synchronized (acks) {
            return new ArrayList<>(acks);
        }
    }

    private void checkRecovered(BinlogArchive a, Path dir, List<Ack> acks, String context)
            throws Exception {
        List<ArchivedFile> files = a.files();
        assertFalse(files.isEmpty(), context);
        for (int k = 1; k <= files.size(); k++) {
            assertEquals(Dump.streamName(k), files.get(k - 1).name(), context);
            byte[] archived = Files.readAllBytes(dir.resolve(Dump.streamName(k)));
            byte[] want = expected(k);
            if (k < files.size()) {
                assertArrayEquals(want, archived, context + ": finished file " + k);
            } else {
                assertTrue(archived.length <= want.length, context);
                assertArrayEquals(Arrays.copyOf(want, archived.length), archived,
                        context + ": the newest file is a prefix of what was written");
                BinlogFileSummary s = BinlogFileSummary.scan(dir.resolve(Dump.streamName(k)));
                assertTrue(s.isValid() && !s.endsInTransaction() && s.lastBoundary() == archived.length,
                        context + ": the newest file ends on a transaction boundary: " + s);
            }
        }
        String newest = files.get(files.size() - 1).name();
        long newestSize = files.get(files.size() - 1).size();
        // Listed only with its head: a file after the newest listed one holds exactly its FDE.
        String after = Dump.streamName(files.size() + 1);
        int fdeSize = Dump.events(expected(files.size() + 1)).get(0).event().eventSize();
        if (Files.exists(dir.resolve(after))) {
            assertArrayEquals(Arrays.copyOf(expected(files.size() + 1), 4 + fdeSize),
                    Files.readAllBytes(dir.resolve(after)), context + ": the unlisted file holds its FDE");
            assertEquals(Optional.of(new BinlogPosition(after, 4 + fdeSize)), a.resumePosition(), context);
        }
        for (Ack ack : acks) {
            BinlogPosition p = ack.position();
            int byFile = Inventory.FILE_ORDER.compare(p.file(), newest);
            if (ack.rotation()) {
                // durable, maybe held from readers (a ROTATE, an unlisted file's FDE)
                assertTrue(Files.exists(dir.resolve(p.file())) && Files.size(dir.resolve(p.file())) >= p.offset(),
                        context + ": acknowledged " + p + " is not on disk");
            } else {
                assertTrue(byFile < 0 || byFile == 0 && p.offset() <= newestSize, context + ": acknowledged "
                        + p + " is not readable (archive ends at " + newest + ":" + newestSize + ")");
            }
        }
        VerifyReport report = a.verify();
        assertTrue(report.ok(), context + ": " + report);
    }

    /** The dump resumes where recovery says and the file it was in ends up whole. */
    private void resumeAndFinish(BinlogArchive a, Path dir, String context) throws Exception {
        BinlogPosition resume = a.resumePosition().orElseThrow();
        int k = (int) resume.fileSequence();
        byte[] want = expected(k);
        ArchiveWriter w = a.writer();
        if (resume.offset() == 4) {
            Dump.feedFile(w, resume.file(), want);
        } else {
            List<Dump.Positioned> events = Dump.events(want);
            w.startFile(resume.file(), resume.offset());
            w.appendFormatDescription(Dump.asResumeSends(events.get(0).event()));
            for (Dump.Positioned p : events) {
                if (p.offset() >= resume.offset()) {
                    w.append(p.event());
                }
            }
        }
        assertArrayEquals(want, Files.readAllBytes(dir.resolve(resume.file())), context + ": resumed file");
        assertEquals(Optional.of(BinlogPosition.startOf(Dump.streamName(k + 1))), a.resumePosition(), context);
    }
}
