package dev.binlogproxy.archive;

import dev.binlogproxy.archive.ArchiveSearch.Found;
import dev.binlogproxy.archive.ArchiveSearch.Target;
import dev.binlogproxy.archive.ArchiveSearch.Transaction;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.testkit.fixtures.GoldenFixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * find's answers held to the servers' own SHOW BINLOG EVENTS of the golden fixtures (events.tsv): for every
 * transaction the server listed, its GTID finds exactly its first and last event, with the neighbours the listing
 * has; its start is a boundary between the neighbours; a position inside it names it; times before and after
 * everything land at the ends.
 */
class ArchiveSearchTest {
    /** Event types that are no transaction's part: a transaction ends before the next of these or the next GTID. */
    private static final Set<String> CONTROL = Set.of("Format_desc", "Previous_gtids", "Gtid_list", "Binlog_checkpoint",
            "Rotate", "Stop");

    static List<String> scenarios() {
        return GoldenFixtures.scenarios();
    }

    /** A transaction as the server's listing shows it: GTID text (or null), first event's start, last event's end. */
    private record Listed(String gtid, BinlogPosition start, BinlogPosition end) {
    }

    private static List<Listed> listed(String scenario) throws Exception {
        List<String> lines = Files.readAllLines(GoldenFixtures.dir(scenario).resolve("events.tsv"));
        List<Listed> out = new ArrayList<>();
        String gtid = null;
        BinlogPosition start = null;
        BinlogPosition lastEnd = null;
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t", -1);
            String type = f[3];
            boolean opens = type.equals("Gtid") || type.equals("Anonymous_Gtid");
            if ((opens || CONTROL.contains(type)) && start != null) {
                out.add(new Listed(gtid, start, lastEnd));
                start = null;
            }
            if (opens) {
                start = new BinlogPosition(f[0], Long.parseLong(f[1]));
                gtid = gtidOf(f[4]);
            }
            lastEnd = new BinlogPosition(f[0], Long.parseLong(f[2]));
        }
        if (start != null) {
            out.add(new Listed(gtid, start, lastEnd));
        }
        return out;
    }

    /** "SET @@SESSION.GTID_NEXT= 'uuid:n'", "BEGIN GTID 0-21-3", "GTID 0-21-1"; anonymous: null. */
    private static String gtidOf(String info) {
        if (info.contains("GTID_NEXT= '")) {
            String g = info.substring(info.indexOf('\'') + 1, info.lastIndexOf('\''));
            return g.equals("ANONYMOUS") ? null : g;
        }
        int at = info.indexOf("GTID ");
        return at < 0 ? null : info.substring(at + 5).trim().split(" ")[0];
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void everyListedTransactionIsFoundWithItsNeighbours(String scenario) throws Exception {
        Path dir = GoldenFixtures.dir(scenario);
        List<Listed> txns = listed(scenario);
        assertTrue(txns.size() > 10, scenario + ": " + txns);
        int gtids = 0;
        for (int i = 0; i < txns.size(); i++) {
            Listed t = txns.get(i);
            Listed prev = i > 0 ? txns.get(i - 1) : null;
            Listed next = i + 1 < txns.size() ? txns.get(i + 1) : null;
            if (t.gtid() != null) {
                gtids++;
                Found byGtid = ArchiveSearch.find(dir, new Target.Gtid(ArchiveExport.parseGtid(t.gtid())));
                String what = scenario + " GTID " + t.gtid() + ": " + byGtid;
                assertEquals(t.start(), byGtid.position(), what);
                assertSame(t, byGtid.at().orElseThrow(), what);
                assertEquals(t.gtid(), byGtid.at().get().gtid().toString(), what);
                assertNeighbour(prev, byGtid.before().orElse(null), what);
                assertNeighbour(next, byGtid.after().orElse(null), what);
            }
            Found atStart = ArchiveSearch.find(dir, new Target.At(t.start()));
            String what = scenario + " at " + t.start() + ": " + atStart;
            assertTrue(atStart.at().isEmpty(), what);
            assertSame(t, atStart.after().orElseThrow(), what);
            assertNeighbour(prev, atStart.before().orElse(null), what);
            assertTrue(atStart.notes().isEmpty(), what);

            Found inside = ArchiveSearch.find(dir, new Target.At(t.start().withOffset(t.start().offset() + 1)));
            what = scenario + " inside " + t.start() + ": " + inside;
            assertSame(t, inside.at().orElseThrow(), what);
            assertNeighbour(prev, inside.before().orElse(null), what);
            assertNeighbour(next, inside.after().orElse(null), what);
            assertTrue(inside.notes().stream().anyMatch(n -> n.contains("inside a transaction")), what);
        }
        assertEquals(scenario.contains("anonymous") ? 0 : txns.size(), gtids, scenario);
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void timesBeforeAndAfterEverythingLandAtTheEnds(String scenario) throws Exception {
        Path dir = GoldenFixtures.dir(scenario);
        List<Listed> txns = listed(scenario);
        Found early = ArchiveSearch.find(dir, new Target.AtTime(Instant.EPOCH));
        assertEquals(txns.get(0).start(), early.position(), early.toString());
        assertTrue(early.before().isEmpty(), early.toString());
        assertSame(txns.get(0), early.after().orElseThrow(), early.toString());

        Found late = ArchiveSearch.find(dir, new Target.AtTime(Instant.parse("2100-01-01T00:00:00Z")));
        Listed last = txns.get(txns.size() - 1);
        assertEquals(last.end(), late.position(), late.toString());
        assertSame(last, late.before().orElseThrow(), late.toString());
        assertTrue(late.after().isEmpty() && late.notes().get(0).startsWith("no transaction at or after"),
                late.toString());

        // the second after the first transaction's time: the first transaction at or after it, in log order
        Instant firstTime = early.after().get().time();
        Found mid = ArchiveSearch.find(dir, new Target.AtTime(firstTime.plusMillis(1)));
        Transaction after = mid.after().orElse(null);
        if (after != null) {
            assertTrue(!after.time().isBefore(firstTime.plusSeconds(1)), mid.toString());
            assertEquals(after.start(), mid.position(), mid.toString());
        }
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void whatIsNotThereIsRefusedWithTheReason(String scenario) throws Exception {
        Path dir = GoldenFixtures.dir(scenario);
        String missing = scenario.startsWith("mysql") ? "727bccb0-e5ab-11f1-bc13-02fc00000001:99999" : "0-21-99999";
        ArchiveSearch.SearchException e = assertThrows(ArchiveSearch.SearchException.class,
                () -> ArchiveSearch.find(dir, new Target.Gtid(ArchiveExport.parseGtid(missing))));
        assertTrue(e.getMessage().startsWith("GTID " + missing + " is not in "), e.getMessage());
        e = assertThrows(ArchiveSearch.SearchException.class,
                () -> ArchiveSearch.find(dir, new Target.At(new BinlogPosition("mysql-bin.000009", 4))));
        assertTrue(e.getMessage().startsWith("mysql-bin.000009 is not in "), e.getMessage());
    }

    private static void assertSame(Listed expected, Transaction actual, String what) {
        assertEquals(expected.start(), actual.start(), what);
        assertEquals(expected.end(), actual.end(), what);
    }

    private static void assertNeighbour(Listed expected, Transaction actual, String what) {
        if (expected == null) {
            assertEquals(null, actual, what);
        } else {
            assertTrue(actual != null, what + ": no neighbour, expected " + expected);
            assertSame(expected, actual, what);
        }
    }
}
