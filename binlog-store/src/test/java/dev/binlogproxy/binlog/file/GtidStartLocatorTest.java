package dev.binlogproxy.binlog.file;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.MariaGtidEvent;
import dev.binlogproxy.binlog.event.MariaGtidList;
import dev.binlogproxy.binlog.event.MySqlGtidEvent;
import dev.binlogproxy.binlog.event.PreviousGtids;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MariaGtidPosition;
import dev.binlogproxy.binlog.position.MySqlGtid;
import dev.binlogproxy.binlog.position.MySqlGtidSet;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The locator finds the file a master's own scan from its newest file finds, reading few heads: checked against
 * that scan on synthetic growing heads of both flavors and on the golden fixtures' real heads.
 */
class GtidStartLocatorTest {
    private static final UUID A = UUID.fromString("727bccb0-e5ab-11f1-bc13-02fc00000001");
    private static final UUID B = UUID.fromString("11111111-2222-3333-4444-555555555555");

    /** Heads by index, counting reads and refusing to read one twice (a live master's head costs a dump). */
    private static final class CountingHeads<H> implements GtidStartLocator.HeadReader<H, IOException> {
        final List<H> heads;
        final Set<Integer> read = new HashSet<>();

        CountingHeads(List<H> heads) {
            this.heads = heads;
        }

        @Override
        public H head(int index) {
            assertTrue(read.add(index), "head " + index + " read twice");
            return heads.get(index);
        }
    }

    /** What a master does: from the newest file back, the first whose head is covered. */
    private static <H> int scanFromNewest(GtidStartLocator<H> locator, List<H> heads) {
        for (int i = heads.size() - 1; i >= 0; i--) {
            if (locator.covers(heads.get(i))) {
                return i;
            }
        }
        return -1;
    }

    private static <H> void assertSameAsScan(GtidStartLocator<H> locator, List<H> heads, String what)
            throws Exception {
        int expected = scanFromNewest(locator, heads);
        CountingHeads<H> reader = new CountingHeads<>(heads);
        if (expected < 0) {
            assertThrows(GtidStartLocator.PurgedException.class, () -> locator.locate(heads.size(), reader), what);
            return;
        }
        assertEquals(expected, locator.locate(heads.size(), reader), what);
        int bound = 2 + (32 - Integer.numberOfLeadingZeros(heads.size()));
        assertTrue(reader.read.size() <= bound, what + ": read " + reader.read.size() + " heads of " + heads.size());
    }

