package dev.binlogproxy.proxy;

import dev.binlogproxy.proxy.metrics.MetricsServer.Reply;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.Ports;
import dev.binlogproxy.testkit.ServerOptions;
import dev.binlogproxy.upstream.MirrorService.State;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * /health and /ready as a load balancer sees them: 200 while the mirror streams, 503 with a one-line reason when the
 * master is lost (and 200 again when it is back), while /ready stays 200 (the archive still serves replicas); a
 * check a component adds (the archive's disk-full state, later) turns /health to 503 with its reason; every
 * mirror state has its reason, and /ready waits for the first archived file.
 */
class HealthEndpointsTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void healthFollowsTheMasterAndReadyStaysWhileTheArchiveServes() throws Exception {
        try (DbServer master = DbServer.start(ServerOptions.mariadb().build())) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            int metrics = Ports.free();
            try (ServeHarness h = ServeHarness.start(master, dir, 9610, false, ServeHarness.settings(false), 0, null,
                    metrics)) {
                assertEquals(new Reply(200, "ok: mirror streaming, archive writable\n"),
                        await(metrics, "/health", r -> r.status() == 200));
                assertEquals(new Reply(200, "ready: archive open, server accepting\n"), get(metrics, "/ready"));

                master.stop();
                Reply lost = await(metrics, "/health", r -> r.status() == 503);
                // the mirror waits its back-off (reconnecting) and then tries (connecting), over and over: the
                // first 503 may come in either
                assertTrue(lost.body().matches("master lost: (re)?connecting to 127\\.0\\.0\\.1:" + master.port()
                        + "\n"), lost.body());
                assertEquals(1, lost.body().lines().count(), lost.body());
                assertEquals(200, get(metrics, "/ready").status(), "the archive still serves what it has");

                master.restart();
                await(metrics, "/health", r -> r.status() == 200);

                h.proxy.health().addHealthCheck(() -> Optional.of("disk full: 0 bytes free under " + dir));
                assertEquals(new Reply(503, "disk full: 0 bytes free under " + dir + "\n"), get(metrics, "/health"));
            }
        }
    }

    @Test
    void everyMirrorStateThatIsNotStreamingHasItsReason() {
        assertEquals(Optional.empty(), mirror(State.STREAMING, null));
        assertEquals(Optional.of("master lost: connecting to m:3306"), mirror(State.CONNECTING, null));
        assertEquals(Optional.of("master lost: reconnecting to m:3306"), mirror(State.RECONNECTING, null));
        assertEquals(Optional.of("mirror paused (a failover or switchover is moving it)"), mirror(State.PAUSED, null));
        assertEquals(Optional.of("mirror stopped: another master behind m:3306"),
                mirror(State.FAILED, "another master behind m:3306"));
        assertEquals(Optional.of("mirror stopped"), mirror(State.STOPPED, null));
        assertEquals(Optional.of("archive disk full at /a (1024 bytes free, archive.minFreeSpace is 256 MiB)"),
                mirror(State.DISK_FULL, "archive disk full at /a (1024 bytes free, archive.minFreeSpace is 256 MiB)"));
    }

    @Test
    void readyWaitsForTheFirstFileAndAFailingCheckIsAReasonNotAnError() {
        Health h = new Health(List.of(() -> {
            throw new IllegalStateException("boom");
        }), List.of(() -> Optional.of("no binlog file archived yet")));
        assertEquals(new Reply(503, "no binlog file archived yet\n"), h.ready());
        assertEquals(new Reply(503, "check failed: java.lang.IllegalStateException: boom\n"), h.health());
    }

    private static Optional<String> mirror(State state, String failure) {
        return Health.mirror(() -> state, () -> Optional.ofNullable(failure), () -> "m:3306").problem();
    }

    static Reply get(int port, String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    private static Reply await(int port, String path, Predicate<Reply> until) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Reply r = get(port, path);
        while (!until.test(r)) {
            assertTrue(System.nanoTime() < deadline, path + " stayed " + r);
            Thread.sleep(50);
            r = get(port, path);
        }
        return r;
    }
}
