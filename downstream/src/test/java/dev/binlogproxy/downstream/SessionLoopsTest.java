package dev.binlogproxy.downstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.github.shyiko.mysql.binlog.BinaryLogClient;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.downstream.login.Permission;
import dev.binlogproxy.downstream.login.UserAccount;
import dev.binlogproxy.protocol.BlockingClient;
import dev.binlogproxy.protocol.auth.Authenticator;
import dev.binlogproxy.protocol.auth.PasswordHash;
import dev.binlogproxy.protocol.packet.ComBinlogDump;
import dev.binlogproxy.protocol.packet.Commands;
import dev.binlogproxy.protocol.packet.ErrPacket;
import dev.binlogproxy.protocol.packet.SemiSyncAck;
import dev.binlogproxy.protocol.packet.WireMessage;
import io.netty.buffer.Unpooled;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoop;

/**
 * Where sessions go: a new one to the least busy loop other than the upstream's; a dump moves to the upstream's loop
 * while fewer than {@code upstreamLoopSessions} dumps are there, whenever it connects (a connection that never dumps,
 * a monitoring tool's, never takes that place); a session that ends gives its place back (else a proxy whose replicas
 * reconnect would soon put none beside the upstream).
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class SessionLoopsTest {
    @TempDir
    Path dir;

    @Test
    void aNewSessionGoesToTheLeastBusyLoopOtherThanTheUpstreams() {
        try (SessionLoops loops = SessionLoops.create(2, 2)) {
            EventLoop upstream = (EventLoop) loops.upstreamLoop();
            List<EventLoop> placed = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                placed.add(loops.sessions().next());
            }
            assertFalse(placed.contains(upstream), "the upstream's loop takes dumps only");
            assertArrayEquals(new int[] {0, 2, 1}, loops.sessionCounts());
            EventLoop lessBusy = placed.get(0) == placed.get(2) ? placed.get(1) : placed.get(0);
            assertSame(lessBusy, loops.sessions().next(), "the other loop with fewer sessions");
            assertArrayEquals(new int[] {0, 2, 2}, loops.sessionCounts());

            loops.closed(placed.get(0));
            assertSame(placed.get(0), loops.sessions().next());
            assertArrayEquals(new int[] {0, 2, 2}, loops.sessionCounts());
        }
    }

    @Test
    void noneBesideTheUpstreamWhenSetToZero() {
        try (SessionLoops loops = SessionLoops.create(1, 0)) {
            for (int i = 0; i < 3; i++) {
                loops.sessions().next();
            }
            assertArrayEquals(new int[] {0, 3}, loops.sessionCounts());
        }
        assertThrows(IllegalArgumentException.class, () -> SessionLoops.create(0, 4));
        assertThrows(IllegalArgumentException.class, () -> SessionLoops.create(1, -1));
    }

    @Test
    void aClosedConnectionGivesItsPlaceBack() throws Exception {
        // an archive with a master (an empty one turns every login away at once: the sessions would not stay)
        try (BinlogArchive archive = Dump.ofFixture(dir.resolve("archive"), Dump.MYSQL_GTID);
             SessionLoops loops = SessionLoops.create(2, 1);
             DownstreamServer server = start(archive, loops)) {
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    sockets.add(connect(server));
                    // one at a time, so the order of placement is the order of connection
                    int placed = i + 1;
                    awaitCounts(loops, () -> Arrays.stream(loops.sessionCounts()).sum() == placed);
                }
                assertArrayEquals(new int[] {0, 2, 1}, loops.sessionCounts());
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
            awaitCounts(loops, () -> Arrays.stream(loops.sessionCounts()).sum() == 0);
            try (Socket again = connect(server)) {
                awaitCounts(loops, () -> Arrays.stream(loops.sessionCounts()).sum() == 1);
                assertEquals(0, loops.sessionCounts()[0]);
            }
        }
    }

    /**
     * A connection that never dumps comes first and stays (a monitoring tool's); replicas that come later still get
     * the upstream's loop, as many as it has places for, and stream from it: their dump's first events and then its
     * heartbeats (the dump's timer runs on the loop it moved to). One that ends frees the place for the next.
     */
    @Test
    void dumpsMoveToTheUpstreamsLoopWhileItHasRoom() throws Exception {
        try (BinlogArchive archive = Dump.ofFixture(dir.resolve("archive"), Dump.MYSQL_GTID);
             SessionLoops loops = SessionLoops.create(1, 1);
             DownstreamServer server = start(archive, loops);
             Socket monitor = connect(server)) {
            awaitCounts(loops, () -> Arrays.stream(loops.sessionCounts()).sum() == 1);
            Replica first = Replica.start(server, 5001);
            Replica second = null;
            Replica third = null;
            try {
                first.awaitHeartbeats(2);
                awaitCounts(loops, () -> Arrays.equals(loops.sessionCounts(), new int[] {1, 1}));
                second = Replica.start(server, 5002);
                second.awaitHeartbeats(2);
                assertArrayEquals(new int[] {1, 2}, loops.sessionCounts(), "no room left: the second dump stays");
                first.client.disconnect();
                awaitCounts(loops, () -> Arrays.equals(loops.sessionCounts(), new int[] {0, 2}));
                third = Replica.start(server, 5003);
                third.awaitHeartbeats(2);
                awaitCounts(loops, () -> Arrays.equals(loops.sessionCounts(), new int[] {1, 2}));
                assertTrue(first.events.get() > 0 && second.events.get() > 0 && third.events.get() > 0,
                        "every dump sent its first events");
            } finally {
                first.client.disconnect();
                if (second != null) {
                    second.client.disconnect();
                }
                if (third != null) {
                    third.client.disconnect();
                }
            }
        }
    }

    /**
     * A client that sends a command right behind its dump command, in the same write: it is read while the dump
     * moves to the upstream's loop, before any event. A QUIT ends the session; a semi-sync ACK (of nothing sent yet)
     * gets ERR 1047 and the close. Either way the dump never begins and the place it claimed is given back: the next
     * replica's dump still moves there.
     */
    @Test
    void aSessionThatEndsWhileItsDumpMovesGivesThePlaceBack() throws Exception {
        try (BinlogArchive archive = Dump.ofFixture(dir.resolve("archive"), Dump.MYSQL_GTID);
             SessionLoops loops = SessionLoops.create(1, 1);
             DownstreamServer server = start(archive, loops)) {
            WireMessage quit = out -> out.writeByte(Commands.COM_QUIT);
            try (BlockingClient quits = BlockingClient.connect("127.0.0.1", server.port())) {
                quits.login(Authenticator.builder("repl", "repl-pw-1").build(), null);
                quits.commandsAtOnce(new ComBinlogDump(4, 0, 6001, ""), quit);
                assertTrue(quits.awaitClosed(Duration.ofSeconds(10)), "closed after its QUIT");
                assertTrue(quits.poll(Duration.ZERO).isEmpty(), "no event and no ERR before the close");
            }
            awaitCounts(loops, () -> Arrays.equals(loops.sessionCounts(), new int[] {0, 0}));
            try (BlockingClient acks = BlockingClient.connect("127.0.0.1", server.port())) {
                acks.login(Authenticator.builder("repl", "repl-pw-1").build(), null);
                acks.commandsAtOnce(new ComBinlogDump(4, 0, 6002, ""), new SemiSyncAck(4, "mysql-bin.000001"));
                BlockingClient.Received first = acks.read();
                assertEquals(0xFF, first.payload()[0] & 0xFF, "an ERR, not an event: " + first);
                assertEquals(1047, ErrPacket.decode(Unpooled.wrappedBuffer(first.payload())).errorCode());
                assertTrue(acks.awaitClosed(Duration.ofSeconds(10)), "closed after its ERR");
            }
            awaitCounts(loops, () -> Arrays.equals(loops.sessionCounts(), new int[] {0, 0}));
            Replica next = Replica.start(server, 6003);
            try {
                next.awaitHeartbeats(2);
                awaitCounts(loops, () -> Arrays.equals(loops.sessionCounts(), new int[] {1, 0}));
            } finally {
                next.client.disconnect();
            }
        }
    }

    /** A replica tailing the server (mysql-binlog-connector-java, from the newest file's end). */
    private record Replica(BinaryLogClient client, AtomicInteger events, AtomicInteger heartbeats) {
        static Replica start(DownstreamServer server, long serverId) throws Exception {
            BinaryLogClient c = new BinaryLogClient("127.0.0.1", server.port(), "repl", "repl-pw-1");
            c.setServerId(serverId);
            c.setKeepAlive(false);
            c.setHeartbeatInterval(100);
            AtomicInteger events = new AtomicInteger();
            AtomicInteger heartbeats = new AtomicInteger();
            c.registerEventListener(ev -> {
                if (ev.getHeader().getEventType() == com.github.shyiko.mysql.binlog.event.EventType.HEARTBEAT) {
                    heartbeats.incrementAndGet();
                } else {
                    events.incrementAndGet();
                }
            });
            c.connect(10_000);
            return new Replica(c, events, heartbeats);
        }

        void awaitHeartbeats(int n) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (heartbeats.get() < n) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("replica " + client.getServerId() + " got " + heartbeats.get()
                            + " heartbeats and " + events.get() + " events in 20 s");
                }
                Thread.sleep(10);
            }
        }
    }

    private static DownstreamServer start(BinlogArchive archive, SessionLoops loops) throws IOException {
        return DownstreamServer.start(new ServerSettings("127.0.0.1", 0, null, null, true,
                List.of(new UserAccount("repl", PasswordHash.of("repl-pw-1"), EnumSet.of(Permission.REPLICATION))),
                null, null, false, false), archive, Map::of, null, new SimpleMeterRegistry(), loops);
    }

    private static Socket connect(DownstreamServer server) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
        return s;
    }

    private static void awaitCounts(SessionLoops loops, Supplier<Boolean> done) throws IOException,
            InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!done.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("sessions per loop stayed at " + Arrays.toString(loops.sessionCounts()));
            }
            Thread.sleep(5);
        }
    }
}
