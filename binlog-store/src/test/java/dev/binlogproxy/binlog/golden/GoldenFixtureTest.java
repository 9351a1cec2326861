package dev.binlogproxy.binlog.golden;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventChecksum;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.event.MariaBinlogCheckpoint;
import dev.binlogproxy.binlog.event.MariaGtidEvent;
import dev.binlogproxy.binlog.event.MariaGtidList;
import dev.binlogproxy.binlog.event.MySqlGtidEvent;
import dev.binlogproxy.binlog.event.PreviousGtids;
import dev.binlogproxy.binlog.event.Query;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.binlog.event.XaPrepare;
import dev.binlogproxy.binlog.event.Xid;
import dev.binlogproxy.binlog.file.BinlogFileReader;
import dev.binlogproxy.binlog.file.BinlogFileSummary;
import dev.binlogproxy.binlog.file.FileEvent;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MariaGtidPosition;
import dev.binlogproxy.binlog.position.MySqlGtidSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model against binlogs written by real MySQL 8.0.15 and MariaDB 10.11 servers (fixtures/README.md says
 * which SQL made them). The server's own SHOW BINLOG EVENTS listing is the oracle for offsets and types.
 */
class GoldenFixtureTest {
    static Stream<Fixtures.Scenario> scenarios() {
        return Fixtures.scenarios();
    }

