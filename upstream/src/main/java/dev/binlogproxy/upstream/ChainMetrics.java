package dev.binlogproxy.upstream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.function.BooleanSupplier;

/** Chained semi-sync's meters, named binlog_proxy_semisync_chain_*. */
final class ChainMetrics {
    final Counter waits;
    final Counter timeouts;
    final Counter downstreamAcks;
    final Timer waitTime;

    ChainMetrics(MeterRegistry registry, BooleanSupplier on) {
        waits = Counter.builder("binlog_proxy_semisync_chain_waits")
                .description("upstream acks that waited for downstream replicas").register(registry);
        timeouts = Counter.builder("binlog_proxy_semisync_chain_timeouts")
                .description("chained waits that timed out: acked upstream anyway and the chain switched off")
                .register(registry);
        downstreamAcks = Counter.builder("binlog_proxy_semisync_chain_downstream_acks")
                .description("downstream semi-sync acks seen by the chain").register(registry);
        waitTime = Timer.builder("binlog_proxy_semisync_chain_wait")
                .description("from the archive having a transaction durable to its upstream ack, while chained")
                .publishPercentiles(0.5, 0.99).register(registry);
        // strongly referenced: the supplier is a lambda nothing else holds, and a weakly held one is collected at
        // the first GC, after which the gauge reads NaN
        Gauge.builder("binlog_proxy_semisync_chain_on", on, o -> o.getAsBoolean() ? 1 : 0)
                .description("1 while upstream acks wait for downstream replicas, 0 after a timeout until they catch up")
                .strongReference(true).register(registry);
    }
}
