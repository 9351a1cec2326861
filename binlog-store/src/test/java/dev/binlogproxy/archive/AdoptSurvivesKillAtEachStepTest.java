package dev.binlogproxy.archive;

import dev.binlogproxy.archive.Failovers.Pair;
import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.position.BinlogPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.binlogproxy.archive.Failovers.name;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * kill -9 between any two steps of an adopt ({@link Adoption.Step}) reopens to one consistent state: before the
 * record is written, the adopt is wholly absent (the old master's files as they were, a retry adopts); from the
 * record on, it is wholly there (recovery finishes the cut from the record). Either way the new master's files then
 * follow, readers cross, and verify is clean.
 *
 * <p>A child JVM ({@link Adopter}) builds the worst case a dead master leaves (its last file ends with a ROTATE to
 * a file it only began: FDE durable, never listed) and adopts with a step listener that, at the step under test,
 * says so on stdout and waits to be killed.
 */
class AdoptSurvivesKillAtEachStepTest {
    private static final Pair PAIR = Pair.MYSQL;

    @TempDir
    Path tmp;

    /** The child: prepares the archive, adopts, stops at the step named by args[1] until killed (or 60 s). */
    public static final class Adopter {
        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            Adoption.Step stopAt = Adoption.Step.valueOf(args[1]);
            PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
            System.setOut(System.err);
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                    .setLevel(ch.qos.logback.classic.Level.WARN);
            try (BinlogArchive a = BinlogArchive.open(dir, Durability.WRITE)) {
                a.checkIdentity(PAIR.oldMaster());
                Dump.feedFile(a.writer(), name(1), PAIR.oldFile(1));
                a.writer().startFile(name(2), 4);
                a.writer().appendFormatDescription(Dump.asDumpSends(Dump.events(PAIR.oldFile(2)).get(0).event()))
                        .durable().get();
                a.writer().discardPartialTransaction();
                a.adopt(PAIR.newMaster(), name(3), step -> {
                    if (step == stopAt) {
                        out.println("STOPPED " + step);
                        try {
                            Thread.sleep(TimeUnit.SECONDS.toMillis(60));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                });
                out.println("NOT KILLED");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Adoption.Step.class)
    void killedAfterAStepTheArchiveReopensWithAllOrNothingOfTheAdopt(Adoption.Step step) throws Exception {
        Path dir = tmp.resolve("archive");
        Files.createDirectories(dir);
        runAndKill(dir, step);
        byte[] old1 = PAIR.oldFile(1);
        long end1 = Failovers.rotateAt(old1);
        boolean recorded = step.compareTo(Adoption.Step.RECORDED) >= 0;

        VerifyReport inPlace = BinlogArchive.verifyInPlace(dir);
        assertTrue(inPlace.ok(), step + ": " + inPlace + " " + inPlace.notes());
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertNotEquals(IndexJournal.Outcome.REBUILT, a.index().outcome(), "the journal is never rebuilt for it");
            MasterEpoch epoch2 = new MasterEpoch(2, PAIR.newMaster(), Optional.of(name(3)), Optional.of(
                    new MasterEpoch.Handover(new BinlogPosition(name(1), end1), Failovers.lastGtid(old1, end1))));
            if (recorded) {
                assertEquals(List.of(MasterEpoch.first(PAIR.oldMaster()), epoch2), a.epochs(), step.toString());
                assertArrayEquals(Failovers.prefix(old1, end1), Files.readAllBytes(dir.resolve(name(1))),
                        step + ": the held ROTATE is cut");
                assertFalse(Files.exists(dir.resolve(name(2))), step + ": the begun file is gone");
                assertEquals(Optional.of(BinlogPosition.startOf(name(3))), a.resumePosition(), step.toString());
            } else {
                assertEquals(List.of(MasterEpoch.first(PAIR.oldMaster())), a.epochs(), step.toString());
                assertArrayEquals(old1, Files.readAllBytes(dir.resolve(name(1))), step + ": untouched");
                assertEquals(Optional.of(new BinlogPosition(name(2), Failovers.fdeEnd(PAIR.oldFile(2)))),
                        a.resumePosition(), step + ": the old master would resume in the file it began");
                assertEquals(epoch2, a.adopt(PAIR.newMaster(), name(3)), step + ": a retry adopts");
            }
            assertTrue(a.verify().ok(), step + ": " + a.verify());

            byte[] new3 = PAIR.newFile(3);
            byte[] new4 = PAIR.newFile(4);
            Dump.feedFile(a.writer(), name(3), new3);
            Dump.awaitVisible(Dump.feedFile(a.writer(), name(4), new4));
            List<BinlogEvent> expected = new ArrayList<>(Failovers.eventsUpTo(old1, end1));
            expected.addAll(Failovers.eventsUpTo(new3, new3.length));
            expected.addAll(Failovers.eventsUpTo(new4, Failovers.rotateAt(new4)));
            try (ArchiveReader r = a.openReader(BinlogPosition.startOf(name(1)))) {
                assertEquals(expected, Failovers.readAll(r), step + ": a reader crosses into the new master's files");
            }
            assertArrayEquals(new3, Files.readAllBytes(dir.resolve(name(3))));
            assertTrue(a.verify().ok(), step + ": " + a.verify());
        }
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(2, a.epochs().size());
            assertEquals(IndexJournal.Outcome.IN_SYNC, a.index().outcome());
            VerifyReport report = a.verify();
            assertTrue(report.ok() && report.notes().isEmpty(), step + ": " + report + " " + report.notes());
        }
    }

    /** Killed inside the record's atomic replace, before the rename: the temp file is no record. */
    @Test
    void aHalfWrittenRecordIsNoRecord() throws Exception {
        Path dir = tmp.resolve("archive");
        try (BinlogArchive a = Dump.fresh(dir, PAIR.oldScenario, Durability.FSYNC)) {
            Dump.feedFile(a.writer(), name(1), PAIR.oldFile(1));
        }
        Files.writeString(dir.resolve(EpochsFile.NAME + ".tmp"), "format=2\nepochs=2\nepoch.1.fla");
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(List.of(MasterEpoch.first(PAIR.oldMaster())), a.epochs());
            assertEquals(2, a.adopt(PAIR.newMaster(), name(3)).number());
        }
        assertFalse(Files.exists(dir.resolve(EpochsFile.NAME + ".tmp")));
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(2, a.epochs().size());
        }
    }

    private void runAndKill(Path dir, Adoption.Step step) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("--add-exports") || arg.startsWith("-Dchronicle.")) {
                cmd.add(arg);
            }
        }
        cmd.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), Adopter.class.getName(), dir.toString(), step.name()));
        Path err = tmp.resolve("child.err");
        Process child = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        try {
            CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
                try {
                    return new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))
                            .readLine();
                } catch (Exception e) {
                    return null;
                }
            });
            String got = line.get(60, TimeUnit.SECONDS);
            if (!("STOPPED " + step).equals(got)) {
                fail("the child did not stop at " + step + " (said: " + got + "); its stderr: " + Files.readString(err));
            }
        } finally {
            child.destroyForcibly(); // SIGKILL
            child.waitFor();
        }
    }
}
