package dev.binlogproxy.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoublePredicate;

/** The rows of the side-by-side table, from the recorded results; each benchmark's rows only if it ran. */
final class Table {
    /** The benchmarks run-all runs, and the script that runs each alone. */
    static final Map<String, String> BENCHES = new java.util.LinkedHashMap<>();

    static {
        BENCHES.put("semisync", "bench/run-semisync.sh");
        BENCHES.put("backlog", "bench/run-backlog.sh");
        BENCHES.put("fanout", "bench/run-serve.sh fanout");
        BENCHES.put("relay", "bench/run-serve.sh relay");
        BENCHES.put("tail", "bench/run-serve.sh tail");
        BENCHES.put("scale", "bench/run-scale.sh");
        BENCHES.put("failover", "bench/run-failover.sh");
    }

    private Table() {
    }

    static List<Row> rows(Results r) {
        List<Row> rows = new ArrayList<>();
        if (r.ran("semisync")) {
            rows.add(ratio("semi-sync ack wait, durability fsync", r.get("semisync", "proxy_durability_fsync_us"),
                    "MariaDB replica, sync_relay_log=1", r.get("semisync", "mariadb_replica_sync_relay_log_1_us"), " us",
                    "<= 0.25", "semisync_fsync", v -> v <= 0.25));
            rows.add(ratio("semi-sync ack wait, durability write", r.get("semisync", "proxy_durability_write_us"),
                    "MariaDB replica, default", r.get("semisync", "mariadb_replica_default_us"), " us", "<= 0.35",
                    "semisync_write", v -> v <= 0.35));
        }
        if (r.ran("backlog")) {
            String size = String.format(Locale.ROOT, "%.0f MB", r.get("backlog", "backlog_mb"));
            rows.add(ratio("backlog mirror (" + size + "), durability write", r.get("backlog",
                            "proxy_durability_write_mb_s"), "mariadb-binlog -R --raw",
                    r.get("backlog", "mariadb_binlog_raw_mb_s"), " MB/s", ">= 1.0", "backlog_write", v -> v >= 1.0));
            rows.add(ratio("backlog mirror (" + size + "), durability fsync", r.get("backlog",
                            "proxy_durability_fsync_mb_s"), "mariadb-binlog -R --raw, then fsync",
                    r.get("backlog", "mariadb_binlog_raw_then_fsync_mb_s"), " MB/s", ">= 1.0", "backlog_fsync",
                    v -> v >= 1.0));
        }
        if (r.ran("fanout")) {
            rows.add(ratio(String.format(Locale.ROOT, "fan-out, %.0f x mariadb-binlog -R, %.0f MB",
                            r.get("fanout", "clients"), r.get("fanout", "backlog_mb")), r.get("fanout", "proxy_mb_s"),
                    "the master itself", r.get("fanout", "master_mb_s"), " MB/s", ">= 1.2", "fanout", v -> v >= 1.2));
        }
        if (r.ran("relay")) {
            // what each intermediate adds above a leaf on the master itself (issue 12's measure)
            rows.add(ratio("relay hop above a leaf on the master, p50", r.get("relay", "proxy_hop_p50_us"),
                    "MariaDB intermediate's hop", r.get("relay", "mariadb_hop_p50_us"), " us", "<= 0.3",
                    "relay_hop_p50", v -> v <= 0.3));
            rows.add(ratio("relay hop above a leaf on the master, p99", r.get("relay", "proxy_hop_p99_us"),
                    "MariaDB intermediate's hop", r.get("relay", "mariadb_hop_p99_us"), " us", "<= 0.3",
                    "relay_hop_p99", v -> v <= 0.3));
        }
        if (r.ran("tail")) {
            String n = String.format(Locale.ROOT, "%.0f", r.get("tail", "sessions"));
            rows.add(ratio("tail, " + n + " sessions, commit -> row event p99", r.get("tail", "proxy_p99_us"),
                    "the master itself", r.get("tail", "master_p99_us"), " us", "reported", "tail_p99", v -> true));
            double rss = r.get("tail", "proxy_rss_mb");
            rows.add(new Row("tail, " + n + " sessions, RSS", fmt(rss, " MB"), "mysqld " + fmt(r.get("tail",
                    "master_rss_mb"), " MB"), rss / r.get("tail", "master_rss_mb"), "proxy <= 300 MB", "tail_rss",
                    rss <= 300));
        }
        if (r.ran("scale")) {
            rows.add(ratio("scale, 1,000 tailing sessions, commit -> row event p99", r.get("scale",
                            "proxy_1000_p99_us"), "the proxy with 10 sessions", r.get("scale", "proxy_10_p99_us"),
                    " us", "<= 2.0", "scale_p99", v -> v <= 2.0));
            double rss = r.get("scale", "proxy_1000_rss_mb");
            double mysqld = r.get("scale", "master_1000_rss_mb");
            rows.add(new Row("scale, 1,000 tailing sessions, RSS", fmt(rss, " MB"), "mysqld serving 1,000: "
                    + fmt(mysqld, " MB"), rss / mysqld, "proxy <= 400 MB", "scale_rss", rss <= 400));
        }
        if (r.ran("failover")) {
            double ms = r.get("failover", "total_median_ms");
            rows.add(new Row(String.format(Locale.ROOT, "failover, kill -9 to the first new-master transaction on a"
                            + " leaf (median of %.0f)", r.get("failover", "rounds")), fmt(ms, " ms"),
                    "none in the same run; published: Orchestrator 10-13 s, MHA < 30 s", Double.NaN, "<= 3000 ms",
                    null, ms <= 3000));
        }
        return rows;
    }

