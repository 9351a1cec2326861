package dev.binlogproxy.downstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.downstream.login.Permission;
import dev.binlogproxy.downstream.login.UserAccount;
import dev.binlogproxy.protocol.auth.PasswordHash;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoop;

/**
 * Where sessions go: the first few on the upstream's loop, the rest on the least busy other loop, and a session
 * that ends gives its place back (else a proxy whose replicas reconnect would soon put none beside the upstream).
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class SessionLoopsTest {
    @TempDir
    Path dir;

    @Test
    void theUpstreamsLoopTakesTheFirstSessionsThenTheLeastBusyLoop() {
        try (SessionLoops loops = SessionLoops.create(2, 2)) {
            EventLoop upstream = (EventLoop) loops.upstreamLoop();
            List<EventLoop> placed = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                placed.add(loops.sessions().next());
            }
            assertSame(upstream, placed.get(0));
            assertSame(upstream, placed.get(1));
            assertArrayEquals(new int[] {2, 2, 1}, loops.sessionCounts());
            EventLoop lessBusy = placed.get(2) == placed.get(4) ? placed.get(3) : placed.get(2);
            assertSame(lessBusy, loops.sessions().next(), "the other loop with fewer sessions");
            assertArrayEquals(new int[] {2, 2, 2}, loops.sessionCounts());

            loops.closed(upstream);
            assertSame(upstream, loops.sessions().next(), "a freed place beside the upstream is taken again");
            loops.closed(placed.get(2));
            assertSame(placed.get(2), loops.sessions().next());
            assertArrayEquals(new int[] {2, 2, 2}, loops.sessionCounts());
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
             DownstreamServer server = DownstreamServer.start(new ServerSettings("127.0.0.1", 0, null, null,
                     true, List.of(new UserAccount("repl", PasswordHash.of("repl-pw-1"),
                     EnumSet.of(Permission.REPLICATION))), null, null, false, false), archive, Map::of, null,
                     new SimpleMeterRegistry(), loops)) {
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
                    sockets.add(s);
                    // one at a time, so the order of placement is the order of connection
                    int placed = i + 1;
                    awaitCounts(loops, () -> Arrays.stream(loops.sessionCounts()).sum() == placed);
                }
                assertArrayEquals(new int[] {1, 1, 1}, loops.sessionCounts());
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
            awaitCounts(loops, () -> Arrays.stream(loops.sessionCounts()).sum() == 0);
            Socket again = new Socket();
            try (again) {
                again.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
                awaitCounts(loops, () -> loops.sessionCounts()[0] == 1);
            }
        }
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
