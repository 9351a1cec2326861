package dev.binlogproxy.downstream.dump;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.Packet;
import dev.binlogproxy.protocol.packet.ErrPacket;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;

import dev.binlogproxy.archive.BinlogArchive;

/**
 * One dump, stepped on its session's event loop: the sender's start is decided on the server's start executor
 * (it may wait for the archive), then every {@link BinlogSender#step()} runs on the event loop, again whenever the
 * archive changes, the channel drains, a heartbeat is due, or the step yielded. No thread per dump: a commit wakes
 * each event loop once, whatever the number of tailing replicas, and a dump's bytes go from the archive to the
 * socket on one thread ({@link ChannelDumpOutput}). When it ends, its {@link Listener} hears whether the session
 * goes back to commands (a non-blocking dump's EOF) or closes.
 */
public final class DumpRun {
    private static final Logger log = LoggerFactory.getLogger(DumpRun.class);

    /** Told, on the event loop, that a dump has ended. */
    @FunctionalInterface
    public interface Listener {
        /**
         * @param backToCommands the dump ended with EOF (non-blocking) and the channel is open: the session takes
         *                       commands again
         * @param nextSequenceId the id the session's next packet of this exchange carries
         */
        void dumpEnded(DumpRun run, boolean backToCommands, int nextSequenceId);
    }

    private final DumpRequest request;
    private final ChannelDumpOutput output;
    private final BinlogSender sender;
    private final Channel channel;
    private final EventLoop loop;
    private final String name;
    private final Listener listener;
    private final IdleDumps idleDumps;
    private final Runnable pump = this::pump;
    /** The heartbeat timer's task: it is over once it runs (isDone() is false until the task returns). */
    private final Runnable timerFired = () -> {
        timer = null;
        pump();
    };
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private volatile ErrPacket abortWith;
    // ---- event loop only ----
    private boolean ready;
    private boolean done;
    /** Inside sender.step(): a write there may drain the channel and call writabilityChanged() back. */
    private boolean stepping;
    /** Waiting in {@link #idleDumps} for the archive to change. */
    private boolean parked;
    private ScheduledFuture<?> timer;
    private long timerDeadline;

    /**
     * @param channel         the session's: the dump's packets go there, and it steps on its event loop
     * @param firstSequenceId the id of the dump's first packet (the command came at 0)
     * @param masterServerId  the server_id put into fake events (the upstream master's)
     * @param wakers          the server's: the channel's event loop's {@link IdleDumps} come from it
     * @param name            for logs
     */
    public DumpRun(BinlogArchive archive, DumpRequest request, Channel channel, int firstSequenceId,
                   long masterServerId, DumpMetrics metrics, Wakers wakers, String name, Listener listener) {
        this.request = request;
        this.channel = channel;
        this.loop = channel.eventLoop();
        this.idleDumps = wakers.of(loop);
        this.output = new ChannelDumpOutput(channel, firstSequenceId);
        this.sender = new BinlogSender(archive, request, output, masterServerId, metrics, idleDumps.sharedRuns());
        this.name = name;
        this.listener = listener;
    }

    /** Where the dump stands (see {@link BinlogSender#position()}). */
    public dev.binlogproxy.binlog.position.BinlogPosition position() {
        return sender.position();
    }

    public DumpRequest request() {
        return request;
    }

    /** Decides the start off the event loop (it may wait for the archive), then steps on the event loop. */
    public void start(Executor startExecutor) {
        startExecutor.execute(() -> {
            Runnable next;
            try {
                sender.prepare();
                next = () -> {
                    ready = true;
                    pump();
                };
            } catch (IOException | InterruptedException | RuntimeException e) {
                next = () -> failed(e);
            }
            if (!onLoop(next)) {
                ended.complete(null);
            }
        });
    }

    /** Any thread: the dump ends at its next step. */
    public void stop() {
        sender.stop();
        schedule();
    }

