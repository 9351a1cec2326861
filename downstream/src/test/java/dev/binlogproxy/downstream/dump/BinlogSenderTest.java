package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.archive.Appended;
import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventChecksum;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.event.Heartbeat;
import dev.binlogproxy.binlog.event.MariaGtidEvent;
import dev.binlogproxy.binlog.event.MariaGtidList;
import dev.binlogproxy.binlog.event.MySqlGtidEvent;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MariaGtidPosition;
import dev.binlogproxy.binlog.position.MySqlGtidSet;
import dev.binlogproxy.binlog.txn.EventRole;
import dev.binlogproxy.binlog.txn.TransactionTracker;
import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.RealMasterDump;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sender's rules on archives of the golden fixtures (MySQL 8.0.15 GTID+CRC32 and anonymous+NONE, MariaDB 10.11
 * CRC32 and NONE), through a recording output. What a real master sends for the same kind of request is pinned
 * by {@link SenderMatchesRealMasterTest}; here every rule is checked against the fixture files themselves.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class BinlogSenderTest {
    private static final long REPLICA = 77;

    @TempDir
    Path dir;

    static List<String> scenarios() {
        return Archives.scenarios();
    }

    private static BinlogFlavor flavor(String scenario) {
        return Archives.isMaria(scenario) ? BinlogFlavor.MARIADB : BinlogFlavor.MYSQL;
    }

    private static DumpRequest request(String scenario, StartPoint start, int flags, ChecksumAlgorithm checksum) {
        return new DumpRequest(start, REPLICA, flags, flavor(scenario), checksum, 0, false,
                Archives.isMaria(scenario) ? 4 : 0, false);
    }

    private static ChecksumAlgorithm fileChecksum(String scenario) {
        return Archives.checksum(Archives.bytes(scenario, Archives.FILE1));
    }

    private static RecordingOutput run(BinlogArchive archive, DumpRequest request, long masterId) throws Exception {
        RecordingOutput out = new RecordingOutput();
        new BinlogSender(archive, request, out, masterId, new DumpMetrics(new SimpleMeterRegistry())).run();
        return out;
    }

    private static BinlogEvent ev(RealMasterDump.Item item) {
        return BinlogEvent.wrap(((RealMasterDump.Event) item).bytes());
    }

    /** A fake ROTATE as both masters send it: timestamp 0, ARTIFICIAL, log_pos 0, master's server_id. */
    private static void assertFakeRotate(BinlogEvent e, long serverId, String file, long position, boolean crc) {
        assertEquals(EventType.ROTATE, e.type());
        assertEquals(0, e.timestamp());
        assertEquals(0, e.logPos());
        assertEquals(EventFlags.ARTIFICIAL, e.flags());
        assertEquals(serverId, e.serverId());
        ChecksumAlgorithm alg = crc ? ChecksumAlgorithm.CRC32 : ChecksumAlgorithm.OFF;
        Rotate r = Rotate.decode(e, alg);
        assertEquals(file, r.nextFile());
        assertEquals(position, r.position());
        if (crc) {
            assertTrue(EventChecksum.matches(e, ChecksumAlgorithm.CRC32), "fake rotate CRC");
        }
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void fromTheOldestFileEveryEventAsArchivedWithFakeRotatesAndEof(String scenario) throws Exception {
        ChecksumAlgorithm alg = fileChecksum(scenario);
        long id = Archives.serverId(scenario);
        boolean maria = Archives.isMaria(scenario);
        try (BinlogArchive a = Archives.ofFixture(dir, scenario)) {
            // MariaDB: flag 0x02 asks for ANNOTATE_ROWS, without which the stream is the file minus those.
            for (int flags : maria ? new int[] {1, 3} : new int[] {1}) {
                RecordingOutput out = run(a, request(scenario, new StartPoint.FilePosition("", 4), flags, alg), id);
                List<RealMasterDump.Item> items = out.items;
                int i = 0;
                for (String file : List.of(Archives.FILE1, Archives.FILE2)) {
                    byte[] archived = Archives.archived(Archives.bytes(scenario, file));
                    assertFakeRotate(ev(items.get(i++)), id, file, 4, alg == ChecksumAlgorithm.CRC32);
                    for (Archives.Positioned p : Archives.events(archived)) {
                        if (p.event().type() == EventType.MARIA_ANNOTATE_ROWS && (flags & 2) == 0) {
                            continue;
                        }
                        assertArrayEquals(p.event().toByteArray(), ((RealMasterDump.Event) items.get(i++)).bytes(),
                                file + ":" + p.offset() + " " + p.event());
                    }
                }
                assertInstanceOf(RealMasterDump.Eof.class, items.get(i++));
                assertEquals(i, items.size());
                assertEquals(0, ev(items.get(1)).flags() & EventFlags.BINLOG_IN_USE, "FDE sent without IN_USE");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void fromEveryEventBoundaryTheFdeHasLogPosAndCreatedZero(String scenario) throws Exception {
        ChecksumAlgorithm alg = fileChecksum(scenario);
        long id = Archives.serverId(scenario);
        try (BinlogArchive a = Archives.ofFixture(dir, scenario)) {
            byte[] f1 = Archives.archived(Archives.bytes(scenario, Archives.FILE1));
            List<Archives.Positioned> events = Archives.events(f1);
            for (Archives.Positioned p : events.subList(1, events.size())) {
                RecordingOutput out = run(a, request(scenario, new StartPoint.FilePosition(Archives.FILE1, p.offset()),
                        3, alg), id);
                assertFakeRotate(out.event(0), id, Archives.FILE1, p.offset(), alg == ChecksumAlgorithm.CRC32);
                BinlogEvent fde = out.event(1);
                assertEquals(0, fde.logPos());
                FormatDescription d = FormatDescription.decode(fde);
                assertEquals(0, d.createTimestamp());
                assertFalse(d.inUse());
                // CRC32 binlogs: recomputed. NONE: the file's trailer kept (stale), as both masters send it.
                assertEquals(alg == ChecksumAlgorithm.CRC32, FormatDescription.checksumMatches(fde), "FDE CRC");
                assertEquals(p.event(), out.event(2), "then the event at " + p.offset());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void positionsThatNameNoEventStartAreRefusedWithErr1236(String scenario) throws Exception {
        ChecksumAlgorithm alg = fileChecksum(scenario);
        long id = Archives.serverId(scenario);
        try (BinlogArchive a = Archives.ofFixture(dir, scenario)) {
            byte[] f1 = Archives.bytes(scenario, Archives.FILE1);
            List<Archives.Positioned> events = Archives.events(f1);
            int refused = 0;
            for (Archives.Positioned p : events.subList(1, events.size())) {
                for (long inside : new long[] {p.offset() + 1, p.offset() + 19, p.end() - 1}) {
                    if (inside >= p.end()) {
                        continue;
                    }
                    RecordingOutput out = run(a, request(scenario,
                            new StartPoint.FilePosition(Archives.FILE1, inside), 1, alg), id);
                    assertEquals(3, out.items.size(), "rotate, FDE, ERR at " + inside + ": " + out.items);
                    RealMasterDump.Err err = (RealMasterDump.Err) out.items.get(2);
                    assertEquals(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, err.code());
                    assertEquals("HY000", err.sqlState());
                    refused++;
                }
            }
            assertTrue(refused > 50, "positions tried: " + refused);
            String noFile = "Could not find first log file name in binary log index file";
            assertEquals(List.of(new RealMasterDump.Err(1236, "HY000", noFile)),
                    run(a, request(scenario, new StartPoint.FilePosition("mysql-bin.000003", 4), 1, alg), id).items);
            List<RealMasterDump.Item> beyond = run(a, request(scenario,
                    new StartPoint.FilePosition(Archives.FILE1, f1.length + 1), 1, alg), id).items;
            assertEquals(1, beyond.size());
            assertTrue(((RealMasterDump.Err) beyond.get(0)).message().contains("position"), beyond.toString());
        }
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void checksumsFollowWhatTheClientAnnounced(String scenario) throws Exception {
        ChecksumAlgorithm alg = fileChecksum(scenario);
        long id = Archives.serverId(scenario);
        try (BinlogArchive a = Archives.ofFixture(dir, scenario)) {
            List<RealMasterDump.Item> silent = run(a, request(scenario,
                    new StartPoint.FilePosition(Archives.FILE2, 4), 1, null), id).items;
            assertFakeRotate(ev(silent.get(0)), id, Archives.FILE2, 4, false);
            if (alg == ChecksumAlgorithm.CRC32) {
                assertEquals(2, silent.size());
                RealMasterDump.Err err = (RealMasterDump.Err) silent.get(1);
                assertEquals(1236, err.code());
                assertTrue(err.message().startsWith("Slave can not handle replication events with the checksum that"
                        + " master is configured to log"), err.message());
            } else {
                assertInstanceOf(RealMasterDump.Eof.class, silent.get(silent.size() - 1), "NONE binlog: no check");
            }
            // A client that said NONE gets a fake rotate without CRC, the events as they are, and from the FDE on
            // fake events as the FDE declares (the second file's rotate).
            List<RealMasterDump.Item> none = run(a, request(scenario, new StartPoint.FilePosition("", 4), 1,
                    ChecksumAlgorithm.OFF), id).items;
            assertFakeRotate(ev(none.get(0)), id, Archives.FILE1, 4, false);
            int second = -1;
            for (int i = 1; i < none.size(); i++) {
                if (none.get(i) instanceof RealMasterDump.Event e && BinlogEvent.wrap(e.bytes()).logPos() == 0
                        && BinlogEvent.wrap(e.bytes()).type() == EventType.ROTATE) {
                    second = i;
                }
            }
            assertFakeRotate(ev(none.get(second)), id, Archives.FILE2, 4, alg == ChecksumAlgorithm.CRC32);
        }
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void semiSyncHeaderOnEveryPacketAndTheAckFlagOnTheLastReadableCommit(String scenario) throws Exception {
        ChecksumAlgorithm alg = fileChecksum(scenario);
        try (BinlogArchive a = Archives.ofFixture(dir, scenario)) {
            DumpRequest r = new DumpRequest(new StartPoint.FilePosition("", 4), REPLICA, 3, flavor(scenario), alg, 0,
                    true, 4, false);
            List<RealMasterDump.Item> items = run(a, r, Archives.serverId(scenario)).items;
            List<RealMasterDump.Event> events = new ArrayList<>();
            for (RealMasterDump.Item i : items) {
                if (i instanceof RealMasterDump.Event e) {
                    events.add(e);
                    assertTrue(e.semiSync());
                }
            }
            assertInstanceOf(RealMasterDump.Eof.class, items.get(items.size() - 1));
            // Backlog: only the newest commit is flagged (the one a committing client would wait on), as the real
            // MariaDB master does; the ack for it covers everything before.
            List<Integer> flagged = new ArrayList<>();
            TransactionTracker tracker = new TransactionTracker();
            int lastEnd = -1;
            for (int i = 0; i < events.size(); i++) {
                BinlogEvent e = BinlogEvent.wrap(events.get(i).bytes());
                EventRole role = e.logPos() == 0 ? EventRole.CONTROL : tracker.accept(e);
                if (role == EventRole.END || role == EventRole.COMPLETE) {
                    lastEnd = i;
                }
                if (events.get(i).ackRequested()) {
                    flagged.add(i);
                }
            }
            assertEquals(List.of(lastEnd), flagged);
        }
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void tailingDumpSendsHeartbeatsWithTheExactPositionThenNewTransactionsAndStops(String scenario) throws Exception {
        ChecksumAlgorithm alg = fileChecksum(scenario);
        long id = Archives.serverId(scenario);
        byte[] f1 = Archives.bytes(scenario, Archives.FILE1);
        byte[] f2 = Archives.bytes(scenario, Archives.FILE2);
        List<Archives.Positioned> e2 = Archives.events(f2);
        try (BinlogArchive a = BinlogArchive.open(dir, Durability.WRITE)) {
            a.checkIdentity(Archives.identity(scenario));
            Archives.feed(a, Archives.FILE1, f1);
            // The second file up to its first transaction end, then the rest later.
            int firstEnd = firstCommit(e2, alg);
            Archives.awaitVisible(Archives.feed(a, Archives.FILE2, f2, firstEnd + 1));
            long visible = e2.get(firstEnd).end();

            DumpRequest r = new DumpRequest(new StartPoint.FilePosition(Archives.FILE2, 4), REPLICA, 2,
                    flavor(scenario), alg, TimeUnit.MILLISECONDS.toNanos(20), false, 4, false);
            RecordingOutput out = new RecordingOutput();
            BinlogSender sender = new BinlogSender(a, r, out, id, new DumpMetrics(new SimpleMeterRegistry()));
            Thread t = startSender(sender);
            waitFor(() -> heartbeats(out).size() >= 3);
            for (BinlogEvent hb : heartbeats(out)) {
                Heartbeat h = Heartbeat.decode(hb, alg);
                assertEquals(Archives.FILE2, h.logFile());
                assertEquals(visible, h.position());
                assertEquals(0, hb.timestamp());
                assertEquals(id, hb.serverId());
            }
            List<Appended> rest = new ArrayList<>();
            for (Archives.Positioned p : e2.subList(firstEnd + 1, e2.size())) {
                rest.add(a.writer().append(p.event()));
            }
            Archives.awaitVisible(rest);
            BinlogEvent last = e2.get(e2.size() - 1).event();
            waitFor(() -> out.snapshot().stream().anyMatch(i -> i instanceof RealMasterDump.Event e
                    && Arrays.equals(e.bytes(), last.toByteArray())));
            sender.stop();
            t.join(5000);
            assertFalse(t.isAlive(), "stop() ends run()");
            for (Archives.Positioned p : e2.subList(1, e2.size())) {
                if (p.event().type() != EventType.MARIA_ANNOTATE_ROWS) {
                    assertTrue(out.snapshot().stream().anyMatch(i -> i instanceof RealMasterDump.Event e
                            && Arrays.equals(e.bytes(), p.event().toByteArray())), "sent " + p.event());
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void aFileItsMasterLeftWithoutRotateIsFollowedByTheNextFile(String scenario) throws Exception {
        ChecksumAlgorithm alg = fileChecksum(scenario);
        long id = Archives.serverId(scenario);
        byte[] f1 = Archives.bytes(scenario, Archives.FILE1);
        List<Archives.Positioned> e1 = Archives.events(f1);
        try (BinlogArchive a = BinlogArchive.open(dir, Durability.WRITE)) {
            a.checkIdentity(Archives.identity(scenario));
            Archives.feed(a, Archives.FILE1, f1, e1.size() - 1); // no ROTATE: the master crashed
            Archives.awaitVisible(Archives.feed(a, Archives.FILE2, Archives.bytes(scenario, Archives.FILE2)));
            List<RealMasterDump.Item> items = run(a, request(scenario, new StartPoint.FilePosition("", 4), 3, alg),
                    id).items;
            BinlogEvent lastOfFile1 = e1.get(e1.size() - 2).event();
            int at = -1;
            for (int i = 0; i < items.size(); i++) {
                if (items.get(i) instanceof RealMasterDump.Event e && Arrays.equals(e.bytes(), lastOfFile1.toByteArray())) {
                    at = i;
                }
            }
            assertTrue(at > 0);
            assertFakeRotate(ev(items.get(at + 1)), id, Archives.FILE2, 4, alg == ChecksumAlgorithm.CRC32);
            assertEquals(EventType.FORMAT_DESCRIPTION, ev(items.get(at + 2)).type());
            assertInstanceOf(RealMasterDump.Eof.class, items.get(items.size() - 1));
        }
    }

    @Test
    void mySqlGtidDumpSkipsExecutedTransactionsWithHeartbeatsAndRefusesPurgedOnes() throws Exception {
        String scenario = Archives.MYSQL_GTID;
        long id = Archives.serverId(scenario);
        byte[] f1 = Archives.bytes(scenario, Archives.FILE1);
        List<Archives.Positioned> e1 = Archives.events(f1);
        List<MySqlGtidEvent> gtids = new ArrayList<>();
        for (Archives.Positioned p : e1) {
            if (p.event().type() == EventType.GTID) {
                gtids.add(MySqlGtidEvent.decode(p.event(), ChecksumAlgorithm.CRC32));
            }
        }
        MySqlGtidSet firstThree = MySqlGtidSet.EMPTY;
        for (MySqlGtidEvent g : gtids.subList(0, 3)) {
            firstThree = firstThree.add(g.gtid());
        }
        try (BinlogArchive a = Archives.ofFixture(dir, scenario)) {
            DumpRequest r = request(scenario, new StartPoint.MySqlGtids(firstThree), 1, ChecksumAlgorithm.CRC32);
            List<RealMasterDump.Item> items = run(a, r, id).items;
            // rotate, FDE (created 0), PREVIOUS_GTIDS, then a heartbeat per skipped event, then the 4th transaction.
            assertFakeRotate(ev(items.get(0)), id, Archives.FILE1, 4, true);
            assertEquals(0, FormatDescription.decode(ev(items.get(1))).createTimestamp());
            assertEquals(EventType.PREVIOUS_GTIDS, ev(items.get(2)).type());
            int i = 3;
            for (Archives.Positioned p : e1.subList(2, e1.size())) {
                if (p.event().type() == EventType.GTID
                        && !firstThree.contains(MySqlGtidEvent.decode(p.event(), ChecksumAlgorithm.CRC32).gtid())) {
                    break;
                }
                BinlogEvent hb = ev(items.get(i++));
                assertEquals(EventType.HEARTBEAT, hb.type());
                assertEquals(p.end(), Heartbeat.decode(hb, ChecksumAlgorithm.CRC32).position());
            }
            assertEquals(gtids.get(3).gtid(), MySqlGtidEvent.decode(ev(items.get(i)), ChecksumAlgorithm.CRC32).gtid());
        }
        // An archive that starts at file 2 has purged file 1's GTIDs: a replica lacking them is refused.
        try (BinlogArchive a = BinlogArchive.open(dir.resolve("second"), Durability.WRITE)) {
            a.checkIdentity(Archives.identity(scenario));
            Archives.awaitVisible(Archives.feed(a, Archives.FILE2, Archives.bytes(scenario, Archives.FILE2)));
            List<RealMasterDump.Item> refused = run(a, request(scenario, new StartPoint.MySqlGtids(firstThree), 1,
                    ChecksumAlgorithm.CRC32), id).items;
            assertEquals(1, refused.size());
            assertTrue(((RealMasterDump.Err) refused.get(0)).message().startsWith(
                    "Cannot replicate because the master purged required binary logs"));
        }
    }

    @ParameterizedTest
    @MethodSource("mariaScenarios")
    void mariaDbConnectStateSkipsUpToTheGtidThenSendsAFakeGtidList(String scenario) throws Exception {
        ChecksumAlgorithm alg = fileChecksum(scenario);
        long id = Archives.serverId(scenario);
        byte[] f1 = Archives.bytes(scenario, Archives.FILE1);
        List<MariaGtid> gtids = new ArrayList<>();
        for (Archives.Positioned p : Archives.events(f1)) {
            if (p.event().type() == EventType.MARIA_GTID) {
                gtids.add(MariaGtidEvent.decode(p.event(), alg).gtid());
            }
        }
        MariaGtid connect = gtids.get(2);
        try (BinlogArchive a = Archives.ofFixture(dir, scenario)) {
            List<RealMasterDump.Item> items = run(a, request(scenario,
                    new StartPoint.MariaGtids(MariaGtidPosition.of(connect)), 1, alg), id).items;
            int fake = -1;
            for (int i = 0; i < items.size(); i++) {
                if (items.get(i) instanceof RealMasterDump.Event e && BinlogEvent.wrap(e.bytes()).type()
                        == EventType.MARIA_GTID_LIST && BinlogEvent.wrap(e.bytes()).hasFlag(EventFlags.ARTIFICIAL)) {
                    fake = i;
                }
            }
            assertTrue(fake > 0, "a fake GTID_LIST");
            MariaGtidList list = MariaGtidList.decode(ev(items.get(fake)), alg);
            assertEquals(List.of(connect), list.gtids());
            assertEquals(0, ev(items.get(fake)).timestamp());
            MariaGtid next = MariaGtidEvent.decode(ev(items.get(fake + 1)), alg).gtid();
            assertEquals(gtids.get(3), next);
            assertEquals(list.header().logPos() + ev(items.get(fake + 1)).eventSize(), ev(items.get(fake + 1)).logPos(),
                    "the fake GTID_LIST names where sending resumes");
            for (RealMasterDump.Item it : items.subList(0, fake)) {
                if (it instanceof RealMasterDump.Event e) {
                    assertNotEquals(EventType.MARIA_GTID, BinlogEvent.wrap(e.bytes()).type(), "skipped groups");
                }
            }
            MariaGtid absent = new MariaGtid(connect.domainId(), connect.serverId(), 999_999);
            List<RealMasterDump.Item> refused = run(a, request(scenario,
                    new StartPoint.MariaGtids(MariaGtidPosition.of(absent)), 1, alg), id).items;
            assertEquals(List.of(new RealMasterDump.Err(1236, "HY000", "Error: connecting slave requested to start"
                    + " from GTID " + absent + ", which is not in the master's binlog")), refused);
        }
    }

    static List<String> mariaScenarios() {
        return List.of(Archives.MARIA_CRC, Archives.MARIA_NONE);
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void aPositionTheArchiveHasNotReachedYetWaitsForItBriefly(String scenario) throws Exception {
        ChecksumAlgorithm alg = fileChecksum(scenario);
        long id = Archives.serverId(scenario);
        byte[] f2 = Archives.bytes(scenario, Archives.FILE2);
        List<Archives.Positioned> e2 = Archives.events(f2);
        int firstEnd = firstCommit(e2, alg);
        long target = e2.get(e2.size() - 1).offset(); // a boundary in the part not archived yet
        try (BinlogArchive a = BinlogArchive.open(dir, Durability.WRITE)) {
            a.checkIdentity(Archives.identity(scenario));
            Archives.feed(a, Archives.FILE1, Archives.bytes(scenario, Archives.FILE1));
            // Ahead of the archive: the next file, not there at all yet; then a position past its readable end.
            for (StartPoint start : List.of(new StartPoint.FilePosition(Archives.FILE2, 4),
                    new StartPoint.FilePosition(Archives.FILE2, target))) {
                RecordingOutput out = new RecordingOutput();
                BinlogSender sender = new BinlogSender(a, request(scenario, start, 0, alg), out, id,
                        new DumpMetrics(new SimpleMeterRegistry()));
                Thread t = startSender(sender);
                Thread.sleep(300);
                assertTrue(out.snapshot().isEmpty(), "nothing sent while the archive is behind");
                if (a.files().size() == 1) {
                    Archives.awaitVisible(Archives.feed(a, Archives.FILE2, f2, firstEnd + 1));
                } else {
                    List<Appended> rest = new ArrayList<>();
                    for (Archives.Positioned p : e2.subList(firstEnd + 1, e2.size())) {
                        rest.add(a.writer().append(p.event()));
                    }
                    Archives.awaitVisible(rest);
                }
                BinlogEvent lastSent = a.files().size() == 2 && start.equals(new StartPoint.FilePosition(
                        Archives.FILE2, 4)) ? e2.get(firstEnd).event() : e2.get(e2.size() - 1).event();
                waitFor(() -> out.snapshot().stream().anyMatch(i -> i instanceof RealMasterDump.Event e
                        && Arrays.equals(e.bytes(), lastSent.toByteArray())));
                sender.stop();
                t.join(10_000);
                assertFalse(t.isAlive());
                long at = ((StartPoint.FilePosition) start).position();
                assertFakeRotate(out.event(0), id, Archives.FILE2, at, alg == ChecksumAlgorithm.CRC32);
                assertEquals(EventType.FORMAT_DESCRIPTION, out.event(1).type());
                assertEquals(at == 4 ? e2.get(1).event() : e2.get(e2.size() - 1).event(), out.event(2));
            }
        }
    }

    /**
     * The archive shows a ROTATE only with the next file's head (as a master does): until then a blocking dump
     * waits before the ROTATE and its heartbeats name the old file at the ROTATE's start (where the replica
     * stands); then the ROTATE, the next file's head, and heartbeats naming the next file.
     */
    @ParameterizedTest
    @MethodSource("scenarios")
    void heartbeatsNameTheOldFileUntilTheRotateIsShownWithTheNextFile(String scenario) throws Exception {
        ChecksumAlgorithm alg = fileChecksum(scenario);
        long id = Archives.serverId(scenario);
        byte[] file1 = Archives.bytes(scenario, Archives.FILE1);
        List<Archives.Positioned> events1 = Archives.events(file1);
        long rotateAt = events1.get(events1.size() - 1).offset();
        List<Archives.Positioned> events2 = Archives.events(Archives.bytes(scenario, Archives.FILE2));
        try (BinlogArchive a = BinlogArchive.open(dir, Durability.WRITE)) {
            a.checkIdentity(Archives.identity(scenario));
            Archives.awaitVisible(Archives.feed(a, Archives.FILE1, file1));
            DumpRequest r = new DumpRequest(new StartPoint.FilePosition(Archives.FILE1, 4), REPLICA, 2,
                    flavor(scenario), alg, TimeUnit.MILLISECONDS.toNanos(20), false, 4, false);
            RecordingOutput out = new RecordingOutput();
            BinlogSender sender = new BinlogSender(a, r, out, id, new DumpMetrics(new SimpleMeterRegistry()));
            Thread t = startSender(sender);
            try {
                waitFor(() -> heartbeats(out).size() >= 2);
                assertEquals(-1, realRotate(out.snapshot()), "the ROTATE waits for the next file");
                for (BinlogEvent hb : heartbeats(out)) {
                    Heartbeat h = Heartbeat.decode(hb, alg);
                    assertEquals(Archives.FILE1, h.logFile());
                    assertEquals(rotateAt, h.position());
                }
                Archives.awaitVisible(Archives.feed(a, Archives.FILE2, Archives.bytes(scenario, Archives.FILE2), 2));
                waitFor(() -> {
                    List<RealMasterDump.Item> items = out.snapshot();
                    int rotate = realRotate(items);
                    return rotate > 0 && items.subList(rotate, items.size()).stream()
                            .filter(i -> i instanceof RealMasterDump.Event e
                                    && BinlogEvent.wrap(e.bytes()).type() == EventType.HEARTBEAT).count() >= 2;
                });
            } finally {
                sender.stop();
                t.join(5000);
            }
            List<RealMasterDump.Item> items = out.snapshot();
            int rotate = realRotate(items);
            assertFakeRotate(ev(items.get(rotate + 1)), id, Archives.FILE2, 4, alg == ChecksumAlgorithm.CRC32);
            assertEquals(EventType.FORMAT_DESCRIPTION, ev(items.get(rotate + 2)).type());
            assertArrayEquals(events2.get(1).event().toByteArray(), ((RealMasterDump.Event) items.get(rotate + 3))
                    .bytes());
            for (RealMasterDump.Item i : items.subList(rotate + 4, items.size())) {
                Heartbeat h = Heartbeat.decode(ev(i), alg);
                assertEquals(Archives.FILE2, h.logFile());
                assertEquals(events2.get(1).end(), h.position());
            }
        }
    }

    @Test
    void anEmptyArchiveWaitsBrieflyForItsFirstFileThenRefuses() throws Exception {
        String scenario = Archives.MYSQL_GTID;
        long id = Archives.serverId(scenario);
        try (BinlogArchive a = BinlogArchive.open(dir, Durability.WRITE)) {
            a.checkIdentity(Archives.identity(scenario));
            long t0 = System.nanoTime();
            List<RealMasterDump.Item> refused = run(a, request(scenario, new StartPoint.FilePosition("", 4), 1,
                    ChecksumAlgorithm.CRC32), id).items;
            assertTrue(System.nanoTime() - t0 >= StartResolver.CATCH_UP_NANOS, "waited for the mirror first");
            assertEquals(List.of(new RealMasterDump.Err(1236, "HY000",
                    "Could not find first log file name in binary log index file")), refused);

            RecordingOutput out = new RecordingOutput();
            Thread t = startSender(new BinlogSender(a, request(scenario, new StartPoint.FilePosition("", 4), 1,
                    ChecksumAlgorithm.CRC32), out, id, new DumpMetrics(new SimpleMeterRegistry())));
            Thread.sleep(200);
            Archives.awaitVisible(Archives.feed(a, Archives.FILE1, Archives.bytes(scenario, Archives.FILE1)));
            t.join(10_000);
            assertFalse(t.isAlive());
            assertFakeRotate(out.event(0), id, Archives.FILE1, 4, true);
        }
    }

    @Test
    void heartbeatV2OnlyFromMySql8026() {
        assertFalse(BinlogSender.versionAtLeast("8.0.15", new int[] {8, 0, 26}));
        assertTrue(BinlogSender.versionAtLeast("8.0.26", new int[] {8, 0, 26}));
        assertTrue(BinlogSender.versionAtLeast("8.4.0-log", new int[] {8, 0, 26}));
        byte[] v2 = FakeEvents.heartbeatV2(5, "binlog.000007", 5_000_000_000L, ChecksumAlgorithm.CRC32);
        BinlogEvent e = BinlogEvent.wrap(v2);
        assertEquals(EventType.HEARTBEAT_V2, e.type());
        assertTrue(EventChecksum.matches(e, ChecksumAlgorithm.CRC32));
        // type 1, length 13, name, type 2, length 9 (0xFE + 8 bytes), 0xFE + position, end mark 0
        byte[] body = Arrays.copyOfRange(v2, 19, v2.length - 4);
        assertEquals(1, body[0]);
        assertEquals(13, body[1]);
        assertEquals(2, body[15]);
        assertEquals(9, body[16]);
        assertEquals((byte) 0xFE, body[17]);
        assertEquals(0, body[body.length - 1]);
    }

    private static int firstCommit(List<Archives.Positioned> events, ChecksumAlgorithm alg) {
        TransactionTracker t = new TransactionTracker();
        for (int i = 0; i < events.size(); i++) {
            EventRole role = t.accept(events.get(i).event());
            if (role == EventRole.END || role == EventRole.COMPLETE) {
                return i;
            }
        }
        throw new IllegalStateException("no commit");
    }

    private static List<BinlogEvent> heartbeats(RecordingOutput out) {
        List<BinlogEvent> hbs = new ArrayList<>();
        for (RealMasterDump.Item i : out.snapshot()) {
            if (i instanceof RealMasterDump.Event e && BinlogEvent.wrap(e.bytes()).type() == EventType.HEARTBEAT) {
                hbs.add(BinlogEvent.wrap(e.bytes()));
            }
        }
        return hbs;
    }

    /**
     * Regression (seen in CI: a MariaDB replica by slave_pos missed the first files and stopped on 1146): the
     * archive used to list a new file before the commit that published its head (FDE, GTID_LIST). A GTID start
     * decided in that moment saw no GTID_LIST in the newest file, took it for the first one, and skipped every file
     * before it; a non-blocking dump got the ROTATE and then EOF. Now the archive lists a file only with its head,
     * and the old file's ROTATE with it, as a master shows a rotation: while the head's commit is held, both see
     * the archive as it was before the rotation, and once it is released, the new file with its head.
     */
    @org.junit.jupiter.api.Test
    void aGtidStartAndANonBlockingDumpSeeANewFileOnlyWithItsHead() throws Exception {
        String scenario = Archives.MARIA_CRC;
        ChecksumAlgorithm alg = fileChecksum(scenario);
        long id = Archives.serverId(scenario);
        byte[] file1 = Archives.bytes(scenario, Archives.FILE1);
        List<Archives.Positioned> events1 = Archives.events(file1);
        long rotateAt = events1.get(events1.size() - 1).offset();
        DumpRequest byGtid = request(scenario, new StartPoint.MariaGtids(MariaGtidPosition.of(List.of())), 1, alg);
        try (BinlogArchive a = BinlogArchive.open(dir, Durability.WRITE)) {
            a.checkIdentity(Archives.identity(scenario));
            Archives.awaitVisible(Archives.feed(a, Archives.FILE1, file1));
            a.writer().holdCommits();
            List<Appended> head = Archives.feed(a, Archives.FILE2, Archives.bytes(scenario, Archives.FILE2), 3);
            assertEquals(List.of(new ArchivedFile(Archives.FILE1, rotateAt)), a.files(),
                    "neither the second file nor the ROTATE to it is visible while its head is held back");

            List<RealMasterDump.Item> held = run(a, byGtid, id).items;
            assertFakeRotate(ev(held.get(0)), id, Archives.FILE1, 4, alg == ChecksumAlgorithm.CRC32);
            assertEquals(-1, realRotate(held), "no ROTATE to a file the dump could not enter");
            assertInstanceOf(RealMasterDump.Eof.class, held.get(held.size() - 1));

            // The sender may also be deciding while the commit is released.
            RecordingOutput out = new RecordingOutput();
            Thread t = startSender(new BinlogSender(a, byGtid, out, id, new DumpMetrics(new SimpleMeterRegistry())));
            a.writer().releaseCommits();
            Archives.awaitVisible(head);
            t.join(10_000);
            assertFalse(t.isAlive());
            assertFakeRotate(ev(out.snapshot().get(0)), id, Archives.FILE1, 4, alg == ChecksumAlgorithm.CRC32);

            List<RealMasterDump.Item> after = run(a, byGtid, id).items;
            assertFakeRotate(ev(after.get(0)), id, Archives.FILE1, 4, alg == ChecksumAlgorithm.CRC32);
            int rotate = realRotate(after);
            assertTrue(rotate > 0, "the ROTATE is sent once the next file is listed");
            assertFakeRotate(ev(after.get(rotate + 1)), id, Archives.FILE2, 4, alg == ChecksumAlgorithm.CRC32);
            assertEquals(EventType.FORMAT_DESCRIPTION, ev(after.get(rotate + 2)).type());
            assertEquals(EventType.MARIA_GTID_LIST, ev(after.get(rotate + 3)).type(), "and the head after it");
        }
    }

    /** Index of the first ROTATE that is not a fake one (a file's closing ROTATE), or -1. */
    private static int realRotate(List<RealMasterDump.Item> items) {
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i) instanceof RealMasterDump.Event e) {
                BinlogEvent b = BinlogEvent.wrap(e.bytes());
                if (b.type() == EventType.ROTATE && b.logPos() != 0) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** Runs the sender on its own thread, as a session does; a failure of run() fails that thread loudly. */
    private static Thread startSender(BinlogSender sender) {
        Thread t = new Thread(() -> {
            try {
                sender.run();
            } catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        }, "sender-under-test");
        t.start();
        return t;
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 30 s");
            }
            Thread.sleep(5);
        }
    }
}
