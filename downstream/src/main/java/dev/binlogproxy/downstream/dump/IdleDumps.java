package dev.binlogproxy.downstream.dump;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;

import io.netty.channel.EventLoop;

/**
 * The dumps of one event loop that have sent everything and wait for the archive to change. The loop registers
 * one archive listener for all of them, not one each: the listeners run on the archive writer's thread while it
 * publishes (before the master gets its ack), so with 1,000 tailing replicas a listener per dump was 1,000 task
 * hand-overs on the ack path per commit (about 4% of the proxy's samples at 1,000 sessions, with its share of
 * event-loop wake-ups). Now a commit costs the writer one hand-over per event loop, and each loop steps its idle
 * dumps in one task.
 *
 * <p>Everything here runs on the loop's thread except {@link #changed}, which only hands over.
 */
final class IdleDumps {
    private final EventLoop loop;
    private final Runnable changed = this::changed;
    private final Runnable drain = this::drain;
    /** What one dump of this loop framed, for the others at the same place (loop thread only). */
    private final SharedRuns shared = new SharedRuns();
    // ---- event loop only ----
    private List<DumpRun> parked = new ArrayList<>();
    private List<DumpRun> spare = new ArrayList<>();
    private boolean registered;
    /** The archive generation the listener was registered with (see {@link #park}). */
    private long registeredAt;

    IdleDumps(EventLoop loop) {
        this.loop = loop;
    }

    /**
     * Steps {@code run} again once the archive changes past the generation at which its {@code sender} found
     * nothing more to send; the sender registers the loop's listener when none is pending. Returns false when it
     * did not park the dump but scheduled its next step at once.
     */
    boolean park(DumpRun run, BinlogSender sender) {
        long seenGeneration = sender.idleGeneration();
        if (registered && seenGeneration != registeredAt) {
            // The pending listener waits for changes past another generation. One older than the dump's has
            // already fired or will (its drain is queued); one newer means changes the dump has not read: either
            // way stepping it now is right, and a step that finds nothing parks it again.
            run.wake();
            return false;
        }
        parked.add(run);
        if (!registered) {
            registered = true;
            registeredAt = seenGeneration;
            // runs changed() at once if the archive has moved past seenGeneration already
            sender.whenArchiveChanges(changed);
        }
        return true;
    }

    SharedRuns sharedRuns() {
        return shared;
    }

    /** The archive writer's thread (or the archive closing): hand over, never step here. */
    private void changed() {
        try {
            loop.execute(drain);
        } catch (RejectedExecutionException shutDown) {
            // the server is closing: its event loops end every session
        }
    }

    private void drain() {
        registered = false;
        List<DumpRun> runs = parked;
        parked = spare;
        spare = runs;
        try {
            for (DumpRun r : runs) {
                r.unparked();
            }
        } finally {
            runs.clear();
        }
    }
}