    /** Ends the dump with this ERR (sent once the sender has stopped writing), then the session closes. */
    public void abort(ErrPacket err) {
        abortWith = err;
        stop();
    }

    /** On the event loop, when the channel's writability changed. */
    public void writabilityChanged() {
        if (channel.isWritable() || !channel.isActive()) {
            pump();
        }
    }

    /** Waits up to {@code millis} for the dump to end (server shutdown). */
    public void join(long millis) throws InterruptedException {
        try {
            ended.get(millis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            // gone or not: the caller goes on
        }
    }

    private void schedule() {
        onLoop(pump);
    }

    /** {@link IdleDumps}: step again soon. */
    void wake() {
        schedule();
    }

    /** {@link IdleDumps}, on the event loop: the archive changed. */
    void unparked() {
        parked = false;
        pump();
    }

    /** False if the loop no longer takes tasks: the server is closing, and its event loops end every session. */
    private boolean onLoop(Runnable task) {
        try {
            loop.execute(task);
            return true;
        } catch (java.util.concurrent.RejectedExecutionException shutDown) {
            return false;
        }
    }

    private void pump() {
        if (done || !ready) {
            return;
        }
        if (stepping) {
            // called back from inside the step (the channel drained during one of its writes): step once it is
            // over, never inside it
            schedule();
            return;
        }
        BinlogSender.Progress p;
        stepping = true;
        try {
            p = sender.step();
        } catch (IOException e) {
            log.debug("dump {}: {}", name, e.toString());
            end(false);
            return;
        } catch (RuntimeException e) {
            failed(e);
            return;
        } finally {
            stepping = false;
        }
        switch (p) {
            case MORE -> schedule();
            case BLOCKED -> {
                // writabilityChanged() steps again; a channel that closed meanwhile ends at that step
                if (channel.isWritable() || !channel.isActive()) {
                    schedule();
                }
            }
            case IDLE -> idle(sender.idleNanos());
            case DONE -> end(true);
        }
    }

    private void idle(long nanos) {
        if (!parked) {
            parked = idleDumps.park(this, sender);
        }
        if (nanos == Long.MAX_VALUE) {
            return;
        }
        long deadline = System.nanoTime() + nanos;
        if (timer != null) {
            // A pending timer that fires no later than needed stays: firing early costs one step that finds the
            // heartbeat not yet due and sets the timer again. Moving it at every commit (the heartbeat is due a
            // period after the last event sent) cost a cancel and a schedule in the loop's timer heap per dump and
            // commit, a visible share of the event loops' time at 1,000 tailing replicas.
            if (timerDeadline <= deadline + TimeUnit.MILLISECONDS.toNanos(1)) {
                return;
            }
            timer.cancel(false);
        }
        timerDeadline = deadline;
        timer = loop.schedule(timerFired, nanos, TimeUnit.NANOSECONDS);
    }

    private void failed(Throwable e) {
        if (e instanceof IOException || e instanceof InterruptedException) {
            log.debug("dump {}: {}", name, e.toString());
        } else {
            log.warn("dump {} failed", name, e);
            try {
                output.error(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, ErrorCodes.SQLSTATE_GENERAL,
                        "binlog-proxy: " + e);
            } catch (IOException ignored) {
                // the client is gone anyway
            }
        }
        // nothing to release: a step that throws has already let go of the reader, and prepare() opens none
        sender.stop();
        end(false);
    }

    private void end(boolean clean) {
        if (done) {
            return;
        }
        done = true;
        if (timer != null) {
            timer.cancel(false);
        }
        try {
            output.discardPending();
            ErrPacket err = abortWith;
            boolean back = clean && err == null && request.nonBlocking() && output.isOpen();
            if (err != null && channel.isActive()) {
                ByteBuf payload = err.encode(channel.alloc());
                channel.writeAndFlush(new Packet(output.sequenceId(), payload))
                        .addListener(ChannelFutureListener.CLOSE);
            }
            listener.dumpEnded(this, back, output.sequenceId());
        } finally {
            ended.complete(null);
        }
    }
}
