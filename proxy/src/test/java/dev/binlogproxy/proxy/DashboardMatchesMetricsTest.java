package dev.binlogproxy.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.Ports;
import dev.binlogproxy.testkit.ServerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * config/grafana-dashboard.json cannot drift from the code: every metric a panel (or the instance variable)
 * queries is in a live /metrics scrape of a proxy mirroring a real semi-sync master, with the type the query
 * needs (rate/increase only over counters and histogram series, _bucket only of histograms), and every metric the
 * proxy exports follows Prometheus' naming conventions (binlog_proxy_ prefix, snake case, counters and only
 * counters end in _total, base units seconds and bytes as suffixes).
 */
class DashboardMatchesMetricsTest {
    private static final Pattern METRIC = Pattern.compile("binlog_proxy_[a-zA-Z0-9_:]+");
    private static final Pattern RATED = Pattern.compile("(?:rate|irate|increase)\\(\\s*(binlog_proxy_[a-z0-9_]+)");
    private static final Pattern TYPE = Pattern.compile("(?m)^# TYPE (\\S+) (\\S+)$");

    @TempDir
    Path dir;

    @Test
    void everyPanelQueriesMetricsTheProxyExportsUnderConventionalNames() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(Files.readString(dashboardFile()));
        Map<String, List<String>> queries = queries(dashboard);
        assertTrue(queries.size() >= 12, "panels with queries: " + queries.keySet());

        String scrape;
        try (DbServer master = DbServer.start(ServerOptions.mariadb().semiSyncMaster(true).build())) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            int port = Ports.free();
            try (ServeHarness h = ServeHarness.start(master, dir, 9620, true, ServeHarness.settings(true), 0, null,
                    port)) {
                master.execute("CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY)",
                        "INSERT INTO d.t VALUES (1)", "INSERT INTO d.t VALUES (2)");
                h.awaitCaughtUp(java.time.Duration.ofSeconds(30));
                scrape = HealthEndpointsTest.get(port, "/metrics").body();
            }
        }
        Map<String, String> types = new HashMap<>();
        Matcher t = TYPE.matcher(scrape);
        while (t.find()) {
            types.put(t.group(1), t.group(2));
        }
        assertTrue(types.size() > 20, scrape);

        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, List<String>> panel : queries.entrySet()) {
            for (String expr : panel.getValue()) {
                Matcher m = METRIC.matcher(expr);
                boolean any = false;
                while (m.find()) {
                    any = true;
                    String series = m.group();
                    String family = family(series, types);
                    if (family == null) {
                        problems.add(panel.getKey() + ": " + series + " is not in the scrape");
                    } else if (series.endsWith("_bucket") && !types.get(family).equals("histogram")) {
                        problems.add(panel.getKey() + ": " + series + " is not a histogram's bucket");
                    }
                }
                if (!any) {
                    problems.add(panel.getKey() + ": queries no binlog_proxy_ metric: " + expr);
                }
                Matcher r = RATED.matcher(expr);
                while (r.find()) {
                    String family = family(r.group(1), types);
                    if (family != null && types.get(family).equals("gauge")) {
                        problems.add(panel.getKey() + ": rate/increase over the gauge " + r.group(1));
                    }
                }
            }
        }
        for (Map.Entry<String, String> e : types.entrySet()) {
            if (e.getKey().startsWith("binlog_proxy_")) {
                problems.addAll(namingProblems(e.getKey(), e.getValue()));
            }
        }
        assertEquals(List.of(), problems, "the dashboard and the metrics disagree");
    }

    /** Prometheus' conventions, as far as a name can show them. */
    static List<String> namingProblems(String name, String type) {
        List<String> out = new ArrayList<>();
        if (!name.matches("binlog_proxy_[a-z0-9]+(_[a-z0-9]+)*")) {
            out.add(name + ": not snake case under binlog_proxy_");
        }
        if (type.equals("counter") != name.endsWith("_total")) {
            out.add(name + ": a " + type + (type.equals("counter") ? " must" : " must not") + " end in _total");
        }
        if (name.matches(".*_(ms|millis|milliseconds|micros|minutes|hours|kb|mb|gb|kilobytes|megabytes)(_.*)?")) {
            out.add(name + ": not in base units (seconds, bytes)");
        }
        if ((type.equals("histogram") || type.equals("summary")) && !name.matches(".*_(seconds|bytes)$")
                && !name.endsWith("_size")) {
            out.add(name + ": a " + type + " without a unit suffix");
        }
        return out;
    }

    @Test
    void theNamingCheckCanFail() {
        assertEquals(1, namingProblems("binlog_proxy_lag_ms", "gauge").size());
        assertEquals(1, namingProblems("binlog_proxy_acks", "counter").size());
        assertEquals(1, namingProblems("binlog_proxy_sessions_total", "gauge").size());
        assertEquals(1, namingProblems("binlogProxy_sessions", "gauge").size());
        assertEquals(List.of(), namingProblems("binlog_proxy_acks_total", "counter"));
    }

    /** The family a series belongs to (histogram and summary series have suffixes), or null if not scraped. */
    private static String family(String series, Map<String, String> types) {
        if (types.containsKey(series)) {
            return series;
        }
        for (String suffix : new String[] {"_bucket", "_count", "_sum", "_max"}) {
            if (series.endsWith(suffix)) {
                String base = series.substring(0, series.length() - suffix.length());
                if (types.containsKey(base)) {
                    return base;
                }
            }
        }
        return null;
    }

    /** Panel title (or variable name) -> its PromQL expressions. */
    private static Map<String, List<String>> queries(JsonNode dashboard) {
        Map<String, List<String>> out = new java.util.LinkedHashMap<>();
        for (JsonNode p : dashboard.path("panels")) {
            if (p.path("type").asText().equals("row")) {
                continue;
            }
            List<String> exprs = new ArrayList<>();
            for (JsonNode target : p.path("targets")) {
                exprs.add(target.path("expr").asText());
            }
            assertTrue(!exprs.isEmpty(), "panel without a query: " + p.path("title").asText());
            out.put(p.path("title").asText(), exprs);
        }
        for (JsonNode v : dashboard.path("templating").path("list")) {
            out.put("$" + v.path("name").asText(), List.of(v.path("query").path("query").asText()));
        }
        return out;
    }

    static Path dashboardFile() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path f = d.resolve("config/grafana-dashboard.json");
            if (Files.isRegularFile(f)) {
                return f;
            }
        }
        throw new AssertionError("config/grafana-dashboard.json not found above " + Path.of("").toAbsolutePath());
    }

}
