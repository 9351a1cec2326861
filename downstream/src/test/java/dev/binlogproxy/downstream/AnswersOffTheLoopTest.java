package dev.binlogproxy.downstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.downstream.admin.ProxyStatus;
import dev.binlogproxy.downstream.login.Permission;
import dev.binlogproxy.downstream.login.UserAccount;
import dev.binlogproxy.protocol.BlockingClient;
import dev.binlogproxy.protocol.auth.Authenticator;
import dev.binlogproxy.protocol.auth.PasswordHash;
import dev.binlogproxy.protocol.packet.ComQuery;
import dev.binlogproxy.protocol.packet.TextResultSet;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * An answer that may block (SHOW BINLOG PROXY STATUS connects to the failover candidates) is worked out off the
 * event loop: while it waits, the other sessions of that loop (which may be the loop of the master's connection,
 * whose acks cannot wait) are served, and the waiting session's next commands are answered after it, in order.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class AnswersOffTheLoopTest {
    @TempDir
    Path dir;

    @Test
    void aSlowStatusBlocksNeitherTheLoopNorTheOrderOfAnswers() throws Exception {
        CountDownLatch asked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ProxyStatus slow = () -> {
            asked.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new ProxyStatus.Table(List.of("Role", "State"), List.of(List.of("master", "streaming")));
        };
        // one loop for every session: the waiting one and the one that must still be served share it
        try (BinlogArchive archive = Dump.ofFixture(dir.resolve("archive"), Dump.MYSQL_GTID);
             SessionLoops loops = SessionLoops.create(1, 0);
             DownstreamServer server = DownstreamServer.start(new ServerSettings("127.0.0.1", 0, null, null,
                     true, List.of(new UserAccount("admin", PasswordHash.of("admin-pw-1"),
                     EnumSet.of(Permission.REPLICATION, Permission.ADMIN))), null, null, false, false),
                     archive, Map::of, null, new SimpleMeterRegistry(), loops);
             BlockingClient waiting = BlockingClient.connect("127.0.0.1", server.port());
             BlockingClient other = BlockingClient.connect("127.0.0.1", server.port())) {
            server.proxyStatus(slow);
            waiting.login(Authenticator.builder("admin", "admin-pw-1").build(), null);
            other.login(Authenticator.builder("admin", "admin-pw-1").build(), null);
            assertEquals(2, loops.sessionCounts()[1], "both sessions on the one loop");

            // the status, then at once (without reading its answer) a query the loop answers by itself
            waiting.command(new ComQuery("SHOW BINLOG PROXY STATUS"));
            waiting.command(new ComQuery("SELECT @@server_id"));
            assertTrue(asked.await(10, TimeUnit.SECONDS), "the status was asked for");

            // the loop is free: the other session is answered while the status waits
            TextResultSet served = other.query("SELECT @@server_id");
            assertEquals(1, served.rows().size());
            assertFalse(waiting.poll(Duration.ofMillis(200)).isPresent(),
                    "nothing for the waiting session before its first answer");

            release.countDown();
            TextResultSet status = readResultSet(waiting);
            assertEquals(List.of("master", "streaming"), status.rows().get(0));
            TextResultSet next = readResultSet(waiting);
            assertEquals(served.rows(), next.rows(), "the queued query, answered after the status");
            // and the session goes on as usual
            assertEquals(served.rows(), waiting.query("SELECT @@server_id").rows());
        }
    }

    private static TextResultSet readResultSet(BlockingClient c) {
        dev.binlogproxy.protocol.packet.ResultSetReader reader =
                new dev.binlogproxy.protocol.packet.ResultSetReader(c.capabilities());
        while (true) {
            var done = reader.accept(io.netty.buffer.Unpooled.wrappedBuffer(c.read().payload()));
            if (done.isPresent()) {
                return done.get();
            }
        }
    }
}
