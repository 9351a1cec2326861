package dev.binlogproxy.upstream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The mirror's meters, named binlog_proxy_*. The upstream session and the archive update them; the Prometheus
 * endpoint ({@link MetricsServer}) exposes them. One instance per proxy.
 */
public final class MirrorMetrics {
    /** At least every this many transactions of one second, {@link #transaction} reads the clock anyway. */
    private static final int BEHIND_EVERY = 1024;
    private final MeterRegistry registry;
    private final Counter events;
    private final Counter bytes;
    private final Counter transactions;
    private final Counter reconnects;
    private final Counter refusedEvents;
    private final Counter acks;
    private final Timer ackLatency;
    private final Timer[] stages = new Timer[AckStage.values().length];
    private final AtomicLong secondsBehind = new AtomicLong(-1);
    /** See {@link #transaction}: the upstream session's thread only (one session at a time). */
    private long behindTimestamp;
    private int sameTimestamp;
    private final AtomicLong connected = new AtomicLong();
    private final AtomicLong diskFull = new AtomicLong();
    /** Nanoseconds without a streaming dump, closed outages only; guarded by this. */
    private long disconnectedNanos;
    /** When the current outage began (System.nanoTime()), or 0 while a dump streams; guarded by this. */
    private long disconnectedSince = System.nanoTime();

    public MirrorMetrics(MeterRegistry registry) {
        this.registry = registry;
        events = Counter.builder("binlog_proxy_upstream_events").description("events received from the master and archived")
                .register(registry);
        bytes = Counter.builder("binlog_proxy_upstream_bytes").baseUnit("bytes")
                .description("event bytes received from the master and archived").register(registry);
        transactions = Counter.builder("binlog_proxy_upstream_transactions")
                .description("complete transactions archived").register(registry);
        reconnects = Counter.builder("binlog_proxy_upstream_reconnects").description("upstream reconnect attempts")
                .register(registry);
        refusedEvents = Counter.builder("binlog_proxy_upstream_refused_events")
                .description("corrupt events refused (never stored); the session refetches them").register(registry);
        acks = Counter.builder("binlog_proxy_semisync_acks").description("semi-sync acks sent to the master")
                .register(registry);
        ackLatency = Timer.builder("binlog_proxy_semisync_ack_latency")
                .description("from receiving a flagged event to sending its ack (archive durability included)")
                .publishPercentiles(0.5, 0.99).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(20_000)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        for (AckStage s : AckStage.values()) {
            stages[s.ordinal()] = Timer.builder("binlog_proxy_semisync_ack_stage")
                    .tag("stage", s.name().toLowerCase(java.util.Locale.ROOT))
                    .description("parts of the semi-sync ack latency").register(registry);
        }
        Gauge.builder("binlog_proxy_seconds_behind_master", secondsBehind, AtomicLong::get)
                .description("now minus the timestamp of the last archived event; -1 when unknown").register(registry);
        Gauge.builder("binlog_proxy_upstream_connected", connected, AtomicLong::get)
                .description("1 while a dump from the master is streaming").register(registry);
        FunctionCounter.builder("binlog_proxy_upstream_disconnected_seconds", this, MirrorMetrics::disconnectedSeconds)
                .description("time without a streaming dump from the master since start (reconnects, a dead"
                        + " master, a full archive disk)").register(registry);
        Gauge.builder("binlog_proxy_archive_disk_full", diskFull, AtomicLong::get)
                .description("1 while the archive's disk is below archive.minFreeSpace: nothing is appended or"
                        + " acknowledged until space is back").register(registry);
    }

    /** Now minus the timestamp of the last archived event, 0 once a heartbeat said caught up; -1 when unknown. */
    public long secondsBehindMaster() {
        return secondsBehind.get();
    }

    public MeterRegistry registry() {
        return registry;
    }

    /**
     * Counts an event. The mean event size is bytes over events (the dashboard divides the two rates); a
     * distribution summary recorded here, per event, was 4% of a catch-up's event loop.
     */
    public void event(int size) {
        events.increment();
        bytes.increment(size);
    }

    /**
     * Counts a transaction and, when its timestamp (seconds) moved on or every {@link #BEHIND_EVERY} transactions,
     * sets how far behind the mirror is: a backlog's transactions mostly share their second, and a wall-clock read
     * per transaction was part of what the clock cost a catch-up's event loop (docs/results.md, session 15).
     */
    public void transaction(long eventTimestampSeconds) {
        transactions.increment();
        if (eventTimestampSeconds > 0
                && (eventTimestampSeconds != behindTimestamp || ++sameTimestamp >= BEHIND_EVERY)) {
            behindTimestamp = eventTimestampSeconds;
            sameTimestamp = 0;
            secondsBehind.set(Math.max(0, System.currentTimeMillis() / 1000 - eventTimestampSeconds));
        }
    }

    /** A heartbeat means the master has nothing newer: the mirror is caught up. */
    public void caughtUp() {
        behindTimestamp = 0; // the next transaction sets it again
        secondsBehind.set(0);
    }

    public void reconnect() {
        reconnects.increment();
    }

    public void refused() {
        refusedEvents.increment();
    }

    public void ack(long nanos) {
        acks.increment();
        ackLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Parts of {@link #ack}'s latency, to see where ack time goes (tag {@code stage}). */
    public void ackStage(AckStage stage, long nanos) {
        stages[stage.ordinal()].record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Parts of the ack latency, in the order they happen. */
    public enum AckStage {
        /** received to written into the archive's file */
        APPEND,
        /** received to the end of the socket read it came in */
        READ_END,
        /** the one sync before the acks of a read */
        SYNC,
        /** writing and flushing the acks of a read to the socket */
        SEND
    }

    public void connected(boolean up) {
        connected.set(up ? 1 : 0);
        synchronized (this) {
            long now = System.nanoTime();
            if (up && disconnectedSince != 0) {
                disconnectedNanos += now - disconnectedSince;
                disconnectedSince = 0;
            } else if (!up && disconnectedSince == 0) {
                disconnectedSince = now;
            }
        }
    }

    /** Seconds without a streaming dump since start, the current outage included. */
    public synchronized double disconnectedSeconds() {
        long open = disconnectedSince == 0 ? 0 : System.nanoTime() - disconnectedSince;
        return (disconnectedNanos + open) / 1e9;
    }

    /** The archive's disk is full (the mirror waits) or not. */
    public void diskFull(boolean full) {
        diskFull.set(full ? 1 : 0);
    }

    /** Registers the archive's size on disk, read when scraped. */
    public void archiveSize(LongSupplier bytesOnDisk) {
        Gauge.builder("binlog_proxy_archive_size", bytesOnDisk, s -> (double) s.getAsLong()).baseUnit("bytes")
                .description("bytes of binlog files in the archive").register(registry);
    }
}