    static List<String> missing(Results r) {
        List<String> out = new ArrayList<>();
        BENCHES.forEach((bench, script) -> {
            if (!r.ran(bench)) {
                out.add(bench + " (" + script + ")");
            }
        });
        return out;
    }

    private static Row ratio(String what, double proxy, String anchorName, double anchor, String unit, String target,
                             String key, DoublePredicate meets) {
        // throughput: higher is better, the ratio is proxy / anchor either way (a speed ratio for MB/s)
        double ratio = proxy / anchor;
        return new Row(what, fmt(proxy, unit), anchorName + ": " + fmt(anchor, unit), ratio, target, key,
                Double.isFinite(ratio) && meets.test(ratio));
    }

    static String fmt(double v, String unit) {
        if (!Double.isFinite(v)) {
            return "-";
        }
        return String.format(Locale.ROOT, v >= 100 ? "%,.0f%s" : "%.1f%s", v, unit);
    }

    static String markdown(List<Row> rows) {
        StringBuilder sb = new StringBuilder("| benchmark | proxy | anchor (same run) | ratio | target |\n"
                + "|---|---|---|---|---|\n");
        for (Row row : rows) {
            boolean hasRatio = Double.isFinite(row.ratio());
            String ratio = hasRatio ? String.format(Locale.ROOT, "%.2f", row.ratio()) : "-";
            boolean judged = !row.target().equals("reported");
            if (row.met() && judged && hasRatio) {
                ratio = "**" + ratio + "**";
            }
            String target = row.target();
            if (judged) {
                target += row.met() ? " (met)" : " (not met)";
            }
            sb.append("| ").append(row.benchmark()).append(" | ").append(row.proxy()).append(" | ")
                    .append(row.anchor()).append(" | ").append(ratio).append(" | ").append(target).append(" |\n");
        }
        return sb.toString();
    }

    /** What each line measured, for the report's reader. */
    static String notes(Results r) {
        StringBuilder sb = new StringBuilder("What each line is (bench/README.md has the details):\n\n");
        if (r.ran("semisync")) {
            sb.append(String.format(Locale.ROOT, "- semi-sync: %.0f single-row commits per configuration on a MariaDB"
                    + " master, its own Rpl_semi_sync_master_tx_wait_time / tx_waits; the proxy or a real replica is"
                    + " its only semi-sync replica.%n", r.get("semisync", "commits")));
        }
        if (r.ran("backlog")) {
            sb.append(String.format(Locale.ROOT, "- backlog: %.0f files copied from the master, best round; the"
                    + " proxy mirrors (and validates) into its archive, mariadb-binlog copies raw.%n",
                    r.get("backlog", "files")));
        }
        if (r.ran("fanout")) {
            sb.append("- fan-out: the clients read the whole backlog at once, aggregate MB/s, best round.\n");
        }
        if (r.ran("relay")) {
            sb.append(String.format(Locale.ROOT, "- relay: the latency an intermediate adds, from the master's send"
                    + " (a binlog reader on the master) to a leaf's MASTER_GTID_WAIT, above a leaf on the master itself"
                    + " (p99 %s commit to leaf); proxy and MariaDB intermediate in interleaved blocks.%n",
                    fmt(r.get("relay", "direct_p99_us"), " us")));
        }
        if (r.ran("tail")) {
            sb.append(String.format(Locale.ROOT, "- tail: mysql-binlog-connector-java sessions tailing; the proxy's"
                    + " RSS was %s idle.%n", fmt(r.get("tail", "proxy_rss_idle_mb"), " MB")));
        }
        if (r.ran("scale")) {
            sb.append(String.format(Locale.ROOT, "- scale: 10 and 1,000 (and 100 at full size) replicas dumping from a"
                    + " fresh launched proxy that acknowledges every commit, commits 20-26 ms apart; the proxy used"
                    + " %s CPU s per 1,000 commits with 1,000 sessions (%s with 10); the master serving 1,000 itself"
                    + " had p99 %s.%n", fmt(r.get("scale", "proxy_1000_cpu_s_per_1000_commits"), ""),
                    fmt(r.get("scale", "proxy_10_cpu_s_per_1000_commits"), ""),
                    fmt(r.get("scale", "master_1000_p99_us"), " us")));
        }
        if (r.ran("failover")) {
            sb.append(String.format(Locale.ROOT, "- failover: MariaDB master killed -9 under load, detectTimeout 1 s;"
                    + " median detection %s, promotion %s; acknowledged commits lost: %.0f.%n",
                    fmt(r.get("failover", "detect_median_ms"), " ms"), fmt(r.get("failover", "promote_median_ms"),
                            " ms"), r.get("failover", "lost")));
        }
        return sb.toString();
    }
}
