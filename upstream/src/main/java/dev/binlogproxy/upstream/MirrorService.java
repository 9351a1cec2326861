package dev.binlogproxy.upstream;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Keeps the mirror running: one {@link DumpSession} after another, reconnecting with exponential backoff (reset
 * after a session that streamed), discarding a partial transaction before every resume, and stopping for good on
 * an {@link UpstreamException} (the mirror must not mix two histories or skip a gap).
 */
public final class MirrorService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MirrorService.class);

    public enum State { CONNECTING, STREAMING, RECONNECTING, FAILED, STOPPED }

    private volatile UpstreamSettings settings;
    private final MirrorSink sink;
    private final MirrorMetrics metrics;
    private final SemiSyncChain chain;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicReference<State> state = new AtomicReference<>(State.CONNECTING);
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final AtomicReference<DumpSession.Progress> progress = new AtomicReference<>();
    private final CountDownLatch finished = new CountDownLatch(1);
    /** Released by close(); the backoff sleep waits on it. */
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final Thread thread;

    MirrorService(UpstreamSettings settings, MirrorSink sink, MirrorMetrics metrics, SemiSyncChain chain) {
        this.chain = chain;
        this.settings = settings;
        this.sink = sink;
        this.metrics = metrics;
        this.thread = new Thread(this::loop, "mirror-" + settings.address());
    }

    /** Starts mirroring the configured master into {@code archive}. */
    public static MirrorService start(UpstreamSettings settings, dev.binlogproxy.archive.BinlogArchive archive,
                                      MirrorMetrics metrics) {
        return start(settings, new ArchiveMirrorSink(archive), metrics, null);
    }

    /**
     * As {@link #start(UpstreamSettings, dev.binlogproxy.archive.BinlogArchive, MirrorMetrics)}, with chained
     * semi-sync: acks to the master wait for downstream replicas (feed it their acks, see
     * {@link SemiSyncChain#downstreamAcked}); null for none.
     */
    public static MirrorService start(UpstreamSettings settings, dev.binlogproxy.archive.BinlogArchive archive,
                                      MirrorMetrics metrics, SemiSyncChain chain) {
        return start(settings, new ArchiveMirrorSink(archive), metrics, chain);
    }

    static MirrorService start(UpstreamSettings settings, MirrorSink sink, MirrorMetrics metrics) {
        return start(settings, sink, metrics, null);
    }

    static MirrorService start(UpstreamSettings settings, MirrorSink sink, MirrorMetrics metrics, SemiSyncChain chain) {
        MirrorService m = new MirrorService(settings, sink, metrics, chain);
        m.thread.start();
        return m;
    }

    /** The master the mirror follows now. */
    public UpstreamSettings settings() {
        return settings;
    }

    public State state() {
        return state.get();
    }

    /** Why the mirror stopped for good (state FAILED). */
    public Optional<String> failure() {
        return Optional.ofNullable(failure.get());
    }

    /** A one-line status: where the dump is and how far behind. */
    public String status() {
        DumpSession.Progress p = progress.get();
        return state.get() + (p == null ? "" : ", " + DumpSession.describe(p))
                + (failure.get() == null ? "" : ": " + failure.get());
    }

    /** Waits until the mirror stopped (FAILED or closed). */
    public boolean awaitFinished(Duration timeout) throws InterruptedException {
        return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void loop() {
        Duration delay = settings.reconnectInitialDelay();
        try {
            while (!stop.get()) {
                long started = System.nanoTime();
                try {
                    state.set(State.CONNECTING);
                    new DumpSession(settings, sink, metrics, p -> {
                        state.set(State.STREAMING);
                        DumpSession.Progress before = progress.getAndSet(p);
                        // the progress line while a backlog is copied, then once when the mirror is live
                        if (!p.caughtUp() || before == null || !before.caughtUp()) {
                            log.info("{}", DumpSession.describe(p));
                        }
                    }, chain).run(group, stop);
                } catch (UpstreamException e) {
                    failure.set(e.getMessage());
                    state.set(State.FAILED);
                    log.error("mirror stopped: {}", e.getMessage());
                    return;
                } catch (Exception e) {
                    if (stop.get()) {
                        break;
                    }
                    state.set(State.RECONNECTING);
                    metrics.reconnect();
                    if (System.nanoTime() - started > settings.deadMasterTimeout().toNanos()) {
                        delay = settings.reconnectInitialDelay(); // the session streamed: start backing off afresh
                    }
                    log.warn("upstream {}: {}; reconnecting in {} ms", settings.address(), e.toString(),
                            delay.toMillis());
                }
                try {
                    sink.discardPartialTransaction();
                } catch (Exception e) {
                    failure.set("cannot discard the partial transaction: " + e.getMessage());
                    state.set(State.FAILED);
                    log.error("mirror stopped: {}", failure.get(), e);
                    return;
                }
                if (!stop.get()) {
                    sleep(delay);
                    delay = delay.multipliedBy(2).compareTo(settings.reconnectMaxDelay()) > 0
                            ? settings.reconnectMaxDelay() : delay.multipliedBy(2);
                }
            }
            state.set(State.STOPPED);
        } finally {
            finished.countDown();
        }
    }

    private void sleep(Duration d) {
        try {
            stopping.await(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop.set(true);
        }
    }

    /**
     * Stops the mirror. The thread is never interrupted (an interrupt during FileChannel I/O would close the
     * archive's files); closing the event loop ends the connection, which ends the session's wait for packets.
     */
    @Override
    public void close() {
        stop.set(true);
        stopping.countDown();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5000);
        try {
            thread.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (state.get() != State.FAILED) {
            state.set(State.STOPPED);
        }
    }
}
