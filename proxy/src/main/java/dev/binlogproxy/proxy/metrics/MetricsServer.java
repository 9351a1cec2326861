package dev.binlogproxy.proxy.metrics;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.util.HashMap;
import java.util.Map;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * Serves /metrics in the Prometheus text format, and the admin routes the application adds (status, failover,
 * switchover). The JDK's built-in HTTP server is enough for a scrape every few seconds and an operator's command,
 * and keeps a web framework out of the proxy. It listens on {@code metrics.host}, loopback by default: the admin
 * routes change the topology, so expose the port only where operators are.
 */
public final class MetricsServer implements AutoCloseable {
    private final HttpServer http;

    private MetricsServer(HttpServer http) {
        this.http = http;
    }

    public static MetricsServer start(String host, int port, PrometheusMeterRegistry registry) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(host, port), 16);
        http.createContext("/metrics", exchange -> {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        // a few threads: a failover run through the admin endpoints takes seconds and must not stall a scrape
        http.setExecutor(Executors.newFixedThreadPool(3, r -> {
            Thread t = new Thread(r, "metrics-http");
            t.setDaemon(true);
            return t;
        }));
        http.start();
        return new MetricsServer(http);
    }

    /** A text reply: status code and body. */
    public record Reply(int status, String body) {
    }

    /** Answers one admin request: the method, and the query parameters (last value wins). */
    @FunctionalInterface
    public interface Route {
        Reply handle(String method, Map<String, String> query) throws Exception;
    }

    /** Serves {@code path} with {@code route} (text/plain), next to /metrics. */
    public void route(String path, Route route) {
        http.createContext(path, exchange -> {
            Reply reply;
            try {
                reply = route.handle(exchange.getRequestMethod(), query(exchange.getRequestURI().getRawQuery()));
            } catch (Exception e) {
                reply = new Reply(500, e.toString() + "\n");
            }
            byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
            out.put(k, eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    public int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
