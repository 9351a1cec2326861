package dev.binlogproxy.proxy.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Talks to a running proxy's admin routes (on its metrics port): what status, failover and switchover send.
 * Prints the proxy's answer; exit 0 when it says done (2xx), 1 otherwise, 3 when the proxy cannot be reached.
 */
final class AdminClient {
    static final String DEFAULT_URL = "http://127.0.0.1:9104";

    private AdminClient() {
    }

    static int call(String base, String method, String path, Map<String, String> query) {
        StringJoiner q = new StringJoiner("&", "?", "").setEmptyValue("");
        query.forEach((k, v) -> q.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        URI uri = URI.create(base.replaceAll("/+$", "") + path + q);
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        try {
            HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                    .send(req, HttpResponse.BodyHandlers.ofString());
            System.out.print(r.body());
            return r.statusCode() / 100 == 2 ? 0 : 1;
        } catch (IOException e) {
            System.err.println("binlog-proxy: cannot reach the proxy's admin endpoint " + uri + ": " + e
                    + " (is it running, with metrics.port set? give --admin URL)");
            return 3;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 3;
        }
    }
}
