package dev.binlogproxy.downstream.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.binlogproxy.archive.Appended;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventChecksum;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.MariaGtidEvent;
import dev.binlogproxy.binlog.event.MySqlGtidEvent;
import dev.binlogproxy.binlog.position.MariaGtidPosition;
import dev.binlogproxy.binlog.position.MySqlGtidSet;
import dev.binlogproxy.binlog.txn.EventRole;
import dev.binlogproxy.binlog.txn.TransactionTracker;
import dev.binlogproxy.protocol.NoLeaks;
import dev.binlogproxy.protocol.PacketEncoder;
import dev.binlogproxy.protocol.RealMasterDump;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * Many dumps of one event loop share what one of them read and framed ({@link SharedRuns}), and every one must
 * still send exactly what it would send alone: the same events, semi-sync headers and ACK flags, and its own
 * sequence ids. Each dump here is a real sender on its own channel (the production {@link ChannelDumpOutput}, all
 * sharing one {@link SharedRuns}, as the dumps of one event loop do); beside each runs a reference sender of the
 * same request that shares nothing (the path {@link SenderMatchesRealMasterTest} holds to the real masters'
 * bytes), stepped at the same moments. Commits are appended one at a time and every dump is stepped in a shuffled
 * order after each, so that each kind of dump is sometimes the one that reads and sometimes one that is handed a
 * run. The mix: dumps at the end (same sequence ids: the shared buffer itself), dumps that read the file from 4
 * first (other sequence ids: a copy with their own), semi-sync dumps (ACK flag on every commit), GTID-skipping
 * dumps (heartbeats in place of what they skip; MariaDB's skip ends and the dump joins the others), MariaDB
 * replicas of old capabilities (stand-in events), with skip_replication (every third commit is flagged
 * SKIP_REPLICATION) and with ANNOTATE_ROWS asked for, and two dumps whose channels stop being writable for a while
 * (they read what they missed themselves, or take an older run still kept).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
@ExtendWith(NoLeaks.class)
class SharedRunsTest {
    private static final int COMMITS = 40;
    private static final long REPLICA = 500;

    @TempDir
    Path dir;

    static List<String> scenarios() {
        return Archives.scenarios();
    }

    /** One dump under test and its reference. */
    private static final class Dump {
        final String name;
        final DumpRequest request;
        final EmbeddedChannel channel = new EmbeddedChannel(new PacketEncoder());
        final BinlogSender sender;
        final RecordingOutput expected = new RecordingOutput();
        final BinlogSender reference;
        final ByteBuf received = Unpooled.buffer();
        /** Commits during which the channel is not writable: [from, to). */
        int blockedFrom = -1;
        int blockedTo = -1;

        Dump(String name, BinlogArchive archive, DumpRequest request, long masterId, SharedRuns shared,
             DumpMetrics metrics) throws Exception {
            this.name = name;
            this.request = request;
            this.sender = new BinlogSender(archive, request, new ChannelDumpOutput(channel, 1), masterId, metrics,
                    shared);
            this.reference = new BinlogSender(archive, request, expected, masterId,
                    new DumpMetrics(new SimpleMeterRegistry()));
            sender.prepare();
            reference.prepare();
        }

        void setWritable(boolean writable) {
            channel.unsafe().outboundBuffer().setUserDefinedWritability(1, writable);
        }

        /** Both until they have sent everything readable (or the channel is not writable). */
        void step(int commit) throws Exception {
            boolean blocked = commit >= blockedFrom && commit < blockedTo;
            setWritable(!blocked);
            BinlogSender.Progress p;
            do {
                p = sender.step();
            } while (p == BinlogSender.Progress.MORE);
            if (blocked) {
                assertEquals(BinlogSender.Progress.BLOCKED, p, name);
                return;
            }
            assertEquals(BinlogSender.Progress.IDLE, p, name);
            do {
                p = reference.step();
            } while (p == BinlogSender.Progress.MORE);
            assertEquals(BinlogSender.Progress.IDLE, p, name + " (reference)");
            drain();
        }

        void drain() {
            Object m;
            while ((m = channel.readOutbound()) != null) {
                ByteBuf b = (ByteBuf) m;
                received.writeBytes(b);
                b.release();
            }
        }

        /** The packets received, as events with their sequence ids. */
        List<RealMasterDump.Event> events() {
            List<RealMasterDump.Event> out = new ArrayList<>();
            ByteBuf in = received.duplicate();
            while (in.isReadable()) {
                int length = in.readUnsignedMediumLE();
                int seq = in.readUnsignedByte();
                byte[] payload = new byte[length];
                in.readBytes(payload);
                assertEquals(0, payload[0], name + ": not an event packet");
                if (request.semiSync()) {
                    assertEquals(0xEF, payload[1] & 0xFF, name + ": semi-sync header");
                    out.add(new RealMasterDump.Event(Arrays.copyOfRange(payload, 3, length), true, payload[2] != 0,
                            seq));
                } else {
                    out.add(new RealMasterDump.Event(Arrays.copyOfRange(payload, 1, length), false, false, seq));
                }
            }
            return out;
        }

        void close() {
            sender.stop();
            try {
                sender.step();
            } catch (Exception ignored) {
                // stopping
            }
            reference.stop();
            try {
                reference.step();
            } catch (Exception ignored) {
                // stopping
            }
            drain();
            channel.finishAndReleaseAll();
            received.release();
        }
    }

    @ParameterizedTest
    @MethodSource("scenarios")
    void everyDumpSendsWhatItWouldAloneWithItsOwnSequenceIds(String scenario) throws Exception {
        boolean maria = Archives.isMaria(scenario);
        BinlogFlavor flavor = maria ? BinlogFlavor.MARIADB : BinlogFlavor.MYSQL;
        long masterId = Archives.serverId(scenario);
        byte[] f1 = Archives.bytes(scenario, Archives.FILE1);
        ChecksumAlgorithm alg = Archives.checksum(f1);
        List<Archives.Positioned> events = Archives.events(f1);
        int[] bounds = firstTransaction(events, flavor, alg);
        List<BinlogEvent> txn = new ArrayList<>();
        events.subList(bounds[0], bounds[1] + 1).forEach(p -> txn.add(p.event()));
        BinlogEvent gtidEvent = txn.get(0);
        SharedRuns shared = new SharedRuns();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DumpMetrics metrics = new DumpMetrics(registry);
        List<Dump> dumps = new ArrayList<>();
        try (BinlogArchive a = BinlogArchive.open(dir, Durability.WRITE)) {
            a.checkIdentity(Archives.identity(scenario));
            Archives.awaitVisible(Archives.feed(a, Archives.FILE1, f1, bounds[0]));
            long[] end = {events.get(bounds[0]).offset()};
            // a few commits before the dumps start, so that the ones from 4 have a backlog to read first
            for (int i = 0; i < 3; i++) {
                Archives.awaitVisible(List.of(append(a, txn, end, alg, false)));
            }
            int cap = maria ? 4 : 0;
            for (int i = 0; i < 4; i++) {
                dumps.add(dump("at the end " + i, a, atEnd(end, flavor, alg, 0, false, cap, false), masterId, shared,
                        metrics));
            }
            for (int i = 0; i < 2; i++) {
                dumps.add(dump("from 4 " + i, a, new DumpRequest(new StartPoint.FilePosition(Archives.FILE1, 4),
                        REPLICA, 0, flavor, alg, 0, false, cap, false), masterId, shared, metrics));
            }
            for (int i = 0; i < 3; i++) {
                dumps.add(dump("semi-sync " + i, a, atEnd(end, flavor, alg, 0, true, cap, false), masterId, shared,
                        metrics));
            }
            dumps.add(dump("semi-sync from 4", a, new DumpRequest(new StartPoint.FilePosition(Archives.FILE1, 4),
                    REPLICA, 0, flavor, alg, 0, true, cap, false), masterId, shared, metrics));
            Dump blocked = dump("blocked for a while", a, atEnd(end, flavor, alg, 0, false, cap, false), masterId,
                    shared, metrics);
            blocked.blockedFrom = 5;
            blocked.blockedTo = 12;
            dumps.add(blocked);
            Dump blockedSemi = dump("semi-sync, blocked for a while", a, atEnd(end, flavor, alg, 0, true, cap, false),
                    masterId, shared, metrics);
            blockedSemi.blockedFrom = 20;
            blockedSemi.blockedTo = 23;
            dumps.add(blockedSemi);
            if (maria) {
                MariaGtidPosition state = MariaGtidPosition.of(MariaGtidEvent.decode(gtidEvent, alg).gtid());
                for (int i = 0; i < 2; i++) {
                    dumps.add(dump("connect state " + i, a, new DumpRequest(new StartPoint.MariaGtids(state),
                            REPLICA, 0, flavor, alg, 0, i == 1, 4, false), masterId, shared, metrics));
                }
                for (int c : new int[] {0, 2, 2}) {
                    dumps.add(dump("capability " + c, a, atEnd(end, flavor, alg, 0, false, c, false), masterId,
                            shared, metrics));
                }
                for (int i = 0; i < 2; i++) {
                    dumps.add(dump("skip_replication " + i, a, atEnd(end, flavor, alg, 0, false, 4, true), masterId,
                            shared, metrics));
                }
                dumps.add(dump("ANNOTATE_ROWS", a, atEnd(end, flavor, alg, DumpRequest.FLAG_0X02, false, 4, false),
                        masterId, shared, metrics));
            } else {
                // without GTIDs (anonymous) the set is empty and skips nothing
                MySqlGtidSet executed = gtidEvent.type() == EventType.GTID
                        ? MySqlGtidSet.EMPTY.add(MySqlGtidEvent.decode(gtidEvent, alg).gtid()) : MySqlGtidSet.EMPTY;
                for (int i = 0; i < 2; i++) {
                    dumps.add(dump("GTID set " + i, a, new DumpRequest(new StartPoint.MySqlGtids(executed),
                            REPLICA, 0, flavor, alg, 0, i == 1, 0, false), masterId, shared,
                            metrics));
                }
                dumps.add(dump("empty GTID set", a, new DumpRequest(new StartPoint.MySqlGtids(MySqlGtidSet.EMPTY),
                        REPLICA, 0, flavor, alg, 0, false, 0, false), masterId, shared, metrics));
                dumps.add(dump("flag 0x02", a, atEnd(end, flavor, alg, DumpRequest.FLAG_0X02, false, 0, false),
                        masterId, shared, metrics));
            }
            Random random = new Random(scenario.hashCode());
            List<Dump> order = new ArrayList<>(dumps);
            for (Dump d : order) {
                d.step(-1);
            }
            for (int k = 0; k < COMMITS; k++) {
                // MariaDB: every third commit is flagged SKIP_REPLICATION, which some replicas asked to be spared
                Archives.awaitVisible(List.of(append(a, txn, end, alg, maria && k % 3 == 1)));
                Collections.shuffle(order, random);
                for (Dump d : order) {
                    d.step(k);
                }
            }
            for (Dump d : dumps) {
                List<RealMasterDump.Event> got = d.events();
                List<RealMasterDump.Event> want = new ArrayList<>();
                for (RealMasterDump.Item i : d.expected.items) {
                    want.add((RealMasterDump.Event) i);
                }
                assertSameEvents(d.name, want, got);
                // the sequence ids a master gives: 1 after the dump command, then one more per packet, back to 1
                // after a packet that asked for an ACK
                int seq = 1;
                for (int i = 0; i < got.size(); i++) {
                    assertEquals(seq, got.get(i).sequenceId(), d.name + ": sequence id of packet " + i);
                    seq = got.get(i).ackRequested() ? 1 : (seq + 1) & 0xFF;
                }
            }
            double sharedEvents = registry.get("binlog_proxy_downstream_shared_events").counter().count();
            double allEvents = registry.get("binlog_proxy_downstream_events").counter().count();
            // a good part of the commits reached the dumps as a run another one framed
            assertTrue(sharedEvents > allEvents / 3, sharedEvents + " of " + allEvents + " events shared");
        } finally {
            for (Dump d : dumps) {
                d.close();
            }
            shared.clear();
        }
    }

    /** Equal lists, reported at the first packet that differs (the whole lists are long). */
    private static void assertSameEvents(String name, List<RealMasterDump.Event> want, List<RealMasterDump.Event> got) {
        for (int i = 0; i < Math.min(want.size(), got.size()); i++) {
            assertEquals(want.get(i), got.get(i), name + ": packet " + i);
        }
        assertEquals(want.size(), got.size(), name + ": packets");
    }

    private static Dump dump(String name, BinlogArchive a, DumpRequest r, long masterId, SharedRuns shared,
                             DumpMetrics metrics) throws Exception {
        return new Dump(name, a, r, masterId, shared, metrics);
    }

    private static DumpRequest atEnd(long[] end, BinlogFlavor flavor, ChecksumAlgorithm alg, int flags,
                                     boolean semiSync, int capability, boolean skipReplication) {
        return new DumpRequest(new StartPoint.FilePosition(Archives.FILE1, end[0]), REPLICA, flags, flavor, alg, 0,
                semiSync, capability, skipReplication);
    }

    /** The fixture's first group (GTID through its end), as indexes into its events: {first, last}. */
    private static int[] firstTransaction(List<Archives.Positioned> events, BinlogFlavor flavor,
                                          ChecksumAlgorithm alg) throws Exception {
        TransactionTracker tracker = new TransactionTracker();
        int first = -1;
        for (int i = 0; i < events.size(); i++) {
            BinlogEvent e = events.get(i).event();
            if (e.type() == EventType.FORMAT_DESCRIPTION) {
                tracker.accept(e);
                continue;
            }
            EventRole role = tracker.accept(e);
            if (first < 0 && (e.type() == EventType.GTID || e.type() == EventType.ANONYMOUS_GTID
                    || e.type() == EventType.MARIA_GTID)) {
                first = i;
            }
            if (first >= 0 && (role == EventRole.END || role == EventRole.COMPLETE)) {
                return new int[] {first, i};
            }
        }
        throw new IllegalArgumentException("no transaction in the fixture");
    }

    /** Appends the group again at the end, log_pos (and CRC) rewritten; flagged SKIP_REPLICATION if asked. */
    private static Appended append(BinlogArchive a, List<BinlogEvent> txn, long[] end, ChecksumAlgorithm alg,
                                   boolean skipReplication) throws Exception {
        Appended appended = null;
        for (BinlogEvent e : txn) {
            byte[] b = e.toByteArray();
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            bb.putInt(13, (int) (end[0] + b.length));
            if (skipReplication) {
                bb.putShort(BinlogEvent.FLAGS_OFFSET,
                        (short) (bb.getShort(BinlogEvent.FLAGS_OFFSET) | EventFlags.MARIA_SKIP_REPLICATION));
            }
            if (alg == ChecksumAlgorithm.CRC32) {
                EventChecksum.writeTrailer(b, 0, b.length);
            }
            end[0] += b.length;
            appended = a.writer().append(BinlogEvent.wrap(b));
        }
        return appended;
    }
}
