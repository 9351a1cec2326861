package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.position.BinlogPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A rotation becomes visible to readers as a master shows it, all at once (Inventory's class comment): the old
 * file's ROTATE, the new file and the new file's head (FDE and the first event after it) in one lock hold. Held
 * commits ({@link ArchiveWriter#holdCommits()}) stop the commit thread between the steps, so every intermediate
 * state is looked at deterministically; a reopen in each of them must keep the invariant.
 */
class RotationBecomesVisibleAtOnceTest {
    private static final String SCENARIO = Dump.MYSQL_GTID;

    @TempDir
    Path dir;
    @TempDir
    Path exportDir;

    private final byte[] f1 = Dump.bytes(SCENARIO, Dump.FILE1);
    private final byte[] f2 = Dump.archived(Dump.bytes(SCENARIO, Dump.FILE2));
    private final List<Dump.Positioned> events1 = Dump.events(f1);
    private final List<Dump.Positioned> events2 = Dump.events(f2);
    private final long rotateAt = events1.get(events1.size() - 1).offset();
    private final long fdeEnd2 = events2.get(0).end();
    private final long headEnd2 = events2.get(1).end();

    @Test
    void aNewFileIsListedOnlyInTheRoundThatPublishesItsHeadTogetherWithTheRotate() throws Exception {
        assertEquals(EventType.ROTATE, events1.get(events1.size() - 1).event().type());
        assertEquals(EventType.PREVIOUS_GTIDS, events2.get(1).event().type());
        try (BinlogArchive a = Dump.fresh(dir, SCENARIO, Durability.FSYNC)) {
            ArchiveWriter w = a.writer();
            List<Appended> file1 = Dump.feedFile(w, Dump.FILE1, f1);
            assertEquals(new BinlogPosition(Dump.FILE1, f1.length), file1.get(file1.size() - 1).durable().get(),
                    "the ROTATE is durable");
            assertEquals(List.of(new ArchivedFile(Dump.FILE1, rotateAt)), a.files(),
                    "but not readable: the file it names is not listed");
            try (ArchiveReader r = a.openReader(new BinlogPosition(Dump.FILE1, rotateAt))) {
                assertNull(r.next());

                w.holdCommits();
                w.startFile(Dump.FILE2, 4);
                Appended fde = w.appendFormatDescription(Dump.asDumpSends(events2.get(0).event()));
                w.releaseCommits();
                assertEquals(new BinlogPosition(Dump.FILE2, fdeEnd2), fde.durable().get());
                a.commits().awaitIdle();
                assertEquals(List.of(new ArchivedFile(Dump.FILE1, rotateAt)), a.files(),
                        "the FDE alone does not list the file");
                assertThrows(ArchiveException.class, () -> a.openReader(BinlogPosition.startOf(Dump.FILE2)));
                assertNull(r.next(), "nor does it make the ROTATE readable");
                assertTrue(a.verify().ok(), "the FDE is indexed, the file not listed yet: " + a.verify());

                w.holdCommits();
                Appended head = w.append(events2.get(1).event());
                a.commits().awaitIdle();
                assertEquals(1, a.files().size(), "the head is written, its commit held");
                long seen = r.generation();
                w.releaseCommits();
                assertEquals(new BinlogPosition(Dump.FILE2, headEnd2), head.durable().get());
                assertTrue(r.generation() != seen, "readers were woken");
                assertEquals(List.of(new ArchivedFile(Dump.FILE1, f1.length), new ArchivedFile(Dump.FILE2, headEnd2)),
                        a.files(), "the ROTATE and the new file with its head, at once");

                // A reader at the end of the old file reads the ROTATE, moves into the new file, reads its head.
                assertEquals(events1.get(events1.size() - 1).event(), r.next());
                assertEquals(events2.get(0).event(), r.next());
                assertEquals(new BinlogPosition(Dump.FILE2, fdeEnd2), r.position());
                assertEquals(events2.get(1).event(), r.next());
                assertNull(r.next());
            }
            assertTrue(a.verify().ok(), a.verify().toString());
        }
    }

    /**
     * While a writer rotates through many files, readers never catch a listed file without its head nor a ROTATE
     * to a file they cannot enter. Whatever a reader finds must be readable at once (no waiting in the checks), so
     * a violation fails however the threads interleave.
     */
    @Test
    void readersNeverCatchARotationHalfDone() throws Exception {
        int files = 120;
        try (BinlogArchive a = Dump.fresh(dir, SCENARIO, Durability.WRITE)) {
            AtomicBoolean done = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                // a tailing reader: after each ROTATE the next file's FDE and head are there without waiting
                Future<Integer> tail = pool.submit(() -> {
                    int rotations = 0;
                    while (a.files().isEmpty()) {
                        Thread.onSpinWait();
                    }
                    try (ArchiveReader r = a.openReader(BinlogPosition.startOf(Dump.streamName(1)))) {
                        while (rotations < files - 1) {
                            BinlogEvent e = r.next(Duration.ofSeconds(30));
                            assertNotNull(e, "the writer stalled at " + r.position());
                            if (e.type() != EventType.ROTATE) {
                                continue;
                            }
                            rotations++;
                            BinlogEvent fde = r.next();
                            assertNotNull(fde, "ROTATE readable before its next file is: at " + r.position());
                            assertEquals(EventType.FORMAT_DESCRIPTION, fde.type());
                            BinlogEvent head = r.next();
                            assertNotNull(head, "a file readable without its head: " + r.position());
                            assertEquals(EventType.PREVIOUS_GTIDS, head.type());
                        }
                    }
                    return rotations;
                });
                // a looker: the newest listed file, opened at 4, shows FDE and head at once
                Future<Integer> look = pool.submit(() -> {
                    int looks = 0;
                    while (!done.get()) {
                        List<ArchivedFile> listed = a.files();
                        if (listed.isEmpty()) {
                            continue;
                        }
                        String newest = listed.get(listed.size() - 1).name();
                        try (ArchiveReader r = a.openReader(BinlogPosition.startOf(newest))) {
                            BinlogEvent fde = r.next();
                            BinlogEvent head = r.next();
                            assertNotNull(fde, newest + " listed with nothing readable");
                            assertNotNull(head, newest + " listed without its head");
                            assertEquals(EventType.PREVIOUS_GTIDS, head.type(), newest);
                        }
                        looks++;
                    }
                    return looks;
                });
                ArchiveWriter w = a.writer();
                for (int k = 1; k <= files; k++) {
                    Dump.feedFile(w, Dump.streamName(k), Dump.streamFile(SCENARIO, k));
                }
                assertEquals(files - 1, tail.get(60, TimeUnit.SECONDS));
                done.set(true);
                assertTrue(look.get(60, TimeUnit.SECONDS) > 0);
            } finally {
                done.set(true);
                pool.shutdownNow();
            }
            List<ArchivedFile> listed = a.files();
            assertEquals(files, listed.size());
            byte[] last = Dump.streamFile(SCENARIO, files);
            assertEquals(last.length - lastEventSize(last), listed.get(files - 1).size(),
                    "the last ROTATE is held: its next file never came");
        }
    }

    /** Killed (or closed) right after the new file's FDE was made durable, before its head. */
    @Test
    void aFileWithNothingPastItsFdeStaysUnlistedAcrossAReopenAndTheDumpResumesInIt() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, SCENARIO, Durability.FSYNC)) {
            Dump.feedFile(a.writer(), Dump.FILE1, f1);
            a.writer().startFile(Dump.FILE2, 4);
            a.writer().appendFormatDescription(Dump.asDumpSends(events2.get(0).event())).durable().get();
        }
        VerifyReport inPlace = BinlogArchive.verifyInPlace(dir);
        assertTrue(inPlace.ok(), inPlace + " " + inPlace.notes());
        ArchiveExport.Result exported = ArchiveExport.export(dir, new ArchiveExport.Start.Oldest(),
                new ArchiveExport.Stop.End(), exportDir.resolve("out"));
        assertEquals(new ArchiveExport.ExportedFile(Dump.FILE1, f1.length, false), exported.files().get(0));

        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(List.of(new ArchivedFile(Dump.FILE1, rotateAt)), a.files());
            assertEquals(IndexJournal.Outcome.IN_SYNC, a.index().outcome(), a.index().outcomeReason());
            assertEquals(Optional.of(new BinlogPosition(Dump.FILE2, fdeEnd2)), a.resumePosition());
            assertTrue(a.verify().ok(), a.verify().toString());
            assertEquals(List.of(), a.purge(RetentionPolicy.keepAll().withMaxFiles(1)),
                    "the newest listed file stays");
            assertThrows(ArchiveException.class, () -> a.openReader(BinlogPosition.startOf(Dump.FILE2)));
            try (ArchiveReader r = a.openReader(new BinlogPosition(Dump.FILE1, rotateAt))) {
                assertNull(r.next());
                // the master's dump resumes mid-file, with the FDE (log_pos 0) first
                ArchiveWriter w = a.writer();
                w.startFile(Dump.FILE2, fdeEnd2);
                w.appendFormatDescription(Dump.asResumeSends(events2.get(0).event()));
                Appended head = w.append(events2.get(1).event());
                head.durable().get();
                assertEquals(events1.get(events1.size() - 1).event(), r.next());
                assertEquals(events2.get(0).event(), r.next());
                assertEquals(events2.get(1).event(), r.next());
                for (Dump.Positioned p : events2.subList(2, events2.size())) {
                    w.append(p.event());
                }
            }
            assertArrayEquals(f2, Files.readAllBytes(dir.resolve(Dump.FILE2)));
            assertTrue(a.verify().ok(), a.verify().toString());
        }
    }

    /** The upstream may also restart the unlisted file at 4: the FDE is compared, not written again. */
    @Test
    void anUnlistedFileRestartedAtFourIsVerifiedThenContinued() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, SCENARIO, Durability.FSYNC)) {
            Dump.feedFile(a.writer(), Dump.FILE1, f1);
            a.writer().startFile(Dump.FILE2, 4);
            a.writer().appendFormatDescription(Dump.asDumpSends(events2.get(0).event())).durable().get();
            // in the same run too: a disconnect, then the dump resumes where the writer says
            a.writer().discardPartialTransaction();
            assertEquals(Optional.of(new BinlogPosition(Dump.FILE2, fdeEnd2)), a.resumePosition());
        }
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            List<Appended> out = Dump.feedFile(a.writer(), Dump.FILE2, f2);
            assertTrue(!out.get(0).written(), "the FDE was compared with the archived one");
            out.get(out.size() - 1).durable().get();
            assertEquals(List.of(new ArchivedFile(Dump.FILE1, f1.length), new ArchivedFile(Dump.FILE2, f2.length)),
                    a.files());
            assertArrayEquals(f2, Files.readAllBytes(dir.resolve(Dump.FILE2)));
            assertTrue(a.verify().ok(), a.verify().toString());
        }
    }

    /** Killed (or closed) after the ROTATE, before the next file: the ROTATE stays held after the reopen. */
    @Test
    void aRotateWithoutItsNextFileStaysHeldAcrossAReopen() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, SCENARIO, Durability.FSYNC)) {
            List<Appended> out = Dump.feedFile(a.writer(), Dump.FILE1, f1);
            out.get(out.size() - 1).durable().get();
        }
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(List.of(new ArchivedFile(Dump.FILE1, rotateAt)), a.files());
            assertEquals(IndexJournal.Outcome.IN_SYNC, a.index().outcome(), a.index().outcomeReason());
            assertEquals(Optional.of(BinlogPosition.startOf(Dump.FILE2)), a.resumePosition());
            assertTrue(a.verify().ok(), a.verify().toString());
            ArchiveWriter w = a.writer();
            // the dump re-sends the file from 4: compared byte for byte, the held ROTATE included
            List<Appended> again = Dump.feedFile(w, Dump.FILE1, f1);
            assertTrue(again.stream().noneMatch(Appended::written));
            assertEquals(List.of(new ArchivedFile(Dump.FILE1, rotateAt)), a.files());
            assertEquals(Optional.of(BinlogPosition.startOf(Dump.FILE2)), a.resumePosition());
            try (ArchiveReader r = a.openReader(new BinlogPosition(Dump.FILE1, rotateAt))) {
                assertNull(r.next());
                Dump.feedHead(w, Dump.FILE2, f2).durable().get();
                assertEquals(events1.get(events1.size() - 1).event(), r.next());
                assertEquals(events2.get(0).event(), r.next());
                assertEquals(events2.get(1).event(), r.next());
            }
            assertEquals(List.of(new ArchivedFile(Dump.FILE1, f1.length), new ArchivedFile(Dump.FILE2, headEnd2)),
                    a.files());
        }
    }

    /**
     * A file the upstream gives nothing past its FDE before its ROTATE (no server writes one; the writer takes it):
     * listed at its ROTATE's commit with just the FDE readable, its ROTATE held like any other.
     */
    @Test
    void aFileWithOnlyAnFdeBeforeItsRotateIsListedAtTheRotate() throws Exception {
        byte[] bare = bareFile(Dump.FILE2, "mysql-bin.000003");
        try (BinlogArchive a = Dump.fresh(dir, SCENARIO, Durability.WRITE)) {
            ArchiveWriter w = a.writer();
            Dump.feedFile(w, Dump.FILE1, f1);
            List<Appended> out = Dump.feedFile(w, Dump.FILE2, bare);
            out.get(out.size() - 1).durable().get();
            assertEquals(List.of(new ArchivedFile(Dump.FILE1, f1.length), new ArchivedFile(Dump.FILE2, fdeEnd2)),
                    a.files());
            assertEquals(Optional.of(BinlogPosition.startOf("mysql-bin.000003")), a.resumePosition());
        }
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(List.of(new ArchivedFile(Dump.FILE1, f1.length), new ArchivedFile(Dump.FILE2, fdeEnd2)),
                    a.files(), "the same after a reopen");
            assertEquals(Optional.of(BinlogPosition.startOf("mysql-bin.000003")), a.resumePosition());
            assertTrue(a.verify().ok(), a.verify().toString());
        }
    }

    /**
     * A file left with only its FDE and no ROTATE (a master that died right after creating it, then came back with
     * a newer file): listed, FDE only, when the next file is created, so the old file's ROTATE to it shows; it is
     * sealed when the next file is listed with its head.
     */
    @Test
    void aFileLeftWithOnlyItsFdeIsListedWhenTheNextFileIsCreated() throws Exception {
        String file3 = Dump.streamName(3);
        byte[] f3 = Dump.streamFile(SCENARIO, 3);
        List<Dump.Positioned> events3 = Dump.events(f3);
        try (BinlogArchive a = Dump.fresh(dir, SCENARIO, Durability.WRITE)) {
            ArchiveWriter w = a.writer();
            Dump.feedFile(w, Dump.FILE1, f1);
            w.startFile(Dump.FILE2, 4);
            w.appendFormatDescription(Dump.asDumpSends(events2.get(0).event())).durable().get();
            w.discardPartialTransaction();
            try (ArchiveReader r = a.openReader(new BinlogPosition(Dump.FILE1, rotateAt))) {
                w.holdCommits();
                w.startFile(file3, 4);
                w.appendFormatDescription(Dump.asDumpSends(events3.get(0).event()));
                assertEquals(List.of(new ArchivedFile(Dump.FILE1, f1.length), new ArchivedFile(Dump.FILE2, fdeEnd2)),
                        a.files(), "the upstream moved on from " + Dump.FILE2);
                assertEquals(events1.get(events1.size() - 1).event(), r.next());
                assertEquals(events2.get(0).event(), r.next());
                assertNull(r.next(), file3 + " is not listed: " + Dump.FILE2 + " is not finished for readers yet");
                Appended head = w.append(events3.get(1).event());
                w.releaseCommits();
                head.durable().get();
                assertEquals(events3.get(0).event(), r.next());
                assertEquals(events3.get(1).event(), r.next());
            }
            assertTrue(a.verify().ok(), a.verify().toString());
        }
    }

    /** FILE2's FDE directly followed by a ROTATE to {@code next}. */
    private byte[] bareFile(String name, String next) {
        byte[] fde = events2.get(0).event().toByteArray();
        BinlogEvent last = events2.get(1).event();
        var alg = Dump.checksum(f2);
        byte[] probe = new dev.binlogproxy.binlog.event.Rotate(new dev.binlogproxy.binlog.EventHeader(
                last.timestamp(), EventType.ROTATE.code(), last.serverId(), 0, 0), 4, next).encode(alg);
        byte[] rotate = new dev.binlogproxy.binlog.event.Rotate(new dev.binlogproxy.binlog.EventHeader(
                last.timestamp(), EventType.ROTATE.code(), last.serverId(), fdeEnd2 + probe.length, 0), 4, next)
                .encode(alg);
        byte[] out = new byte[(int) fdeEnd2 + rotate.length];
        System.arraycopy(f2, 0, out, 0, 4);
        System.arraycopy(fde, 0, out, 4, fde.length);
        System.arraycopy(rotate, 0, out, (int) fdeEnd2, rotate.length);
        return out;
    }

    private static long lastEventSize(byte[] file) {
        List<Dump.Positioned> ev = Dump.events(file);
        return ev.get(ev.size() - 1).event().eventSize();
    }
}
