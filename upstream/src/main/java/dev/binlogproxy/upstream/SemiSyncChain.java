package dev.binlogproxy.upstream;

import dev.binlogproxy.binlog.position.BinlogPosition;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Chained semi-sync: the proxy's ack to the master waits until {@code waitForReplicas} downstream semi-sync replicas
 * have acknowledged the transaction (an ack at or past its end, in file order: one downstream ack covers every
 * transaction before it). A wait longer than {@code timeout} acks upstream anyway and switches the chain off, as a
 * MySQL master switches to asynchronous on {@code rpl_semi_sync_master_timeout}; while off, acks go upstream as
 * soon as the archive has the transaction durable, and the chain is back on once enough downstream replicas have
 * acknowledged the last position acked upstream.
 *
 * <p>Downstream acks come in on the server's event loops ({@link #downstreamAcked}); everything about the upstream
 * acks that wait runs on the upstream connection's event loop (see DumpSession), which this wakes.
 */
public final class SemiSyncChain {
    private static final Logger log = LoggerFactory.getLogger(SemiSyncChain.class);

    private final int waitForReplicas;
    private final Duration timeout;
    /** The newest position each downstream replica (by server_id) acknowledged. */
    private final Map<Long, BinlogPosition> acked = new ConcurrentHashMap<>();
    private volatile boolean on = true;
    private volatile Runnable wake;
    private final ChainMetrics metrics;

    public SemiSyncChain(ChainSettings settings, MeterRegistry registry) {
        this(settings.waitForReplicas(), settings.timeout(), registry);
    }

    public SemiSyncChain(int waitForReplicas, Duration timeout, MeterRegistry registry) {
        if (waitForReplicas < 1) {
            throw new IllegalArgumentException("waitForReplicas must be at least 1 for a chain: " + waitForReplicas);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the chain timeout must be positive: " + timeout);
        }
        this.waitForReplicas = waitForReplicas;
        this.timeout = timeout;
        this.metrics = new ChainMetrics(registry, () -> on);
    }

    public int waitForReplicas() {
        return waitForReplicas;
    }

    public Duration timeout() {
        return timeout;
    }

    /** Whether upstream acks wait for downstream replicas now (false after a timeout until they catch up). */
    public boolean on() {
        return on;
    }

    public long timeoutCount() {
        return (long) metrics.timeouts.count();
    }

    public long waitCount() {
        return (long) metrics.waits.count();
    }

    /** The newest position {@code serverId} acknowledged, if it ever did. */
    public Optional<BinlogPosition> ackedPosition(long serverId) {
        return Optional.ofNullable(acked.get(serverId));
    }

    /** A downstream replica's ACK: it has everything up to {@code position} of {@code file}. For the server's listener. */
    public void downstreamAcked(long serverId, String file, long position) {
        BinlogPosition p = new BinlogPosition(file, position);
        acked.merge(serverId, p, (a, b) -> a.compareTo(b) >= 0 ? a : b);
        metrics.downstreamAcks.increment();
        Runnable w = wake;
        if (w != null) {
            w.run();
        }
    }

    // ------------------------------------------------------------------ for DumpSession, on its event loop

    /** How many downstream replicas have acknowledged {@code p} or later. */
    boolean covered(BinlogPosition p) {
        int n = 0;
        for (BinlogPosition a : acked.values()) {
            if (a.compareTo(p) >= 0 && ++n >= waitForReplicas) {
                return true;
            }
        }
        return false;
    }

    long timeoutNanos() {
        return timeout.toNanos();
    }

    void attach(Runnable wakeUp) {
        wake = wakeUp;
    }

    void detach(Runnable wakeUp) {
        if (wake == wakeUp) {
            wake = null;
        }
    }

    void waited(long nanos) {
        metrics.waits.increment();
        metrics.waitTime.record(nanos, TimeUnit.NANOSECONDS);
    }

    void timedOut(BinlogPosition p, long waitedNanos) {
        metrics.timeouts.increment();
        if (on) {
            on = false;
            log.warn("chained semi-sync: no ack from {} downstream replica(s) for {} within {} ms; acknowledging the "
                            + "master anyway and switching the chain off until they catch up", waitForReplicas, p,
                    TimeUnit.NANOSECONDS.toMillis(waitedNanos));
        }
    }

    void switchOn(BinlogPosition p) {
        if (!on) {
            on = true;
            log.info("chained semi-sync back on: {} downstream replica(s) acknowledged {}", waitForReplicas, p);
        }
    }
}
