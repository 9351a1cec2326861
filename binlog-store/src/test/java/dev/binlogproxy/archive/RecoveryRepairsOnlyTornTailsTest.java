package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.file.BinlogFileReader;
import dev.binlogproxy.binlog.position.BinlogPosition;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.queue.rollcycles.LargeRollCycles;
import net.openhft.chronicle.wire.DocumentContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Open-time recovery of the files, and of the index journal against them. The damage here is made by hand; the
 * crash test makes it with kill -9.
 */
class RecoveryRepairsOnlyTornTailsTest {
    @TempDir
    Path dir;

    private final byte[] f1 = Dump.bytes(Dump.MYSQL_GTID, Dump.FILE1);
    private final byte[] f2 = Dump.archived(Dump.bytes(Dump.MYSQL_GTID, Dump.FILE2));
    private final List<Dump.Positioned> events2 = Dump.events(f2);

    private void archiveBothFiles() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.FSYNC)) {
            Dump.feedFile(a.writer(), Dump.FILE1, f1);
            Dump.feedFile(a.writer(), Dump.FILE2, f2);
        }
    }

    private void deleteIndex() throws IOException {
        try (Stream<Path> walk = Files.walk(dir.resolve(IndexJournal.DIR_NAME))) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private void truncate(String file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve(file), StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    private void append(String file, byte[] bytes) throws IOException {
        Files.write(dir.resolve(file), bytes, StandardOpenOption.APPEND);
    }

    /** The end of the last complete transaction at or before {@code limit}. */
    private long boundaryBefore(long limit) throws Exception {
        long best = 0;
        try (BinlogFileReader r = BinlogFileReader.open(Dump.fixture(Dump.MYSQL_GTID).resolve(Dump.FILE2))) {
            for (var fe = r.next(); fe != null && fe.endOffset() <= limit; fe = r.next()) {
                if (fe.role().isBoundaryAfter()) {
                    best = fe.endOffset();
                }
            }
        }
        return best;
    }

    @Test
    void aTornEventIsCutAtTheLastCompleteTransaction() throws Exception {
        archiveBothFiles();
        Dump.Positioned large = events2.stream().filter(p -> p.event().eventSize() > 60_000).findFirst().orElseThrow();
        long torn = large.offset() + 1000;
        truncate(Dump.FILE2, torn);
        long expected = boundaryBefore(torn);
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(1, a.recovery().actions().size(), a.recovery().actions().toString());
            assertTrue(a.recovery().actions().get(0).contains("TRUNCATED_TAIL"), a.recovery().actions().toString());
            assertEquals(Optional.of(new BinlogPosition(Dump.FILE2, expected)), a.resumePosition());
            assertEquals(IndexJournal.Outcome.REBUILT, a.index().outcome(), "the index was ahead of the cut file");
            assertTrue(a.verify().ok());
            // The dump resumes there and the file ends up whole again.
            a.writer().startFile(Dump.FILE2, expected);
            a.writer().appendFormatDescription(Dump.asResumeSends(events2.get(0).event()));
            for (Dump.Positioned p : events2) {
                if (p.offset() >= expected) {
                    a.writer().append(p.event());
                }
            }
        }
        assertArrayEquals(f2, Files.readAllBytes(dir.resolve(Dump.FILE2)));
    }

    @Test
    void aPartialTransactionAtTheEndIsCut() throws Exception {
        archiveBothFiles();
        // Cut right after the BEGIN of a transaction: whole events, unfinished transaction.
        Dump.Positioned begin = events2.stream().filter(p -> p.event().type()
                == dev.binlogproxy.binlog.EventType.QUERY).skip(1).findFirst().orElseThrow();
        truncate(Dump.FILE2, begin.end());
        long expected = boundaryBefore(begin.end());
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(Optional.of(new BinlogPosition(Dump.FILE2, expected)), a.resumePosition());
            assertEquals(expected, Files.size(dir.resolve(Dump.FILE2)));
            assertTrue(a.recovery().actions().get(0).contains("ends inside a transaction"));
            assertTrue(a.verify().ok());
        }
    }

    /**
     * Damage in the newest file with valid data after it is what a power loss leaves when the unsynced tail reached
     * the disk out of order (crash images): it is cut like a torn tail, the cut bytes kept beside the file.
     */
    @Test
    void corruptionWithDataAfterItIsCutAndTheCutBytesKeptAside() throws Exception {
        archiveBothFiles();
        Dump.Positioned victim = events2.get(4);
        try (FileChannel ch = FileChannel.open(dir.resolve(Dump.FILE2), StandardOpenOption.WRITE,
                StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, victim.offset() + 20);
            b.put(0, (byte) (b.get(0) ^ 0x55)).rewind();
            ch.write(b, victim.offset() + 20);
        }
        byte[] damaged = Files.readAllBytes(dir.resolve(Dump.FILE2));
        long expected = boundaryBefore(victim.offset());
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(Optional.of(new BinlogPosition(Dump.FILE2, expected)), a.resumePosition());
            assertTrue(a.recovery().actions().get(0).contains("kept in " + Dump.FILE2 + ".damaged-" + expected),
                    a.recovery().actions().toString());
            assertTrue(a.verify().ok(), a.verify().toString());
            assertEquals(2, a.files().size(), "the copy is not a binlog file of the archive");
        }
        assertArrayEquals(Arrays.copyOf(damaged, (int) expected), Files.readAllBytes(dir.resolve(Dump.FILE2)));
        assertArrayEquals(Arrays.copyOfRange(damaged, (int) expected, damaged.length),
                Files.readAllBytes(dir.resolve(Dump.FILE2 + ".damaged-" + expected)));
    }

    @Test
    void aZeroFilledTailIsATornTail() throws Exception {
        archiveBothFiles();
        append(Dump.FILE2, new byte[8192]); // the size reached the disk, the data did not
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(Optional.of(new BinlogPosition(Dump.FILE2, f2.length)), a.resumePosition());
            assertTrue(a.verify().ok());
        }
        assertArrayEquals(f2, Files.readAllBytes(dir.resolve(Dump.FILE2)));
    }

    @Test
    void aFileWithoutAWholeFormatDescriptionIsDeleted() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.FSYNC)) {
            Dump.feedFile(a.writer(), Dump.FILE1, f1);
        }
        Files.write(dir.resolve(Dump.FILE2), Arrays.copyOf(f2, 4 + 50)); // magic and part of the FDE
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertTrue(Files.notExists(dir.resolve(Dump.FILE2)));
            assertEquals(Optional.of(BinlogPosition.startOf(Dump.FILE2)), a.resumePosition());
            Dump.feedFile(a.writer(), Dump.FILE2, f2);
        }
        assertArrayEquals(f2, Files.readAllBytes(dir.resolve(Dump.FILE2)));
    }

    @Test
    void aMissingIndexIsRebuiltAndABehindOneCaughtUp() throws Exception {
        archiveBothFiles();
        deleteIndex();
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(IndexJournal.Outcome.CAUGHT_UP, a.index().outcome(), "an empty journal is behind");
            assertTrue(a.verify().ok());
            assertEquals(Dump.journalEntries(Dump.events(f1)) + Dump.journalEntries(events2), a.verify().indexEntries());
        }
        // Files that grew while the index was not looking (written by an older run that died before indexing).
        truncate(Dump.FILE2, boundaryBefore(f2.length - 1));
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(IndexJournal.Outcome.REBUILT, a.index().outcome());
        }
        append(Dump.FILE2, Arrays.copyOfRange(f2, (int) Files.size(dir.resolve(Dump.FILE2)), f2.length));
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(IndexJournal.Outcome.CAUGHT_UP, a.index().outcome());
            assertTrue(a.verify().ok());
        }
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(IndexJournal.Outcome.IN_SYNC, a.index().outcome());
        }
    }

    /**
     * An archive of an earlier release: its journal has a document per event in the first layout (version 1). The
     * first open finds a document it cannot read as its last and rebuilds the journal from the files, which is the
     * whole upgrade; lookups then work.
     */
    @Test
    void aJournalOfTheEarlierLayoutIsRebuiltAtTheFirstOpen() throws Exception {
        archiveBothFiles();
        deleteIndex();
        try (ChronicleQueue q = SingleChronicleQueueBuilder.single(dir.resolve(IndexJournal.DIR_NAME).toFile())
                .rollCycle(LargeRollCycles.LARGE_DAILY).build();
             ExcerptAppender appender = q.createAppender()) {
            for (Dump.Positioned p : Dump.events(f1)) {
                try (DocumentContext dc = appender.writingDocument()) {
                    // version 1: version, file, offset, length, type, timestamp, role, GTID kind
                    var out = dc.wire().bytes();
                    out.writeUnsignedByte(1);
                    out.writeUtf8(Dump.FILE1);
                    out.writeLong(p.offset());
                    out.writeInt(p.event().eventSize());
                    out.writeUnsignedByte(p.event().typeCode());
                    out.writeInt((int) p.event().timestamp());
                    out.writeUnsignedByte(0);
                    out.writeUnsignedByte(0);
                }
            }
        }
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(IndexJournal.Outcome.REBUILT, a.index().outcome());
            assertTrue(a.index().outcomeReason().contains("version 1"), a.index().outcomeReason());
            assertTrue(a.verify().ok(), a.verify()::toString);
            assertEquals(Dump.journalEntries(Dump.events(f1)) + Dump.journalEntries(events2),
                    a.verify().indexEntries());
        }
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(IndexJournal.Outcome.IN_SYNC, a.index().outcome());
        }
    }

    @Test
    void aGarbledIndexIsRebuilt() throws Exception {
        archiveBothFiles();
        try (Stream<Path> files = Files.list(dir.resolve(IndexJournal.DIR_NAME))) {
            for (Path p : files.toList()) {
                byte[] junk = new byte[(int) Math.min(Files.size(p), 1 << 16)];
                Arrays.fill(junk, (byte) 0x5A);
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                    ch.write(ByteBuffer.wrap(junk), 0);
                }
            }
        }
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(IndexJournal.Outcome.REBUILT, a.index().outcome(), a.index().outcomeReason());
            assertTrue(a.verify().ok());
            assertTrue(a.findTransaction(dev.binlogproxy.binlog.position.MySqlGtid.parse(
                    "727bccb0-e5ab-11f1-bc13-02fc00000001:13")).isPresent());
        }
    }
}
