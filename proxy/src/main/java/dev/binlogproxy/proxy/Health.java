package dev.binlogproxy.proxy;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.proxy.metrics.MetricsServer;
import dev.binlogproxy.proxy.metrics.MetricsServer.Reply;
import dev.binlogproxy.upstream.MirrorService;

import java.nio.file.Files;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The load balancers' endpoints on the metrics port. {@code GET /health}: 200 while the mirror streams from the
 * master and the archive can be written (the proxy is doing its job: replicas get new transactions), else 503 with
 * the first failing check's reason (master lost, mirror paused or stopped, archive closed or its directory not
 * writable). {@code GET /ready}: 200 once the archive is open and the server accepts replicas (it refuses logins
 * until the archive holds the master's first file), whatever the master does: a proxy whose master is gone still
 * serves what it archived, so it stays in rotation for readers while /health reports the problem.
 *
 * <p>Decided here: the checks are what the components expose today (the mirror's state and failure, the archive
 * open, its directory writable). A disk-full state of the archive is not among them yet: whoever adds it registers
 * one more {@link HealthCheck} with {@link #addHealthCheck}, and the endpoints need no change.
 */
public final class Health {
    private final List<HealthCheck> health = new CopyOnWriteArrayList<>();
    private final List<HealthCheck> ready = new CopyOnWriteArrayList<>();

    Health(List<HealthCheck> health, List<HealthCheck> ready) {
        this.health.addAll(health);
        this.ready.addAll(ready);
    }

    /** The checks of a running proxy. */
    static Health of(BinlogProxy proxy) {
        BinlogArchive archive = proxy.archive();
        MirrorService mirror = proxy.mirror();
        HealthCheck archiveOpen = () -> archive.isOpen() ? Optional.empty() : Optional.of("archive closed");
        HealthCheck writable = () -> Files.isWritable(archive.directory()) ? Optional.empty()
                : Optional.of("archive directory " + archive.directory() + " is not writable");
        HealthCheck accepting = () -> archive.files().isEmpty()
                ? Optional.of("no binlog file archived yet: the server refuses logins until the master's first")
                : Optional.empty();
        return new Health(List.of(mirror(mirror::state, () -> mirror.failure().or(mirror::diskFull),
                () -> mirror.settings().address()),
                archiveOpen, writable), List.of(archiveOpen, accepting));
    }

    /** The mirror's part of /health: streaming, or why not. */
    static HealthCheck mirror(Supplier<MirrorService.State> state, Supplier<Optional<String>> failure,
                              Supplier<String> master) {
        return () -> switch (state.get()) {
            case STREAMING -> Optional.empty();
            case CONNECTING -> Optional.of("master lost: connecting to " + master.get());
            case RECONNECTING -> Optional.of("master lost: reconnecting to " + master.get());
            case PAUSED -> Optional.of("mirror paused (a failover or switchover is moving it)");
            case FAILED -> Optional.of("mirror stopped: " + failure.get().orElse("failed"));
            // no acks while the archive cannot store; the mirror resumes by itself once space returns
            case DISK_FULL -> Optional.of(failure.get().orElse("archive disk full"));
            case STOPPED -> Optional.of("mirror stopped");
        };
    }

    /** A condition /health also requires from now on (the archive's disk-full state, for one). */
    public void addHealthCheck(HealthCheck check) {
        health.add(check);
    }

    /** A condition /ready also requires from now on. */
    public void addReadinessCheck(HealthCheck check) {
        ready.add(check);
    }

    Reply health() {
        return reply(health, "ok: mirror streaming, archive writable");
    }

    Reply ready() {
        return reply(ready, "ready: archive open, server accepting");
    }

    private static Reply reply(List<HealthCheck> checks, String ok) {
        for (HealthCheck c : checks) {
            Optional<String> problem;
            try {
                problem = c.problem();
            } catch (RuntimeException e) {
                problem = Optional.of("check failed: " + e);
            }
            if (problem.isPresent()) {
                return new Reply(503, problem.get() + "\n");
            }
        }
        return new Reply(200, ok + "\n");
    }

    void install(MetricsServer http) {
        http.route("/health", (method, q) -> health());
        http.route("/ready", (method, q) -> ready());
    }
}
