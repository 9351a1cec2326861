package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.position.BinlogPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A corrupt event is refused with nothing written (not to the file, not to the write buffer), the open transaction
 * stays open, and the correct event is then accepted: the finished file is still the master's, byte for byte.
 */
class CorruptEventsAreRefusedTest {
    @TempDir
    Path dir;

    private final byte[] f1 = Dump.bytes(Dump.MYSQL_GTID, Dump.FILE1);
    private final List<Dump.Positioned> events = Dump.events(f1);

    /** Feeds events [1, upTo) and returns the writer, mid-file. */
    private ArchiveWriter feedUpTo(BinlogArchive a, int upTo) throws Exception {
        ArchiveWriter w = a.writer();
        w.startFile(Dump.FILE1, 4);
        w.appendFormatDescription(events.get(0).event());
        for (Dump.Positioned p : events.subList(1, upTo)) {
            w.append(p.event());
        }
        return w;
    }

    private void finishFrom(ArchiveWriter w, int from) throws Exception {
        for (Dump.Positioned p : events.subList(from, events.size())) {
            w.append(p.event());
        }
    }

    private void assertRefusedAndHarmless(BinlogArchive a, int at, BinlogEvent bad, String reason) throws Exception {
        ArchiveWriter w = a.writer();
        long fileSize = Files.size(dir.resolve(Dump.FILE1));
        long buffered = w.bufferedBytes();
        EventRejectedException e = assertThrows(EventRejectedException.class, () -> w.append(bad));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertEquals(new BinlogPosition(Dump.FILE1, events.get(at).offset()), e.at());
        assertEquals(fileSize, Files.size(dir.resolve(Dump.FILE1)), "nothing written to the file");
        assertEquals(buffered, w.bufferedBytes(), "nothing buffered");
        finishFrom(w, at);
        assertTrue(a.verify().ok());
    }

    @Test
    void aBadChecksumIsRefused() throws Exception {
        int at = 9; // WRITE_ROWS inside the first BEGIN ... XID transaction
        assertEquals(EventType.WRITE_ROWS, events.get(at).event().type());
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.FSYNC)) {
            feedUpTo(a, at);
            byte[] bad = events.get(at).event().toByteArray();
            bad[25] ^= 0x40; // a body byte; the CRC no longer matches
            assertRefusedAndHarmless(a, at, BinlogEvent.wrap(bad), "checksum mismatch");
        }
        assertArrayEquals(f1, Files.readAllBytes(dir.resolve(Dump.FILE1)));
    }

    @Test
    void aBrokenLogPosIsRefused() throws Exception {
        int at = 9;
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.FSYNC)) {
            feedUpTo(a, at);
            BinlogEvent e = events.get(at).event();
            // a consistent event, at the wrong place
            BinlogEvent bad = Dump.withHeader(e, EventHeader.of(e).withLogPos(events.get(at).end() + 1),
                    ChecksumAlgorithm.CRC32);
            assertRefusedAndHarmless(a, at, bad, "log_pos");
        }
        assertArrayEquals(f1, Files.readAllBytes(dir.resolve(Dump.FILE1)));
    }

    @Test
    void aSkippedEventBreaksTheChainAndIsRefused() throws Exception {
        int at = 8;
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.WRITE)) {
            feedUpTo(a, at);
            assertRefusedAndHarmless(a, at, events.get(at + 1).event(), "log_pos");
        }
        assertArrayEquals(f1, Files.readAllBytes(dir.resolve(Dump.FILE1)));
    }

    @Test
    void aTransactionBoundaryViolationIsRefused() throws Exception {
        // A GTID where the open transaction's next event belongs: re-addressed so only the boundary is wrong.
        int at = 9;
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.WRITE)) {
            feedUpTo(a, at);
            BinlogEvent original = events.get(2).event();
            long start = events.get(at).offset();
            BinlogEvent gtid = Dump.withHeader(original, EventHeader.of(original)
                    .withLogPos(start + original.eventSize()), ChecksumAlgorithm.CRC32);
            assertEquals(EventType.GTID, gtid.type());
            assertRefusedAndHarmless(a, at, gtid, "transaction boundary");
        }
        assertArrayEquals(f1, Files.readAllBytes(dir.resolve(Dump.FILE1)));
    }

    @Test
    void aFormatDescriptionInTheMiddleIsRefused() throws Exception {
        int at = 3;
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.WRITE)) {
            feedUpTo(a, at);
            FormatDescription fde = FormatDescription.decode(events.get(0).event());
            BinlogEvent moved = BinlogEvent.wrap(fde.withHeader(fde.header().withLogPos(events.get(at).offset()
                    + events.get(0).event().eventSize())).encode());
            assertRefusedAndHarmless(a, at, moved, "FORMAT_DESCRIPTION in the middle");
        }
    }

    @Test
    void aCorruptFormatDescriptionCreatesNoFile() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.FSYNC)) {
            a.writer().startFile(Dump.FILE1, 4);
            byte[] fde = events.get(0).event().toByteArray();
            fde[40] ^= 1;
            EventRejectedException e = assertThrows(EventRejectedException.class,
                    () -> a.writer().appendFormatDescription(BinlogEvent.wrap(fde)));
            assertTrue(e.getMessage().contains("checksum"), e.getMessage());
            assertTrue(Files.notExists(dir.resolve(Dump.FILE1)));
            assertEquals(List.of(), a.files());
            a.writer().appendFormatDescription(events.get(0).event());
            finishFrom(a.writer(), 1);
        }
        assertArrayEquals(f1, Files.readAllBytes(dir.resolve(Dump.FILE1)));
    }

    @Test
    void theDumpsOrderIsEnforced() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.WRITE)) {
            ArchiveWriter w = a.writer();
            assertThrows(IllegalStateException.class, () -> w.append(events.get(1).event()));
            w.startFile(Dump.FILE1, 4);
            assertThrows(IllegalStateException.class, () -> w.append(events.get(1).event()));
            w.appendFormatDescription(events.get(0).event());
            finishFrom(w, 1);
            // After the ROTATE only the file it names may start.
            IllegalStateException after = assertThrows(IllegalStateException.class,
                    () -> w.append(events.get(1).event()));
            assertTrue(after.getMessage().contains("mysql-bin.000002"), after.getMessage());
            ArchiveException other = assertThrows(ArchiveException.class, () -> w.startFile("mysql-bin.000003", 4));
            assertTrue(other.getMessage().contains("ROTATE to mysql-bin.000002"), other.getMessage());
            assertThrows(ArchiveException.class, () -> w.startFile("other-bin.000002", 4));
        }
    }

    @Test
    void heartbeatsAndArtificialEventsAreNotWritten() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.WRITE)) {
            ArchiveWriter w = feedUpTo(a, 5);
            long end = events.get(4).end();
            byte[] hb = new dev.binlogproxy.binlog.event.Heartbeat(
                    new dev.binlogproxy.binlog.EventHeader(0, EventType.HEARTBEAT.code(), 11, end, 0x20),
                    Dump.FILE1).encode(dev.binlogproxy.binlog.ChecksumAlgorithm.CRC32);
            Appended ap = w.append(BinlogEvent.wrap(hb));
            assertEquals(false, ap.written());
            assertEquals(new BinlogPosition(Dump.FILE1, end), ap.end());
            finishFrom(w, 5);
        }
        assertArrayEquals(f1, Files.readAllBytes(dir.resolve(Dump.FILE1)));
    }
}
