package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.position.BinlogPosition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ArchiveWriter#append(List)}, the upstream session's way of appending the events of one read, does what
 * appending them one by one does: the same roles, the same files, journal and resume position, whatever the lists'
 * sizes; a refused event in a list leaves the events before it appended and nothing of itself, as a refused single
 * append does.
 */
class AppendingAListIsAppendingEachEventTest {
    @TempDir
    Path dir;

    static List<String> scenarios() {
        return Dump.scenarios();
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void listsOfAnySizeArchiveWhatSingleAppendsDo(String scenario) throws Exception {
        byte[] f1 = Dump.bytes(scenario, Dump.FILE1);
        byte[] f2 = Dump.bytes(scenario, Dump.FILE2);
        List<Appended> single = new ArrayList<>();
        Path one = dir.resolve("single");
        try (BinlogArchive a = Dump.fresh(one, scenario, Durability.WRITE)) {
            single.addAll(Dump.feedFile(a.writer(), Dump.FILE1, f1));
            single.addAll(Dump.feedFile(a.writer(), Dump.FILE2, f2));
        }
        for (int listSize : new int[] {1, 2, 7, Integer.MAX_VALUE}) {
            Path many = dir.resolve("lists-of-" + listSize);
            try (BinlogArchive a = Dump.fresh(many, scenario, Durability.WRITE)) {
                List<AppendedEvents> results = new ArrayList<>();
                results.addAll(feedInLists(a.writer(), Dump.FILE1, f1, listSize));
                results.addAll(feedInLists(a.writer(), Dump.FILE2, f2, listSize));
                // the FDE of each file is appended on its own (appendFormatDescription), as in the session
                List<Appended> expected = new ArrayList<>(single);
                expected.remove(Dump.events(f1).size());
                expected.remove(0);
                int i = 0;
                for (AppendedEvents r : results) {
                    for (int k = 0; k < r.count(); k++, i++) {
                        assertEquals(expected.get(i).role(), r.role(k), "event " + i + " in lists of " + listSize);
                    }
                }
                assertEquals(expected.size(), i);
                AppendedEvents last = results.get(results.size() - 1);
                assertEquals(new BinlogPosition(Dump.FILE2, f2.length), last.end());
                assertEquals(Optional.of(new BinlogPosition(Dump.FILE2, f2.length)), a.resumePosition());
                VerifyReport report = a.verify();
                assertTrue(report.ok(), report::toString);
                assertEquals(Dump.journalEntries(Dump.events(f1)) + Dump.journalEntries(Dump.events(f2)),
                        report.indexEntries());
            }
            for (String file : List.of(Dump.FILE1, Dump.FILE2)) {
                assertArrayEquals(Files.readAllBytes(one.resolve(file)), Files.readAllBytes(many.resolve(file)),
                        file + " in lists of " + listSize);
            }
        }
    }

    /** As the session: startFile, the FDE alone, then the file's events in lists, commits held across each. */
    private static List<AppendedEvents> feedInLists(ArchiveWriter w, String name, byte[] file, int listSize)
            throws Exception {
        List<Dump.Positioned> events = Dump.events(file);
        w.startFile(name, 4);
        w.appendFormatDescription(Dump.asDumpSends(events.get(0).event()));
        List<AppendedEvents> out = new ArrayList<>();
        for (int from = 1; from < events.size(); from += Math.min(listSize, events.size())) {
            List<BinlogEvent> list = new ArrayList<>();
            for (Dump.Positioned p : events.subList(from, (int) Math.min(events.size(), (long) from + listSize))) {
                list.add(p.event());
            }
            w.holdCommits();
            out.add(w.append(list));
            w.releaseCommits();
        }
        return out;
    }

    @Test
    void aRefusedEventInAListKeepsTheEventsBeforeItAndNothingOfItself() throws Exception {
        byte[] f1 = Dump.bytes(Dump.MYSQL_GTID, Dump.FILE1);
        List<Dump.Positioned> events = Dump.events(f1);
        int at = 9; // WRITE_ROWS inside the first BEGIN ... XID transaction
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.FSYNC)) {
            ArchiveWriter w = a.writer();
            w.startFile(Dump.FILE1, 4);
            w.appendFormatDescription(events.get(0).event());
            List<BinlogEvent> list = new ArrayList<>();
            for (Dump.Positioned p : events.subList(1, at)) {
                list.add(p.event());
            }
            byte[] bad = events.get(at).event().toByteArray();
            bad[25] ^= 0x40; // a body byte; the CRC no longer matches
            list.add(BinlogEvent.wrap(bad));
            list.add(events.get(at + 1).event()); // never reached
            w.holdCommits();
            EventRejectedException e = assertThrows(EventRejectedException.class, () -> w.append(list));
            w.releaseCommits();
            assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
            assertEquals(new BinlogPosition(Dump.FILE1, events.get(at).offset()), e.at());
            // the events before it are there, as appended one by one: the transaction goes on with the right event
            List<BinlogEvent> rest = new ArrayList<>();
            for (Dump.Positioned p : events.subList(at, events.size())) {
                rest.add(p.event());
            }
            assertEquals(rest.size(), w.append(rest).count());
            assertTrue(a.verify().ok());
        }
        assertArrayEquals(f1, Files.readAllBytes(dir.resolve(Dump.FILE1)));
    }
}