    /** Ten files; file i begins after A:1-10i and, from file 5 on, B:1-(i-4). */
    private static List<MySqlGtidSet> growingMySqlHeads() {
        List<MySqlGtidSet> heads = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            MySqlGtidSet s = MySqlGtidSet.EMPTY;
            for (long g = 1; g <= 10L * i; g++) {
                s = s.add(new MySqlGtid(A, g));
            }
            for (long g = 1; g <= i - 4; g++) {
                s = s.add(new MySqlGtid(B, g));
            }
            heads.add(s);
        }
        return heads;
    }

    @Test
    void mysqlFindsTheFileAMasterFindsForEveryExecutedSet() throws Exception {
        List<MySqlGtidSet> heads = growingMySqlHeads();
        for (long a = 0; a <= 100; a += 3) {
            for (long b = 0; b <= 6; b++) {
                MySqlGtidSet executed = MySqlGtidSet.EMPTY;
                for (long g = 1; g <= a; g++) {
                    executed = executed.add(new MySqlGtid(A, g));
                }
                for (long g = 1; g <= b; g++) {
                    executed = executed.add(new MySqlGtid(B, g));
                }
                assertSameAsScan(GtidStartLocator.mysql(executed), heads, executed.toString());
            }
        }
    }

    @Test
    void mysqlRefusesASetMissingWhatTheOldestFileFollows() {
        List<MySqlGtidSet> heads = List.of(MySqlGtidSet.parse(A + ":1-5"), MySqlGtidSet.parse(A + ":1-9"));
        GtidStartLocator<MySqlGtidSet> gap = GtidStartLocator.mysql(MySqlGtidSet.parse(A + ":3-9"));
        GtidStartLocator.PurgedException e = assertThrows(GtidStartLocator.PurgedException.class,
                () -> gap.locate(2, new CountingHeads<>(heads)));
        assertTrue(e.getMessage().contains(A + ":3-9"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> gap.locate(0, new CountingHeads<>(heads)));
    }

    @Test
    void mysqlStartsInTheNewestFileForAReplicaThatHasEverything() throws Exception {
        List<MySqlGtidSet> heads = growingMySqlHeads();
        CountingHeads<MySqlGtidSet> reader = new CountingHeads<>(heads);
        assertEquals(9, GtidStartLocator.mysql(MySqlGtidSet.parse(A + ":1-500," + B + ":1-9")).locate(10, reader));
        assertEquals(0, GtidStartLocator.mysql(MySqlGtidSet.EMPTY).locate(10, new CountingHeads<>(heads)));
    }

    /** What upstream does with a live master: it reads each head the search names, with errors of its own. */
    @Test
    void aSearchDrivenByItsCallerAsksForTheOldestThenHalves() throws Exception {
        List<MySqlGtidSet> heads = growingMySqlHeads();
        GtidStartLocator<MySqlGtidSet> locator = GtidStartLocator.mysql(MySqlGtidSet.parse(A + ":1-35"));
        GtidStartLocator.Search<MySqlGtidSet> search = locator.search(heads.size());
        assertThrows(IllegalStateException.class, search::first, "not over yet");
        assertThrows(IllegalStateException.class, () -> search.accept(heads.get(0)), "nothing asked");
        List<Integer> asked = new ArrayList<>();
        while (!search.done()) {
            int i = search.nextIndex();
            asked.add(i);
            search.accept(heads.get(i));
        }
        // file i begins after A:1-10i: the newest covered by A:1-35 is file 3
        assertEquals(3, search.first());
        assertEquals(List.of(0, 5, 2, 3, 4), asked);
        assertThrows(IllegalStateException.class, search::nextIndex, "over");
        assertEquals(3, locator.locate(heads.size(), new CountingHeads<>(heads)));

        GtidStartLocator.Search<MySqlGtidSet> gap = GtidStartLocator.mysql(MySqlGtidSet.parse(B + ":1")).search(1);
        assertEquals(0, gap.nextIndex());
        gap.accept(MySqlGtidSet.parse(A + ":1"));
        assertTrue(gap.done());
        assertThrows(GtidStartLocator.PurgedException.class, gap::first);
    }

    @Test
    void mariadbRuleIsTheMastersContainsAllSlaveGtids() {
        GtidStartLocator<List<MariaGtid>> state = GtidStartLocator.mariadb(MariaGtidPosition.parse("0-1-10,1-2-5"));
        assertTrue(state.covers(List.of()), "a file with an empty list follows nothing");
        assertTrue(state.covers(List.of(new MariaGtid(0, 1, 10))), "the list's own GTID: what follows is here");
        assertTrue(state.covers(List.of(new MariaGtid(0, 1, 7), new MariaGtid(1, 2, 5))));
        assertFalse(state.covers(List.of(new MariaGtid(0, 1, 11))), "the replica's GTID is in an older file");
        assertTrue(state.covers(List.of(new MariaGtid(0, 9, 99))), "another server's seq_no says nothing");
        assertFalse(state.covers(List.of(new MariaGtid(2, 1, 1))), "a domain the replica needs from its start");
    }

    @Test
    void mariadbFindsTheFileAMasterFindsForEveryConnectState() throws Exception {
        // twelve files; domain 0 from server 1, then from server 2 after file 6; domain 1 appears at file 4
        List<List<MariaGtid>> heads = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            List<MariaGtid> list = new ArrayList<>();
            if (i > 0) {
                list.add(new MariaGtid(0, 1, Math.min(i, 6) * 10L));
            }
            if (i > 6) {
                list.add(new MariaGtid(0, 2, 60 + (i - 6) * 10L));
            }
            if (i >= 4) {
                list.add(new MariaGtid(1, 3, i - 3));
            }
            heads.add(list);
        }
        Random r = new Random(7);
        for (int n = 0; n < 400; n++) {
            List<MariaGtid> state = new ArrayList<>();
            if (r.nextInt(5) > 0) {
                state.add(new MariaGtid(0, 1 + r.nextInt(2), r.nextInt(130)));
            }
            if (r.nextInt(5) > 0) {
                state.add(new MariaGtid(1, 3, r.nextInt(10)));
            }
            MariaGtidPosition p = MariaGtidPosition.of(state);
            assertSameAsScan(GtidStartLocator.mariadb(p), heads, p.toString());
        }
    }

    // ------------------------------------------------------------------ golden fixtures

    private static Path fixture(String name) throws URISyntaxException {
        return Paths.get(GtidStartLocatorTest.class.getResource("/fixtures/README.md").toURI()).getParent()
                .resolve(name);
    }

    /** The events of a fixture's files, in order, and each file's GTID head. */
    private record Captured(List<BinlogEvent> heads, List<List<BinlogEvent>> gtidsPerFile,
                            dev.binlogproxy.binlog.ChecksumAlgorithm checksum) {
    }

    private static Captured capture(String name, EventType head, EventType gtid) throws Exception {
        List<BinlogEvent> heads = new ArrayList<>();
        List<List<BinlogEvent>> gtids = new ArrayList<>();
        dev.binlogproxy.binlog.ChecksumAlgorithm checksum = null;
        for (String file : List.of("mysql-bin.000001", "mysql-bin.000002")) {
            List<BinlogEvent> inFile = new ArrayList<>();
            try (BinlogFileReader r = BinlogFileReader.open(fixture(name).resolve(file))) {
                FileEvent e;
                while ((e = r.next()) != null) {
                    checksum = r.checksum();
                    BinlogEvent copy = BinlogEvent.wrap(e.event().toByteArray());
                    if (copy.type() == head) {
                        heads.add(copy);
                    } else if (copy.type() == gtid) {
                        inFile.add(copy);
                    }
                }
            }
            gtids.add(inFile);
        }
        assertEquals(2, heads.size(), name);
        return new Captured(heads, gtids, checksum);
    }

    /**
     * For a replica that has the first k transactions of the fixture, the located file holds transaction k+1 (or,
     * with all of them, is the newest file).
     */
    @Test
    void mysqlFixtureStartsInTheFileOfTheFirstMissingTransaction() throws Exception {
        Captured c = capture("mysql-8.0.15-gtid-crc32", EventType.PREVIOUS_GTIDS, EventType.GTID);
        List<MySqlGtidSet> heads = new ArrayList<>();
        for (BinlogEvent h : c.heads()) {
            heads.add(PreviousGtids.decode(h, c.checksum()).gtids());
        }
        List<MySqlGtid> all = new ArrayList<>();
        List<Integer> fileOf = new ArrayList<>();
        for (int f = 0; f < 2; f++) {
            for (BinlogEvent g : c.gtidsPerFile().get(f)) {
                all.add(MySqlGtidEvent.decode(g, c.checksum()).gtid());
                fileOf.add(f);
            }
        }
        assertTrue(fileOf.contains(0) && fileOf.contains(1), "transactions in both files");
        MySqlGtidSet executed = MySqlGtidSet.EMPTY;
        for (int k = 0; k <= all.size(); k++) {
            int expected = k < all.size() ? fileOf.get(k) : 1;
            assertEquals(expected, GtidStartLocator.mysql(executed).locate(2, new CountingHeads<>(heads)),
                    "after " + k + " transactions");
            if (k < all.size()) {
                executed = executed.add(all.get(k));
            }
        }
    }

    @Test
    void mariadbFixtureStartsInTheFileOfTheFirstMissingTransaction() throws Exception {
        for (String name : List.of("mariadb-10.11-crc32", "mariadb-10.11-none")) {
            Captured c = capture(name, EventType.MARIA_GTID_LIST, EventType.MARIA_GTID);
            List<List<MariaGtid>> heads = new ArrayList<>();
            for (BinlogEvent h : c.heads()) {
                heads.add(MariaGtidList.decode(h, c.checksum()).gtids());
            }
            List<MariaGtid> all = new ArrayList<>();
            List<Integer> fileOf = new ArrayList<>();
            for (int f = 0; f < 2; f++) {
                for (BinlogEvent g : c.gtidsPerFile().get(f)) {
                    all.add(MariaGtidEvent.decode(g, c.checksum()).gtid());
                    fileOf.add(f);
                }
            }
            assertTrue(fileOf.contains(0) && fileOf.contains(1), name + ": transactions in both files");
            for (int k = 1; k <= all.size(); k++) {
                int expected = k < all.size() ? fileOf.get(k) : 1;
                MariaGtidPosition state = MariaGtidPosition.of(all.get(k - 1));
                assertEquals(expected, GtidStartLocator.mariadb(state).locate(2, new CountingHeads<>(heads)),
                        name + ": after " + state);
            }
        }
    }
}
