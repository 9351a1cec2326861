package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.MariaGtidEvent;
import dev.binlogproxy.binlog.event.MySqlGtidEvent;
import dev.binlogproxy.binlog.file.BinlogFileSummary;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MySqlGtid;
import dev.binlogproxy.binlog.txn.EventRole;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The archive written from a dump of the golden fixtures holds the master's files byte for byte: the closed file
 * exactly, the open one exactly as the master will close it (its FDE without IN_USE; the CRC, computed by the
 * server with the flag clear, is the same).
 */
class ArchiveMirrorsFixturesByteForByteTest {
    @TempDir
    Path dir;

    static List<String> scenarios() {
        return Dump.scenarios();
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void archivedFilesEqualTheMastersFiles(String scenario) throws Exception {
        byte[] f1 = Dump.bytes(scenario, Dump.FILE1);
        byte[] f2 = Dump.bytes(scenario, Dump.FILE2);
        try (BinlogArchive a = Dump.fresh(dir, scenario, Durability.FSYNC)) {
            List<Appended> first = Dump.feedFile(a.writer(), Dump.FILE1, f1);
            List<Appended> second = Dump.feedFile(a.writer(), Dump.FILE2, f2);
            for (Appended ap : concat(first, second)) {
                assertTrue(ap.written());
                if (ap.durable() != null) {
                    assertEquals(ap.end(), ap.durable().get());
                }
            }
            Appended rotate = first.get(first.size() - 1);
            assertEquals(new BinlogPosition(Dump.FILE1, f1.length), rotate.end());
            assertEquals(Optional.of(new BinlogPosition(Dump.FILE2, f2.length)), a.resumePosition());
            assertEquals(List.of(new ArchivedFile(Dump.FILE1, f1.length), new ArchivedFile(Dump.FILE2, f2.length)),
                    a.files());
            VerifyReport report = a.verify();
            assertTrue(report.ok(), report::toString);
            assertEquals(Dump.journalEntries(Dump.events(f1)) + Dump.journalEntries(Dump.events(f2)),
                    report.indexEntries());
            // the CLI's read-only check, beside the open archive, sees the same
            VerifyReport inPlace = BinlogArchive.verifyInPlace(dir);
            assertTrue(inPlace.ok(), inPlace::toString);
            assertEquals(report.indexEntries(), inPlace.indexEntries());
        }
        VerifyReport closed = BinlogArchive.verifyInPlace(dir);
        assertTrue(closed.ok() && closed.notes().isEmpty(), closed::toString);
        assertArrayEquals(f1, Files.readAllBytes(dir.resolve(Dump.FILE1)), "closed file: identical");
        byte[] archived2 = Files.readAllBytes(dir.resolve(Dump.FILE2));
        int fdeEnd = 4 + Dump.events(f2).get(0).event().eventSize();
        assertEquals(f2.length, archived2.length);
        assertArrayEquals(Arrays.copyOfRange(f2, fdeEnd, f2.length), Arrays.copyOfRange(archived2, fdeEnd, f2.length),
                "open file: identical from the end of the FDE on");
        for (int i = 0; i < fdeEnd; i++) {
            if (i != 4 + BinlogEvent.FLAGS_OFFSET) {
                assertEquals(f2[i], archived2[i], "open file's FDE: byte " + i + " differs");
            }
        }
        assertEquals(EventFlags.BINLOG_IN_USE, f2[4 + BinlogEvent.FLAGS_OFFSET] & EventFlags.BINLOG_IN_USE,
                "the fixture's open file has IN_USE set");
        assertEquals(0, archived2[4 + BinlogEvent.FLAGS_OFFSET] & EventFlags.BINLOG_IN_USE,
                "the archive's copy has it clear, as the master's file once closed");
        assertTrue(BinlogFileSummary.scan(dir.resolve(Dump.FILE2)).isValid());
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void transactionEndsAreReportedWhereTheServerEndsThem(String scenario) throws Exception {
        byte[] f1 = Dump.bytes(scenario, Dump.FILE1);
        try (BinlogArchive a = Dump.fresh(dir, scenario, Durability.WRITE)) {
            List<Appended> appended = Dump.feedFile(a.writer(), Dump.FILE1, f1);
            List<Dump.Positioned> events = Dump.events(f1);
            long commits = 0;
            for (int i = 0; i < events.size(); i++) {
                Appended ap = appended.get(i);
                assertEquals(events.get(i).end(), ap.end().offset());
                assertEquals(ap.role().isBoundaryAfter(), ap.durable() != null, "event " + i);
                EventType type = events.get(i).event().type();
                if (type == EventType.XID || type == EventType.XA_PREPARE) {
                    assertTrue(ap.completesTransaction(), "event " + i + " " + type);
                }
                if (type == EventType.GTID || type == EventType.ANONYMOUS_GTID || type == EventType.MARIA_GTID) {
                    assertEquals(EventRole.START, ap.role());
                }
                commits += ap.completesTransaction() ? 1 : 0;
            }
            assertEquals(BinlogFileSummary.scan(Dump.fixture(scenario).resolve(Dump.FILE1)).transactions(), commits);
        }
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void readersGetTheSameEventsBackAcrossTheRotate(String scenario) throws Exception {
        byte[] f1 = Dump.bytes(scenario, Dump.FILE1);
        byte[] f2 = Dump.archived(Dump.bytes(scenario, Dump.FILE2));
        try (BinlogArchive a = Dump.fresh(dir, scenario, Durability.FSYNC)) {
            Dump.feedFile(a.writer(), Dump.FILE1, f1);
            List<Appended> last = Dump.feedFile(a.writer(), Dump.FILE2, f2);
            last.get(last.size() - 1).durable().get();
            List<BinlogEvent> expected = new ArrayList<>();
            Dump.events(f1).forEach(p -> expected.add(p.event()));
            Dump.events(f2).forEach(p -> expected.add(p.event()));
            try (ArchiveReader r = a.openReader(BinlogPosition.startOf(Dump.FILE1))) {
                for (BinlogEvent e : expected) {
                    assertEquals(e, r.next());
                }
                assertNull(r.next());
                assertEquals(new BinlogPosition(Dump.FILE2, f2.length), r.position());
                assertEquals(Dump.FILE2, a.files().get(1).name());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void everyGtidAndTimeIsFoundThroughTheIndex(String scenario) throws Exception {
        byte[] f1 = Dump.bytes(scenario, Dump.FILE1);
        byte[] f2 = Dump.archived(Dump.bytes(scenario, Dump.FILE2));
        try (BinlogArchive a = Dump.fresh(dir, scenario, Durability.WRITE)) {
            Dump.feedFile(a.writer(), Dump.FILE1, f1);
            List<Appended> last = Dump.feedFile(a.writer(), Dump.FILE2, f2);
            last.get(last.size() - 1).durable().get();
            assertLookups(a, f1, f2);
        }
        // After a reopen the catalog is built from the journal alone.
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(IndexJournal.Outcome.IN_SYNC, a.index().outcome());
            assertLookups(a, f1, f2);
        }
    }

    private static void assertLookups(BinlogArchive a, byte[] f1, byte[] f2) throws Exception {
        int gtids = 0;
        for (String file : List.of(Dump.FILE1, Dump.FILE2)) {
            byte[] bytes = file.equals(Dump.FILE1) ? f1 : f2;
            var checksum = Dump.checksum(bytes);
            for (Dump.Positioned p : Dump.events(bytes)) {
                BinlogPosition at = new BinlogPosition(file, p.offset());
                if (p.event().type() == EventType.GTID) {
                    MySqlGtid g = MySqlGtidEvent.decode(p.event(), checksum).gtid();
                    assertEquals(Optional.of(at), a.findTransaction(g));
                    gtids++;
                } else if (p.event().type() == EventType.MARIA_GTID) {
                    MariaGtid g = MariaGtidEvent.decode(p.event(), checksum).gtid();
                    assertEquals(Optional.of(at), a.findTransaction(g));
                    gtids++;
                }
            }
        }
        boolean hasGtids = Dump.first(f1, EventType.GTID).isPresent() || Dump.first(f1, EventType.MARIA_GTID).isPresent();
        assertTrue(!hasGtids || gtids > 10, "GTIDs looked up: " + gtids);
        MySqlGtid absent = new MySqlGtid(java.util.UUID.randomUUID(), 1);
        assertEquals(Optional.empty(), a.findTransaction(absent));
        assertEquals(Optional.empty(), a.findTransaction(new MariaGtid(99, 1, 1)));

        // Time: the first transaction start at or after each start's own timestamp.
        List<BinlogPosition> starts = new ArrayList<>();
        List<Long> times = new ArrayList<>();
        for (String file : List.of(Dump.FILE1, Dump.FILE2)) {
            try (var r = dev.binlogproxy.binlog.file.BinlogFileReader.open(a.directory().resolve(file))) {
                for (var fe = r.next(); fe != null; fe = r.next()) {
                    if (fe.role() == EventRole.START || fe.role() == EventRole.COMPLETE) {
                        starts.add(new BinlogPosition(file, fe.offset()));
                        times.add(fe.event().timestamp());
                    }
                }
            }
        }
        for (int i = 0; i < starts.size(); i++) {
            long t = times.get(i);
            int expected = -1;
            for (int j = 0; j < starts.size(); j++) {
                if (times.get(j) >= t) {
                    expected = j;
                    break;
                }
            }
            assertEquals(Optional.of(starts.get(expected)), a.findFirstTransactionAt(Instant.ofEpochSecond(t)));
        }
        long latest = times.stream().mapToLong(Long::longValue).max().orElseThrow();
        assertEquals(Optional.empty(), a.findFirstTransactionAt(Instant.ofEpochSecond(latest + 1)));
        assertEquals(Optional.of(starts.get(0)), a.findFirstTransactionAt(Instant.EPOCH));
    }

    @Test
    void aFormatDescriptionSentWithInUseSetIsStoredAsTheClosedFileHasIt() throws Exception {
        byte[] f2 = Dump.bytes(Dump.MARIA_CRC, Dump.FILE2);
        List<Dump.Positioned> events = Dump.events(f2);
        assertTrue(events.get(0).event().hasFlag(EventFlags.BINLOG_IN_USE));
        try (BinlogArchive a = Dump.fresh(dir, Dump.MARIA_CRC, Durability.WRITE)) {
            a.writer().startFile(Dump.FILE2, 4);
            a.writer().appendFormatDescription(events.get(0).event());
            for (Dump.Positioned p : events.subList(1, events.size())) {
                a.writer().append(p.event());
            }
        }
        assertArrayEquals(Dump.archived(f2), Files.readAllBytes(dir.resolve(Dump.FILE2)));
    }

    @Test
    void aDumpResumedMidFileWritesNoSecondFormatDescription() throws Exception {
        String scenario = Dump.MYSQL_GTID;
        byte[] f1 = Dump.bytes(scenario, Dump.FILE1);
        List<Dump.Positioned> events = Dump.events(f1);
        int cut = 10; // after the first XID
        assertEquals(EventType.XID, events.get(cut).event().type());
        long resumeAt = events.get(cut).end();
        try (BinlogArchive a = Dump.fresh(dir, scenario, Durability.FSYNC)) {
            a.writer().startFile(Dump.FILE1, 4);
            a.writer().appendFormatDescription(Dump.asDumpSends(events.get(0).event()));
            for (Dump.Positioned p : events.subList(1, cut + 1)) {
                a.writer().append(p.event());
            }
        }
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(Optional.of(new BinlogPosition(Dump.FILE1, resumeAt)), a.resumePosition());
            ArchiveException wrong = assertThrows(ArchiveException.class,
                    () -> a.writer().startFile(Dump.FILE1, resumeAt + 1));
            assertTrue(wrong.getMessage().contains("up to " + resumeAt), wrong.getMessage());
            a.writer().startFile(Dump.FILE1, resumeAt);
            Appended fde = a.writer().appendFormatDescription(Dump.asResumeSends(events.get(0).event()));
            assertFalse(fde.written());
            assertEquals(Files.size(dir.resolve(Dump.FILE1)), resumeAt);
            for (Dump.Positioned p : events.subList(cut + 1, events.size())) {
                a.writer().append(p.event());
            }
            assertTrue(a.verify().ok());
        }
        assertArrayEquals(f1, Files.readAllBytes(dir.resolve(Dump.FILE1)));
    }

    @Test
    void restartingAnArchivedFileAtFourComparesAndThenAppends() throws Exception {
        String scenario = Dump.MARIA_CRC;
        byte[] f2 = Dump.archived(Dump.bytes(scenario, Dump.FILE2));
        List<Dump.Positioned> events = Dump.events(f2);
        int half = events.size() / 2;
        try (BinlogArchive a = Dump.fresh(dir, scenario, Durability.FSYNC)) {
            a.writer().startFile(Dump.FILE2, 4);
            a.writer().appendFormatDescription(events.get(0).event());
            for (Dump.Positioned p : events.subList(1, half)) {
                a.writer().append(p.event());
            }
            a.writer().discardPartialTransaction();
            // The dump starts over at 4: what the archive has is compared, then the rest appended.
            Dump.feedFile(a.writer(), Dump.FILE2, f2);
            assertTrue(a.verify().ok());
        }
        assertArrayEquals(f2, Files.readAllBytes(dir.resolve(Dump.FILE2)));
    }

    @Test
    void restartingAnArchivedFileWithOtherBytesIsRefused() throws Exception {
        byte[] f1 = Dump.bytes(Dump.MYSQL_GTID, Dump.FILE1);
        List<Dump.Positioned> events = Dump.events(f1);
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.WRITE)) {
            Dump.feedFile(a.writer(), Dump.FILE1, f1);
            a.writer().discardPartialTransaction();
            a.writer().startFile(Dump.FILE1, 4);
            a.writer().appendFormatDescription(events.get(0).event());
            a.writer().append(events.get(1).event());
            // Same offsets, other content: the GTID of the first transaction carried by the second one.
            byte[] other = events.get(2).event().toByteArray();
            other[30] ^= 1;
            dev.binlogproxy.binlog.EventChecksum.writeTrailer(other, 0, other.length);
            EventRejectedException e = assertThrows(EventRejectedException.class,
                    () -> a.writer().append(BinlogEvent.wrap(other)));
            assertTrue(e.getMessage().contains("differs from the bytes archived"), e.getMessage());
        }
        assertArrayEquals(f1, Files.readAllBytes(dir.resolve(Dump.FILE1)));
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
