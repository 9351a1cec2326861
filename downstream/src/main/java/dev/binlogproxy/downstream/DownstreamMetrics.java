package dev.binlogproxy.downstream;

import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import dev.binlogproxy.downstream.dump.DumpMetrics;

/** The master-side server's meters, named binlog_proxy_downstream_*. */
final class DownstreamMetrics {
    private final MeterRegistry registry;
    private final Counter logins;
    private final Counter refusedLogins;
    private final Counter malformed;
    private final Counter acks;
    private final AtomicLong sessions = new AtomicLong();
    private final AtomicLong dumps = new AtomicLong();
    private final DumpMetrics dumpMeters;

    DownstreamMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.dumpMeters = new DumpMetrics(registry);
        logins = Counter.builder("binlog_proxy_downstream_logins").description("successful logins").register(registry);
        refusedLogins = Counter.builder("binlog_proxy_downstream_refused_logins")
                .description("logins refused with ER_ACCESS_DENIED (1045)").register(registry);
        malformed = Counter.builder("binlog_proxy_downstream_protocol_errors")
                .description("sessions closed for a malformed or out-of-order packet").register(registry);
        acks = Counter.builder("binlog_proxy_downstream_semisync_acks")
                .description("semi-sync ACKs received from downstream replicas").register(registry);
        Gauge.builder("binlog_proxy_downstream_sessions", sessions, AtomicLong::get)
                .description("open client connections").register(registry);
        Gauge.builder("binlog_proxy_downstream_dumps", dumps, AtomicLong::get)
                .description("binlog dumps streaming").register(registry);
    }

    /** The dump senders' meters, shared by every dump. */
    DumpMetrics dumpMeters() {
        return dumpMeters;
    }

    MeterRegistry registry() {
        return registry;
    }

    void login() {
        logins.increment();
    }

    void refusedLogin() {
        refusedLogins.increment();
    }

    void malformed() {
        malformed.increment();
    }

    void ack() {
        acks.increment();
    }

    double acks() {
        return acks.count();
    }

    void sessionOpened() {
        sessions.incrementAndGet();
    }

    void sessionClosed() {
        sessions.decrementAndGet();
    }

    void dumpStarted() {
        dumps.incrementAndGet();
    }

    void dumpEnded() {
        dumps.decrementAndGet();
    }

    long dumps() {
        return dumps.get();
    }
}
