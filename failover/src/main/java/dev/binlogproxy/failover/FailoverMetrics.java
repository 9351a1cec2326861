package dev.binlogproxy.failover;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/** Failover's meters, named binlog_proxy_failover_*. */
final class FailoverMetrics {
    private final MeterRegistry registry;
    private final Counter probeFailures;
    private final AtomicLong lastDurationMillis = new AtomicLong(-1);
    private final AtomicLong errant = new AtomicLong();
    private final AtomicLong extraBytes = new AtomicLong();
    /** Held here: a gauge holds its state object weakly, and a lambda nobody else holds would be collected. */
    private IntSupplier state;

    FailoverMetrics(MeterRegistry registry) {
        this.registry = registry;
        probeFailures = Counter.builder("binlog_proxy_failover_probe_failures")
                .description("SQL probes of the master that failed").register(registry);
        Gauge.builder("binlog_proxy_failover_last_duration", lastDurationMillis, v -> v.get() / 1000.0)
                .baseUnit("seconds").description("how long the last failover or switchover took; -1 before any")
                .register(registry);
        Gauge.builder("binlog_proxy_failover_old_master_errant_transactions", errant, AtomicLong::get)
                .description("transactions a returned old master has that the archive does not").register(registry);
        Gauge.builder("binlog_proxy_failover_old_master_extra_bytes", extraBytes, AtomicLong::get).baseUnit("bytes")
                .description("binlog bytes a returned old master has past the archive's end; -1 unknown")
                .register(registry);
        for (FailoverReport.Outcome o : FailoverReport.Outcome.values()) {
            Counter.builder("binlog_proxy_failovers").tag("outcome", o.name().toLowerCase(java.util.Locale.ROOT))
                    .description("failovers and switchovers, by how they ended").register(registry);
        }
    }

    /** The controller's state as a number (Failover.State ordinal: 0 off, 1 watching, 2 suspect, 3 dead, 4 promoting). */
    void state(IntSupplier supplier) {
        this.state = supplier;
        Gauge.builder("binlog_proxy_failover_state", this, m -> m.state.getAsInt())
                .description("0 off, 1 watching, 2 master suspect, 3 master dead (manual), 4 promoting")
                .register(registry);
    }

    void probeFailed() {
        probeFailures.increment();
    }

    void finished(FailoverReport r) {
        registry.counter("binlog_proxy_failovers", "outcome", r.outcome().name().toLowerCase(java.util.Locale.ROOT))
                .increment();
        lastDurationMillis.set(r.took().toMillis());
    }

    void oldMaster(long errantTransactions, long bytes) {
        errant.set(errantTransactions);
        extraBytes.set(bytes);
    }
}
