package dev.binlogproxy.downstream.dump;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.netty.channel.EventLoop;

/**
 * A server's {@link IdleDumps}, one per event loop (the archive listener each loop registers for its dumps, and the
 * runs its dumps share).
 */
public final class Wakers {
    private final Map<EventLoop, IdleDumps> byLoop = new ConcurrentHashMap<>();

    IdleDumps of(EventLoop loop) {
        return byLoop.computeIfAbsent(loop, IdleDumps::new);
    }

    /** Releases the shared runs; call once the event loops have stopped (nothing uses them any more). */
    public void close() {
        for (IdleDumps d : byLoop.values()) {
            d.sharedRuns().clear();
        }
    }
}
