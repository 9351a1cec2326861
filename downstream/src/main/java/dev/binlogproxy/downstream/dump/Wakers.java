package dev.binlogproxy.downstream.dump;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.netty.channel.EventLoop;

/** A server's {@link IdleDumps}, one per event loop (the archive listener each loop registers for its dumps). */
public final class Wakers {
    private final Map<EventLoop, IdleDumps> byLoop = new ConcurrentHashMap<>();

    IdleDumps of(EventLoop loop) {
        return byLoop.computeIfAbsent(loop, IdleDumps::new);
    }
}
