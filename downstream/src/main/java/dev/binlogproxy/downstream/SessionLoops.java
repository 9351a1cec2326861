package dev.binlogproxy.downstream;

import java.util.concurrent.atomic.AtomicIntegerArray;

import dev.binlogproxy.protocol.net.Transports;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorChooserFactory;
import io.netty.util.concurrent.ThreadPerTaskExecutor;

/**
 * The proxy's network event loops, shared by the master's connection and the downstream sessions, and where each
 * session runs.
 *
 * <p>Why share: a commit read from the master becomes readable on the thread that read it (the upstream's loop), and
 * a dump on another loop only hears of it through a task handed to that loop: a wake-up of a thread that, on a
 * small machine, first waits for a CPU (on the relay benchmark's 2 vCPUs the largest stage left between the master
 * and a leaf: p50 ~30 us, p99 ~2 ms). A dump on the upstream's own loop is stepped by that thread right after the
 * read that published the commit, with no hand-over, and after the master's ack (the read's handler writes the ack
 * before the loop runs any task).
 *
 * <p>Why only a few, and only dumps: every session on the upstream's loop is work that runs before the loop reads the
 * master's next event, so before that event's ack. A new session therefore goes to the other loops, the one with the
 * fewest sessions first, and moves to the upstream's loop only when it starts a dump and fewer than
 * {@code upstreamLoopSessions} dumps are there ({@link #forDump}): an intermediate master's handful of replicas get
 * the shortest path whenever they connect, and a monitoring tool's connection, which may come first and stay for
 * days, never takes their place nor runs its queries in front of an ack. A fan-out to a thousand replicas never sits
 * there either. A session that ends frees its place.
 *
 * <p>Thread-safe: the placing runs on the acceptor's thread, {@link #forDump} on the session's loop, the freeing of a
 * place on the loop a session ends on.
 */
public final class SessionLoops implements AutoCloseable {
    /** The loop whose count holds a session's place: where it was placed, or the upstream's once it moved there. */
    private static final AttributeKey<EventLoop> PLACE = AttributeKey.valueOf("binlogproxy.sessionLoop");

    private final MultiThreadIoEventLoopGroup group;
    private final EventLoop upstreamLoop;
    private final EventExecutor[] loops;
    private final int upstreamLoopSessions;
    /** Open sessions per loop, by the loop's index in {@link #loops}; the upstream's loop is index 0. */
    private final AtomicIntegerArray sessions;

    private SessionLoops(int otherLoops, int upstreamLoopSessions) {
        if (otherLoops < 1) {
            throw new IllegalArgumentException("at least one loop besides the upstream's, not " + otherLoops);
        }
        if (upstreamLoopSessions < 0) {
            throw new IllegalArgumentException("sessions on the upstream's loop: >= 0, not " + upstreamLoopSessions);
        }
        this.upstreamLoopSessions = upstreamLoopSessions;
        this.sessions = new AtomicIntegerArray(otherLoops + 1);
        EventExecutor[][] seen = new EventExecutor[1][];
        EventExecutorChooserFactory chooser = executors -> {
            seen[0] = executors;
            return this::place;
        };
        this.group = new MultiThreadIoEventLoopGroup(otherLoops + 1,
                new ThreadPerTaskExecutor(new DefaultThreadFactory("binlog-io", true)), chooser,
                Transports.ioHandlerFactory());
        this.loops = seen[0];
        this.upstreamLoop = (EventLoop) loops[0];
    }

    /**
     * {@code otherLoops} loops for the sessions; up to {@code upstreamLoopSessions} of them move to the upstream's loop
     * when they start a dump (0: none does).
     */
    public static SessionLoops create(int otherLoops, int upstreamLoopSessions) {
        return new SessionLoops(otherLoops, upstreamLoopSessions);
    }

    /** The loop for the master's connection (give it to the mirror). */
    public EventLoopGroup upstreamLoop() {
        return upstreamLoop;
    }

    /** The group the downstream server registers its sessions with; {@code next()} places a new session. */
    public EventLoopGroup sessions() {
        return group;
    }

    /** Open sessions on each loop, the upstream's first (for tests and diagnostics). */
    public int[] sessionCounts() {
        int[] out = new int[sessions.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = sessions.get(i);
        }
        return out;
    }

    /** The chooser: the least busy loop other than the upstream's (which takes dumps only, see {@link #forDump}). */
    private EventExecutor place() {
        int best = 1;
        for (int i = 2; i < loops.length; i++) {
            if (sessions.get(i) < sessions.get(best)) {
                best = i;
            }
        }
        sessions.incrementAndGet(best);
        return loops[best];
    }

    /**
     * Counts a session on the loop it was registered with until its channel closes (call once, from the channel's
     * initializer). A channel whose registration failed is never counted as closed and keeps its place: a count too
     * high by one, on a path Netty takes only when a loop is shutting down.
     */
    void track(Channel ch) {
        ch.attr(PLACE).set(ch.eventLoop());
        ch.closeFuture().addListener(f -> closed(ch.attr(PLACE).get()));
    }

    /**
     * Before a session's dump starts, on its loop: moves the channel to the upstream's loop if fewer than
     * {@code upstreamLoopSessions} dumps are there (Netty's deregister, then register with that loop: the socket's
     * unread bytes wait in the kernel meanwhile), then runs {@code start} on the channel's loop, the upstream's or the
     * one it stays on. A move that fails (the channel closed meanwhile, a loop shutting down) gives the place back and
     * closes the channel; {@code start} then never runs.
     */
    void forDump(Channel ch, Runnable start) {
        EventLoop from = ch.eventLoop();
        if (from == upstreamLoop || !claimUpstreamPlace()) {
            start.run();
            return;
        }
        ch.deregister().addListener(deregistered -> {
            if (!deregistered.isSuccess()) {
                abandonMove(ch);
                return;
            }
            upstreamLoop.register(ch).addListener(registered -> {
                // on the upstream's loop (the promise's), before the channel reads again
                if (!registered.isSuccess()) {
                    abandonMove(ch); // closed meanwhile: its close freed the place it had on 'from'
                    return;
                }
                ch.attr(PLACE).set(upstreamLoop);
                closed(from);
                start.run();
            });
        });
    }

    /** A move that failed: the claimed place on the upstream's loop given back, the channel closed. */
    private void abandonMove(Channel ch) {
        sessions.decrementAndGet(0);
        ch.close();
    }

    private boolean claimUpstreamPlace() {
        while (true) {
            int onUpstream = sessions.get(0);
            if (onUpstream >= upstreamLoopSessions) {
                return false;
            }
            if (sessions.compareAndSet(0, onUpstream, onUpstream + 1)) {
                return true;
            }
        }
    }

    /** Frees the place a session held on {@code loop}. */
    void closed(EventLoop loop) {
        for (int i = 0; i < loops.length; i++) {
            if (loops[i] == loop) {
                sessions.decrementAndGet(i);
                return;
            }
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly(3000);
    }
}
