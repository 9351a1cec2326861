package dev.binlogproxy.upstream;

import dev.binlogproxy.archive.BinlogArchive;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Keeps the mirror running: one {@link DumpSession} after another, reconnecting with exponential backoff (reset
 * after a session that streamed), discarding a partial transaction before every resume.
 *
 * <p>The mirror can be stopped at a transaction boundary, pointed at another master and resumed, at runtime and
 * without touching the archive's readers: {@link #pause}, {@link #repoint}, {@link #resume}. That is what failover
 * does (pause, adopt the promoted master as the archive's next epoch, repoint, resume), and what an operator does
 * to move the proxy to another address of the same master or to another proxy of it. Downstream sessions read the
 * archive, not the mirror, so they keep streaming what the archive has throughout.
 *
 * <p>An {@link UpstreamException} (reconnecting cannot help: another master's history, a purged file) puts the
 * mirror in {@link State#FAILED}: it waits there, writing nothing, until it is repointed and resumed or closed;
 * it never mixes two histories or skips a gap on its own.
 */
public final class MirrorService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MirrorService.class);

    public enum State {
        CONNECTING, STREAMING, RECONNECTING,
        /** Stopped on request at a transaction boundary; nothing is connected; {@link #resume} goes on. */
        PAUSED,
        /** Stopped by an {@link UpstreamException}; waits for {@link #resume} (after {@link #repoint}) or close. */
        FAILED,
        STOPPED
    }

    private final MirrorSink sink;
    private final MirrorMetrics metrics;
    private final SemiSyncChain chain;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final AtomicReference<DumpSession.Progress> progress = new AtomicReference<>();
    private final CatchUpRate catchUpRate = new CatchUpRate();
    private final Thread thread;

    /** Guards the fields below; {@link #changed} is signalled whenever one of them changes. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private UpstreamSettings settings;
    private State state = State.CONNECTING;
    private String failure;
    private boolean pauseRequested;
    private boolean closing;
    /** The running session's stop flag: set to end it. */
    private AtomicBoolean sessionStop;
    private DumpSession session;

    private MirrorService(UpstreamSettings settings, MirrorSink sink, MirrorMetrics metrics, SemiSyncChain chain) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.sink = sink;
        this.metrics = metrics;
        this.chain = chain;
        this.thread = new Thread(this::loop, "mirror");
    }

    /** Starts mirroring the configured master into {@code archive}. */
    public static MirrorService start(UpstreamSettings settings, BinlogArchive archive, MirrorMetrics metrics) {
        return start(settings, new ArchiveMirrorSink(archive), metrics, null);
    }

    /**
     * As {@link #start(UpstreamSettings, BinlogArchive, MirrorMetrics)}, with chained semi-sync: acks to the master
     * wait for downstream replicas (feed it their acks, see {@link SemiSyncChain#downstreamAcked}); null for none.
     */
    public static MirrorService start(UpstreamSettings settings, BinlogArchive archive, MirrorMetrics metrics,
                                      SemiSyncChain chain) {
        return start(settings, new ArchiveMirrorSink(archive), metrics, chain);
    }

    static MirrorService start(UpstreamSettings settings, MirrorSink sink, MirrorMetrics metrics,
                               SemiSyncChain chain) {
        MirrorService m = new MirrorService(settings, sink, metrics, chain);
        m.thread.start();
        return m;
    }

    /** The master the mirror follows now. */
    public UpstreamSettings settings() {
        lock.lock();
        try {
            return settings;
        } finally {
            lock.unlock();
        }
    }

    public State state() {
        lock.lock();
        try {
            return state;
        } finally {
            lock.unlock();
        }
    }

    /**
     * How long the master has sent nothing on the dump (heartbeats count), in nanoseconds; Long.MAX_VALUE when no
     * dump is streaming. What failover's detection watches besides its own SQL probe.
     */
    public long silentNanos() {
        lock.lock();
        try {
            long last = session == null ? 0 : session.lastActive();
            return last == 0 ? Long.MAX_VALUE : System.nanoTime() - last;
        } finally {
            lock.unlock();
        }
    }

    /** Why the mirror stopped (state FAILED). */
    public Optional<String> failure() {
        lock.lock();
        try {
            return Optional.ofNullable(failure);
        } finally {
            lock.unlock();
        }
    }

    /** A one-line status: where the dump is and how far behind. */
    public String status() {
        DumpSession.Progress p = progress.get();
        lock.lock();
        try {
            return state + " " + settings.address() + (p == null ? "" : ", " + DumpSession.describe(p))
                    + (failure == null ? "" : ": " + failure);
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the mirror stopped for good (closed) or failed. */
    public boolean awaitFinished(Duration timeout) throws InterruptedException {
        return awaitState(timeout, s -> s == State.FAILED || s == State.STOPPED);
    }

    /**
     * Stops mirroring at a transaction boundary and waits until the mirror is {@link State#PAUSED}: the current
     * session's connection is closed, the partial transaction it may have left is discarded (complete ones stay and
     * stay acknowledged), and the archive's writer is idle at {@link BinlogArchive#resumePosition()}. A mirror that
     * had failed is paused too. Idempotent.
     *
     * @throws TimeoutException if the session did not end in time (the pause stays requested)
     */
    public void pause(Duration timeout) throws InterruptedException, TimeoutException {
        lock.lock();
        try {
            if (closing) {
                throw new IllegalStateException("the mirror is closed");
            }
            pauseRequested = true;
            endSession();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (!awaitState(timeout, s -> s == State.PAUSED || s == State.STOPPED)) {
            throw new TimeoutException("the mirror did not pause within " + timeout + ": " + status());
        }
    }

    /**
     * Points the paused mirror at another master, or at the same one with another address, credentials or TLS.
     * Where it resumes is the archive's business: after the archive's last complete transaction, or, after an
     * adopt, at position 4 of the new epoch's first file; {@code startFile}/{@code startGtid} count only for an
     * empty archive.
     *
     * @throws IllegalStateException if the mirror is not paused
     */
    public void repoint(UpstreamSettings next) {
        Objects.requireNonNull(next, "next");
        lock.lock();
        try {
            if (state != State.PAUSED) {
                throw new IllegalStateException("repoint needs a paused mirror, it is " + state);
            }
            log.info("mirror repointed from {} to {}", settings.address(), next.address());
            settings = next;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Leaves {@link State#PAUSED} (or {@link State#FAILED}): connects to the current master and goes on. */
    public void resume() {
        lock.lock();
        try {
            if (closing) {
                throw new IllegalStateException("the mirror is closed");
            }
            pauseRequested = false;
            failure = null;
            if (state == State.PAUSED || state == State.FAILED) {
                state = State.CONNECTING;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        Duration delay = settings().reconnectInitialDelay();
        try {
            while (true) {
                UpstreamSettings current;
                AtomicBoolean stop = new AtomicBoolean();
                lock.lock();
                try {
                    if (!waitWhileHeld()) {
                        return;
                    }
                    current = settings;
                    state = State.CONNECTING;
                    sessionStop = stop;
                    session = new DumpSession(current, sink, metrics, this::progressed, chain);
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
                boolean streamed = false;
                boolean failed = false;
                try {
                    session.run(group, stop);
                } catch (UpstreamException e) {
                    failed = !stop.get();
                    if (failed) {
                        fail(e.getMessage());
                        log.error("mirror stopped: {}", e.getMessage());
                    }
                } catch (Exception e) {
                    if (!stop.get()) {
                        streamed = state() == State.STREAMING;
                        setState(State.RECONNECTING);
                        metrics.reconnect();
                        if (streamed) {
                            delay = current.reconnectInitialDelay(); // the session streamed: back off afresh
                        }
                        log.warn("upstream {}: {}; reconnecting in {} ms", current.address(), e.toString(),
                                delay.toMillis());
                    }
                } finally {
                    lock.lock();
                    try {
                        session = null;
                        sessionStop = null;
                    } finally {
                        lock.unlock();
                    }
                }
                try {
                    sink.discardPartialTransaction();
                } catch (Exception e) {
                    fail("cannot discard the partial transaction: " + e.getMessage());
                    log.error("mirror stopped: {}", failure().orElse(""), e);
                    continue;
                }
                if (stop.get() || failed) {
                    delay = settings().reconnectInitialDelay(); // paused, failed or closed: the next start is afresh
                    continue;
                }
                sleep(delay);
                delay = delay.multipliedBy(2).compareTo(current.reconnectMaxDelay()) > 0
                        ? current.reconnectMaxDelay() : delay.multipliedBy(2);
            }
        } finally {
            setState(State.STOPPED);
        }
    }

    /**
     * Under the lock: while paused or failed, says so and waits for resume or close. Returns false when closing.
     */
    private boolean waitWhileHeld() {
        while (!closing && (pauseRequested || state == State.FAILED)) {
            if (pauseRequested && state != State.PAUSED) {
                state = State.PAUSED;
                log.info("mirror paused at the archive's last complete transaction");
                changed.signalAll();
            }
            changed.awaitUninterruptibly();
        }
        return !closing;
    }

    private void progressed(DumpSession.Progress p) {
        DumpSession.Progress before = progress.getAndSet(p);
        lock.lock();
        try {
            if (state == State.CONNECTING || state == State.RECONNECTING) {
                state = State.STREAMING;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        // the progress line while a backlog is copied, then once when the mirror is live
        if (!p.caughtUp() || before == null || !before.caughtUp()) {
            log.info("{}{}", DumpSession.describe(p), p.caughtUp() ? "" : catchUpRate.sample(
                    DumpSession.bytesDone(p), DumpSession.bytesToGo(p), System.nanoTime()));
        }
    }

    private void fail(String why) {
        lock.lock();
        try {
            failure = why;
            state = State.FAILED;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void setState(State s) {
        lock.lock();
        try {
            state = s;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: ends the running session now (its connection closes, its wait returns). */
    private void endSession() {
        if (sessionStop != null) {
            sessionStop.set(true);
        }
        if (session != null) {
            session.abort();
        }
    }

    private boolean awaitState(Duration timeout, java.util.function.Predicate<State> done)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (!done.test(state)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The backoff between sessions; a pause or close ends it at once. */
    private void sleep(Duration d) {
        long deadline = System.nanoTime() + d.toNanos();
        lock.lock();
        try {
            while (!closing && !pauseRequested) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops the mirror. The thread is never interrupted (an interrupt during FileChannel I/O would close the
     * archive's files); ending the session closes the connection, which ends the session's wait for packets.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closing = true;
            endSession();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5000);
        try {
            thread.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
