package dev.binlogproxy.upstream;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.DiskFullException;
import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.MySqlProtocolException;
import dev.binlogproxy.protocol.net.Transports;
import io.netty.channel.EventLoopGroup;
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
 * it never mixes two histories or skips a gap on its own. So do {@code maxLoginFailures} refused logins in a row
 * (a wrong password is not fixed by retrying).
 *
 * <p>An upstream that is another binlog proxy of the same master may be behind the archive (a sibling that lags):
 * that is an {@link UpstreamBehindException}, retried with the backoff like a lost connection, not a failure.
 *
 * <p>Reconnecting: a master that refuses the TCP connection (down, or restarting) costs nothing to ask again, so it
 * is asked every {@link #REFUSED_RETRY} whatever the backoff says, and a restarted master is followed within its
 * first second of life; any other failure backs off exponentially, afresh after a session that streamed events.
 *
 * <p>A full archive disk ({@link DiskFullException}) is not the master's fault: the session ends (nothing more is
 * acknowledged), the mirror says so once and waits in {@link State#DISK_FULL}, checking every second, and resumes
 * by itself when the archive has its reserve of free space again. Downstream keeps serving what the archive has.
 */
public final class MirrorService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MirrorService.class);
    /** How often a master that refuses TCP connections is asked again (see the class comment). */
    static final Duration REFUSED_RETRY = Duration.ofMillis(100);
    private static final Duration DISK_CHECK = Duration.ofSeconds(1);
    private static final Duration REFUSED_LOG_EVERY = Duration.ofSeconds(10);

    public enum State {
        CONNECTING, STREAMING, RECONNECTING,
        /** Stopped on request at a transaction boundary; nothing is connected; {@link #resume} goes on. */
        PAUSED,
        /** Stopped by an {@link UpstreamException}; waits for {@link #resume} (after {@link #repoint}) or close. */
        FAILED,
        /** The archive's disk is full: nothing is connected or acknowledged; resumes by itself when space is back. */
        DISK_FULL,
        STOPPED
    }

    private final MirrorSink sink;
    private final MirrorMetrics metrics;
    private final SemiSyncChain chain;
    private final EventLoopGroup group;
    /** Whether {@link #group} is this service's own (shut down on close) or lent by the application. */
    private final boolean ownsGroup;
    private final AtomicReference<DumpSession.Progress> progress = new AtomicReference<>();
    private final CatchUpRate catchUpRate = new CatchUpRate();
    private final Thread thread;

    /** Guards the fields below; {@link #changed} is signalled whenever one of them changes. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private UpstreamSettings settings;
    private State state = State.CONNECTING;
    private String failure;
    /** The master refused the login maxLoginFailures times in a row (FAILED): a configuration problem. */
    private boolean loginRefused;
    /** While reconnecting: why the last session ended (shown by {@link #status}); cleared once it streams. */
    private String lastError;
    /** While DISK_FULL: what the archive said. */
    private String diskFull;
    private boolean pauseRequested;
    private boolean closing;
    /** The running session's stop flag: set to end it. */
    private AtomicBoolean sessionStop;
    private DumpSession session;

    private MirrorService(UpstreamSettings settings, MirrorSink sink, MirrorMetrics metrics, SemiSyncChain chain,
                          EventLoopGroup loop) {
        this.ownsGroup = loop == null;
        this.group = loop != null ? loop : Transports.newGroup(1);
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

    /**
     * As {@link #start(UpstreamSettings, BinlogArchive, MirrorMetrics, SemiSyncChain)}, with the master's connection
     * on {@code loop} (which the caller owns and shuts down after {@link #close}); null for a loop of its own.
     */
    public static MirrorService start(UpstreamSettings settings, BinlogArchive archive, MirrorMetrics metrics,
                                      SemiSyncChain chain, EventLoopGroup loop) {
        return start(settings, new ArchiveMirrorSink(archive), metrics, chain, loop);
    }

    static MirrorService start(UpstreamSettings settings, MirrorSink sink, MirrorMetrics metrics,
                               SemiSyncChain chain) {
        return start(settings, sink, metrics, chain, null);
    }

    static MirrorService start(UpstreamSettings settings, MirrorSink sink, MirrorMetrics metrics,
                               SemiSyncChain chain, EventLoopGroup loop) {
        MirrorService m = new MirrorService(settings, sink, metrics, chain, loop);
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

    /** Whether the mirror failed because the master refused its login (a wrong upstream.user or password). */
    public boolean failedOnLogin() {
        lock.lock();
        try {
            return state == State.FAILED && loginRefused;
        } finally {
            lock.unlock();
        }
    }

    /** While the archive's disk is full ({@link State#DISK_FULL}): the archive's message. */
    public Optional<String> diskFull() {
        lock.lock();
        try {
            return state == State.DISK_FULL ? Optional.ofNullable(diskFull) : Optional.empty();
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
                    + (failure == null ? "" : ": " + failure)
                    + (lastError != null && (state == State.RECONNECTING || state == State.CONNECTING)
                    ? " (last attempt: " + lastError + ")" : "")
                    + (state == State.DISK_FULL && diskFull != null ? ": " + diskFull : "");
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
            lastError = null;
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
            loginRefused = false;
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
        int loginFailures = 0;
        long refusedSince = 0;
        long refusedLogged = 0;
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
                boolean failed = false;
                boolean refused = false;
                DiskFullException full = null;
                try {
                    session.run(group, stop);
                } catch (UpstreamException e) {
                    failed = !stop.get();
                    if (failed) {
                        fail(e.getMessage(), false);
                        log.error("mirror stopped: {}", e.getMessage());
                    }
                } catch (Exception e) {
                    full = DiskFullException.in(e);
                    if (!stop.get() && full == null) {
                        boolean streamed = state() == State.STREAMING;
                        String why = e instanceof UpstreamBehindException ? e.getMessage() : e.toString();
                        reconnecting(why);
                        metrics.reconnect();
                        if (streamed) {
                            delay = current.reconnectInitialDelay(); // the session streamed: back off afresh
                        }
                        refused = refusedConnection(e);
                        loginFailures = accessDenied(e) ? loginFailures + 1 : 0;
                        if (current.maxLoginFailures() > 0 && loginFailures >= current.maxLoginFailures()) {
                            failed = true;
                            fail("the master " + current.address() + " refused the login of user '"
                                    + current.connection().user() + "' " + loginFailures + " times in a row ("
                                    + e.getMessage() + "): check upstream.user and upstream.password (or"
                                    + " passwordFile); stopped retrying (upstream.maxLoginFailures)", true);
                            log.error("mirror stopped: {}", failure().orElse(""));
                        } else if (!refused || refusedSince == 0
                                || System.nanoTime() - refusedLogged > REFUSED_LOG_EVERY.toNanos()) {
                            // a master that is down is asked every 100 ms: say so when it starts, then every 10 s
                            log.warn("upstream {}: {}; reconnecting in {} ms{}", current.address(), why,
                                    (refused ? min(delay, REFUSED_RETRY) : delay).toMillis(), refusedSince == 0 ? ""
                                    : " (refusing connections for " + (System.nanoTime() - refusedSince) / 1_000_000
                                    + " ms)");
                            refusedLogged = System.nanoTime();
                        }
                        refusedSince = !refused ? 0 : refusedSince == 0 ? System.nanoTime() : refusedSince;
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
                    if (DiskFullException.in(e) == null) {
                        fail("cannot discard the partial transaction: " + e.getMessage(), false);
                        log.error("mirror stopped: {}", failure().orElse(""), e);
                        continue;
                    }
                    full = full != null ? full : DiskFullException.in(e);
                }
                if (full != null && !stop.get()) {
                    awaitDiskSpace(full);
                    delay = current.reconnectInitialDelay();
                    continue;
                }
                if (stop.get() || failed) {
                    delay = settings().reconnectInitialDelay(); // paused, failed or closed: the next start is afresh
                    continue;
                }
                if (refused) {
                    // nothing listens there: asking again costs the master nothing, and a restart is followed
                    // within its first second; the backoff stays where it was for failures that do cost
                    sleep(min(delay, REFUSED_RETRY));
                    continue;
                }
                sleep(delay);
                delay = min(delay.multipliedBy(2), current.reconnectMaxDelay());
            }
        } finally {
            setState(State.STOPPED);
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** The master's address refused the TCP connection: no server listens there (yet). */
    private static boolean refusedConnection(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return true;
            }
        }
        return false;
    }

    /** The master refused the login (ERR 1045): a wrong user or password, which retrying does not fix. */
    private static boolean accessDenied(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MySqlProtocolException m && m.errorCode() == ErrorCodes.ER_ACCESS_DENIED) {
                return true;
            }
        }
        return false;
    }

    /**
     * The archive's disk is full: says so once, then checks every second until the archive has its reserve of free
     * space again (or the mirror is paused or closed). The session is already over, so the master gets no ack
     * meanwhile; the archive, and everything downstream reading it, is untouched.
     */
    private void awaitDiskSpace(DiskFullException full) {
        lock.lock();
        try {
            diskFull = full.getMessage();
            state = State.DISK_FULL;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        metrics.diskFull(true);
        log.error("{}; the mirror stops acknowledging the master and resumes by itself once there is room (checked"
                + " every {} s); replicas keep reading what the archive has", full.getMessage(),
                DISK_CHECK.toSeconds());
        long since = System.nanoTime();
        boolean room = false;
        while (!room && !closingOrPaused()) {
            sleep(DISK_CHECK);
            room = sink.hasRoomToAppend();
        }
        metrics.diskFull(false);
        if (room) {
            log.info("archive disk space is back ({} bytes free) after {} s: mirroring resumes", sink.freeBytes(),
                    (System.nanoTime() - since) / 1_000_000_000L);
        }
        lock.lock();
        try {
            diskFull = null;
            if (state == State.DISK_FULL) {
                state = State.RECONNECTING;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    private boolean closingOrPaused() {
        lock.lock();
        try {
            return closing || pauseRequested;
        } finally {
            lock.unlock();
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
                lastError = null;
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

    private void fail(String why, boolean login) {
        lock.lock();
        try {
            failure = why;
            loginRefused = login;
            state = State.FAILED;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void reconnecting(String why) {
        lock.lock();
        try {
            lastError = why;
            state = State.RECONNECTING;
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
        if (ownsGroup) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5000);
        }
        try {
            thread.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
