package dev.binlogproxy.downstream.dump;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The dump senders' meters (all dumps together), named binlog_proxy_downstream_*; built once per server. */
public final class DumpMetrics {
    final Counter eventsSent;
    final Counter bytesSent;
    final Counter regionBytes;
    final Counter mappedBytes;
    final Counter inPlaceBytes;
    final Counter heartbeats;
    final Counter sharedEvents;

    public DumpMetrics(MeterRegistry registry) {
        eventsSent = Counter.builder("binlog_proxy_downstream_events").description("event packets sent to replicas")
                .register(registry);
        bytesSent = Counter.builder("binlog_proxy_downstream_bytes").baseUnit("bytes")
                .description("event bytes sent to replicas").register(registry);
        regionBytes = Counter.builder("binlog_proxy_downstream_zero_copy_bytes").baseUnit("bytes")
                .description("event bytes sent to replicas straight from the files (no copy)").register(registry);
        mappedBytes = Counter.builder("binlog_proxy_downstream_mapped_bytes").baseUnit("bytes")
                .description("event bytes sent to replicas read from file mappings (readers far behind)")
                .register(registry);
        inPlaceBytes = Counter.builder("binlog_proxy_downstream_in_place_bytes").baseUnit("bytes")
                .description("the part of the mapped bytes written to the socket from the mapping itself (events "
                        + "of 16 KiB and more; smaller ones are copied into the batch)").register(registry);
        heartbeats = Counter.builder("binlog_proxy_downstream_heartbeats").description("heartbeats sent to replicas")
                .register(registry);
        sharedEvents = Counter.builder("binlog_proxy_downstream_shared_events")
                .description("event packets sent as another dump read and framed them (dumps at the same place)")
                .register(registry);
    }
}