    private static List<FileEvent> readAll(Path file) throws Exception {
        List<FileEvent> out = new ArrayList<>();
        try (BinlogFileReader r = BinlogFileReader.open(file)) {
            for (FileEvent e = r.next(); e != null; e = r.next()) {
                out.add(e);
            }
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void readerSeesExactlyTheEventsTheServerLists(Fixtures.Scenario s) throws Exception {
        for (Path file : s.files()) {
            List<FileEvent> ours = readAll(file);
            List<Fixtures.ServerEvent> theirs = s.eventsOf(file.getFileName().toString());
            assertEquals(theirs.size(), ours.size(), file + ": event count");
            for (int i = 0; i < ours.size(); i++) {
                FileEvent e = ours.get(i);
                Fixtures.ServerEvent t = theirs.get(i);
                assertEquals(t.start(), e.offset(), file + " event " + i);
                assertEquals(t.end(), e.endOffset(), file + " event " + i);
                assertEquals(Fixtures.typeOf(t.type(), s.mariadb()), e.event().type(), file + " event " + i);
            }
            BinlogFileSummary summary = BinlogFileSummary.scan(file);
            assertTrue(summary.isValid(), () -> summary.damage().toString());
            assertEquals(Files.size(file), summary.validEnd());
            assertFalse(summary.endsInTransaction());
        }
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void transactionCountEqualsWhatTheServerCommitted(Fixtures.Scenario s) throws Exception {
        long counted = 0;
        for (Path file : s.files()) {
            counted += BinlogFileSummary.scan(file).transactions();
        }
        long expected;
        if (s.mariadb()) {
            // one domain, one server: the sequence number is the number of event groups written
            expected = MariaGtidPosition.parse(s.server().getProperty("gtid_binlog_pos")).gtidFor(0).orElseThrow().seqNo();
        } else if (s.server().getProperty("gtid_mode").equals("ON")) {
            expected = MySqlGtidSet.parse(s.server().getProperty("gtid_executed")).count();
        } else {
            expected = s.events().stream().filter(e -> e.type().equals("Anonymous_Gtid")).count();
        }
        assertTrue(expected > 10, "workload too small to mean anything: " + expected);
        assertEquals(expected, counted);
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void everyTypedEventReencodesToTheSameBytes(Fixtures.Scenario s) throws Exception {
        Map<EventType, Integer> covered = new EnumMap<>(EventType.class);
        for (Path file : s.files()) {
            ChecksumAlgorithm alg = null;
            for (FileEvent fe : readAll(file)) {
                BinlogEvent e = fe.event();
                if (alg == null) {
                    alg = FormatDescription.decode(e).checksumAlgorithm();
                }
                ChecksumAlgorithm a = alg;
                Function<BinlogEvent, byte[]> codec = switch (e.type()) {
                    case FORMAT_DESCRIPTION -> ev -> FormatDescription.decode(ev).encode();
                    case ROTATE -> ev -> Rotate.decode(ev, a).encode(a);
                    case QUERY -> ev -> Query.decode(ev, a).encode(a);
                    case XID -> ev -> Xid.decode(ev, a).encode(a);
                    case XA_PREPARE -> ev -> XaPrepare.decode(ev, a).encode(a);
                    case GTID, ANONYMOUS_GTID -> ev -> MySqlGtidEvent.decode(ev, a).encode(a);
                    case PREVIOUS_GTIDS -> ev -> PreviousGtids.decode(ev, a).encode(a);
                    case MARIA_GTID -> ev -> MariaGtidEvent.decode(ev, a).encode(a);
                    case MARIA_GTID_LIST -> ev -> MariaGtidList.decode(ev, a).encode(a);
                    case MARIA_BINLOG_CHECKPOINT -> ev -> MariaBinlogCheckpoint.decode(ev, a).encode(a);
                    default -> null;
                };
                if (codec != null) {
                    assertArrayEquals(e.toByteArray(), codec.apply(e), file + " at " + fe.offset() + ": " + e);
                    covered.merge(e.type(), 1, Integer::sum);
                }
            }
        }
        Set<EventType> mustCover = s.mariadb()
                ? EnumSet.of(EventType.FORMAT_DESCRIPTION, EventType.ROTATE, EventType.QUERY, EventType.XID,
                        EventType.XA_PREPARE, EventType.MARIA_GTID, EventType.MARIA_GTID_LIST,
                        EventType.MARIA_BINLOG_CHECKPOINT)
                : EnumSet.of(EventType.FORMAT_DESCRIPTION, EventType.ROTATE, EventType.QUERY, EventType.XID,
                        EventType.XA_PREPARE, EventType.PREVIOUS_GTIDS,
                        s.server().getProperty("gtid_mode").equals("ON") ? EventType.GTID : EventType.ANONYMOUS_GTID);
        assertTrue(covered.keySet().containsAll(mustCover), () -> "covered only " + covered);
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void formatDescriptionsDeclareTheServerAndTheChecksum(Fixtures.Scenario s) throws Exception {
        ChecksumAlgorithm expected = ChecksumAlgorithm.ofVariable(s.server().getProperty("binlog_checksum"));
        List<Path> files = s.files();
        for (int i = 0; i < files.size(); i++) {
            BinlogEvent first = readAll(files.get(i)).get(0).event();
            FormatDescription fde = FormatDescription.decode(first);
            assertEquals(s.server().getProperty("version"), fde.serverVersion());
            assertEquals(expected, fde.checksumAlgorithm());
            assertTrue(fde.checksumAware());
            assertTrue(FormatDescription.checksumMatches(first), "FDE carries a CRC even with NONE");
            // The file the server still writes has IN_USE set; the CRC covers the bytes with the flag clear.
            boolean open = i == files.size() - 1;
            assertEquals(open, fde.inUse(), files.get(i).toString());
            if (open) {
                byte[] raw = first.toByteArray();
                raw[BinlogEvent.FLAGS_OFFSET] &= ~1;
                assertEquals(EventChecksum.expected(first), BinlogEvent.wrap(raw).storedChecksum());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void gtidEventsAddUpToTheServersGtidState(Fixtures.Scenario s) throws Exception {
        List<Path> files = s.files();
        if (s.mariadb()) {
            MariaGtidPosition pos = MariaGtidPosition.EMPTY;
            for (Path file : files) {
                List<FileEvent> events = readAll(file);
                ChecksumAlgorithm alg = FormatDescription.decode(events.get(0).event()).checksumAlgorithm();
                MariaGtidList list = MariaGtidList.decode(events.get(1).event(), alg);
                // each file's GTID_LIST is the binlog state at its start
                assertEquals(pos, MariaGtidPosition.of(list.gtids()), file.toString());
                for (FileEvent fe : events) {
                    if (fe.event().type() == EventType.MARIA_GTID) {
                        MariaGtid g = MariaGtidEvent.decode(fe.event(), alg).gtid();
                        assertEquals(g, MariaGtidEvent.gtidOf(fe.event(), alg), "read in place");
                        assertEquals(Long.parseLong(s.server().getProperty("server_id")), g.serverId());
                        pos = pos.with(g);
                    }
                }
            }
            assertEquals(MariaGtidPosition.parse(s.server().getProperty("gtid_binlog_pos")), pos);
        } else {
            MySqlGtidSet seen = MySqlGtidSet.EMPTY;
            for (Path file : files) {
                List<FileEvent> events = readAll(file);
                ChecksumAlgorithm alg = FormatDescription.decode(events.get(0).event()).checksumAlgorithm();
                PreviousGtids previous = PreviousGtids.decode(events.get(1).event(), alg);
                assertEquals(seen, previous.gtids(), file.toString());
                for (FileEvent fe : events) {
                    if (fe.event().type() == EventType.GTID) {
                        seen = seen.add(MySqlGtidEvent.decode(fe.event(), alg).gtid());
                    }
                }
            }
            assertEquals(MySqlGtidSet.parse(s.server().getProperty("gtid_executed")), seen);
        }
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void singleEventFixturesAreSlicesOfTheFilesAndDecode(Fixtures.Scenario s) throws Exception {
        Path dir = s.dir().resolve("events");
        List<Path> singles;
        try (Stream<Path> list = Files.list(dir)) {
            singles = list.sorted().toList();
        }
        assertTrue(singles.size() >= 12, "too few single-event fixtures: " + singles);
        ChecksumAlgorithm alg = ChecksumAlgorithm.ofVariable(s.server().getProperty("binlog_checksum"));
        for (Path single : singles) {
            // name: <Type>[-<kind>]-<file>-<offset>.bin
            String name = single.getFileName().toString().replace(".bin", "");
            int lastDash = name.lastIndexOf('-');
            long offset = Long.parseLong(name.substring(lastDash + 1));
            String rest = name.substring(0, lastDash);
            String file = rest.substring(rest.indexOf("mysql-bin."));
            byte[] bytes = Files.readAllBytes(single);
            byte[] whole = Files.readAllBytes(s.dir().resolve(file));
            assertArrayEquals(Arrays.copyOfRange(whole, (int) offset, (int) offset + bytes.length), bytes, name);
            BinlogEvent e = BinlogEvent.wrap(bytes);
            assertEquals(offset + bytes.length, e.logPos(), name);
            if (e.type() == EventType.FORMAT_DESCRIPTION) {
                assertTrue(FormatDescription.checksumMatches(e), name);
            } else {
                assertTrue(EventChecksum.matches(e, alg), name);
                assertNotNull(e.body(alg));
            }
        }
    }
}
