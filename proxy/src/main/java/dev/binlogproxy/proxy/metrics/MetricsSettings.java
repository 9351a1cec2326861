package dev.binlogproxy.proxy.metrics;

/** Where the Prometheus endpoint listens; port 0: no endpoint. */
public record MetricsSettings(String host, int port) {
    public boolean enabled() {
        return port > 0;
    }
}
