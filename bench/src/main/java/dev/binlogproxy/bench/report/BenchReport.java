package dev.binlogproxy.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns what the system benchmarks recorded (BenchResults: bench/target/results) into the table bench/run-all.sh
 * prints, with each ratio against the anchor measured in the same run, and a report directory: summary.md (the
 * table, the conditions, the plots) and PNG plots (latency distributions, ack waits, the ratios over the runs
 * recorded in the history file).
 *
 * <p>Usage: {@code BenchReport RESULTS_DIR REPORT_DIR HISTORY_FILE LABEL}. A benchmark that did not run (or
 * failed) leaves its rows out and says so; the table is built from whatever is there.
 */
public final class BenchReport {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
            .withZone(ZoneOffset.UTC);

    private BenchReport() {
    }

    public static void main(String[] args) throws Exception {
        Path results = Path.of(args[0]);
        Path report = Path.of(args[1]);
        Path history = Path.of(args[2]);
        String label = args.length > 3 ? args[3] : "";
        Files.createDirectories(report);
        Results r = Results.read(results);
        List<Row> rows = Table.rows(r);
        List<String> missing = Table.missing(r);
        String table = Table.markdown(rows);
        String when = STAMP.format(Instant.now());
        appendHistory(history, when, label, rows);
        List<String> plots = Charts.write(r, History.read(history), report);
        String summary = summary(when, label, table, missing, plots, r);
        Files.writeString(report.resolve("summary.md"), summary, StandardCharsets.UTF_8);
        System.out.println();
        System.out.println(table);
        missing.forEach(m -> System.out.println("not run: " + m));
        System.out.println("report: " + report.resolve("summary.md") + " (" + plots.size() + " plots)");
    }

    private static String summary(String when, String label, String table, List<String> missing, List<String> plots,
                                  Results r) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Benchmarks, side by side\n\n");
        sb.append(String.format(Locale.ROOT, "%s, %s, %s. Each ratio is the proxy against an anchor measured in the"
                + " same run on the same machine (a real MariaDB 10.11 doing the same job); **bold** ratios meet their"
                + " target.%n%n", when, label.isEmpty() ? "full run" : label, Conditions.describe()));
        sb.append(table).append('\n');
        for (String m : missing) {
            sb.append("- not run: ").append(m).append('\n');
        }
        sb.append('\n');
        sb.append(Table.notes(r));
        for (String p : plots) {
            sb.append("\n![").append(p).append("](").append(p).append(")\n");
        }
        return sb.toString();
    }

    /** One line per run: when, label, then every ratio by key; the plot of ratios over runs reads it back. */
    private static void appendHistory(Path history, String when, String label, List<Row> rows) throws IOException {
        Map<String, Double> ratios = new LinkedHashMap<>();
        for (Row row : rows) {
            if (row.ratioKey() != null && Double.isFinite(row.ratio())) {
                ratios.put(row.ratioKey(), row.ratio());
            }
        }
        if (ratios.isEmpty()) {
            return;
        }
        List<String> fields = new ArrayList<>(List.of(when, label.isEmpty() ? "full" : label));
        ratios.forEach((k, v) -> fields.add(k + "=" + String.format(Locale.ROOT, "%.3f", v)));
        if (history.toAbsolutePath().getParent() != null) {
            Files.createDirectories(history.toAbsolutePath().getParent());
        }
        Files.writeString(history, String.join("\t", fields) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
