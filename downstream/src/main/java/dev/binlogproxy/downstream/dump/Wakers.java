package dev.binlogproxy.downstream.dump;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;

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

    /**
     * Releases the shared runs, once the server's sessions are gone: on each loop's own thread while it still runs
     * (loops lent by the application outlive the server), directly once it has stopped (nothing uses them any more).
     */
    public void close() {
        byLoop.forEach((loop, d) -> {
            if (!loop.isShuttingDown()) {
                try {
                    loop.submit(() -> d.sharedRuns().clear()).awaitUninterruptibly(3000);
                    return;
                } catch (RejectedExecutionException e) {
                    // stopping meanwhile: once stopped, nothing else touches the runs
                }
            }
            loop.terminationFuture().awaitUninterruptibly(3000);
            d.sharedRuns().clear();
        });
    }
}
