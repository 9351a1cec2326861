package dev.binlogproxy.proxy.metrics;

import dev.binlogproxy.upstream.MirrorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import dev.binlogproxy.upstream.MirrorMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsServerTest {
    @Test
    void prometheusEndpointServesTheMirrorsMeters() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MirrorMetrics m = new MirrorMetrics(registry);
        m.event(100);
        m.event(300);
        m.transaction(0);
        m.ack(250_000);
        m.archiveSize(() -> 4096);
        try (MetricsServer server = MetricsServer.start("127.0.0.1", 0, registry)) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            String body = r.body();
            assertTrue(body.contains("binlog_proxy_upstream_events_total 2.0"), body);
            assertTrue(body.contains("binlog_proxy_upstream_bytes_total 400.0"), body);
            assertTrue(body.contains("binlog_proxy_upstream_transactions_total 1.0"), body);
            assertTrue(body.contains("binlog_proxy_archive_size_bytes 4096.0"), body);
            assertTrue(body.contains("binlog_proxy_semisync_ack_latency_seconds_count 1"), body);
        }
    }
}
