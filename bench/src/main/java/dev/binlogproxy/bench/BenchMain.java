package dev.binlogproxy.bench;

import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs JMH with its usual command line (same options as org.openjdk.jmh.Main), then prints each benchmark next to
 * its anchor from the same run: events/s, MB/s and the ratios the raw JMH table leaves to the reader.
 * {@code -Dbench.summary=<file>} also writes that summary to a file.
 */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) throws IOException, RunnerException {
        CommandLineOptions options;
        try {
            options = new CommandLineOptions(args);
        } catch (CommandLineOptionException e) {
            System.err.println("Error parsing command line: " + e.getMessage());
            System.exit(1);
            return;
        }
        if (options.shouldHelp() || options.shouldList() || options.shouldListWithParams()
                || options.shouldListProfilers() || options.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(args);
            return;
        }
        Collection<RunResult> results = new Runner(options).run();
        String summary = summarize(results);
        System.out.println();
        System.out.print(summary);
        String file = System.getProperty("bench.summary");
        if (file != null && !file.isBlank()) {
            Files.writeString(Path.of(file), summary, StandardCharsets.UTF_8);
        }
    }

    /** Results of one benchmark class with one set of @Param values, by method name. */
    private record Group(String benchmarkClass, Map<String, String> params, Map<String, RunResult> byMethod) {
        Result<?> primary(String method) {
            RunResult r = byMethod.get(method);
            return r == null ? null : r.getPrimaryResult();
        }

        Result<?> secondary(String method, String counter) {
            RunResult r = byMethod.get(method);
            return r == null ? null : r.getSecondaryResults().get(counter);
        }
    }

    static String summarize(Collection<RunResult> results) {
        // Run order, which is @Param declaration order (64, 1024, 65536), not string order.
        Map<String, Group> groups = new LinkedHashMap<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            int dot = name.lastIndexOf('.');
            String cls = name.substring(name.lastIndexOf('.', dot - 1) + 1, dot);
            Map<String, String> params = new TreeMap<>();
            for (String key : r.getParams().getParamsKeys()) {
                params.put(key, r.getParams().getParam(key));
            }
            groups.computeIfAbsent(cls + params, k -> new Group(cls, params, new TreeMap<>()))
                    .byMethod().put(name.substring(dot + 1), r);
        }
        StringBuilder out = new StringBuilder("== Summary (anchors from the same run) ==\n");
        List<String> decode = new ArrayList<>();
        List<String> checksum = new ArrayList<>();
        List<String> scan = new ArrayList<>();
        List<String> zeroCopy = new ArrayList<>();
        List<String> append = new ArrayList<>();
        for (Group g : groups.values()) {
            switch (g.benchmarkClass()) {
                case "EventDecodeBenchmark" -> decode.add(decodeRow(g));
                case "ChecksumBenchmark" -> checksum.add(checksumRow(g));
                case "FileScanBenchmark" -> scan.add(scanRow(g));
                case "ZeroCopyDumpBenchmark" -> zeroCopy.add(zeroCopyRow(g));
                case "ArchiveAppendBenchmark" -> append.add(appendRow(g));
                default -> { }
            }
        }
        if (!decode.isEmpty()) {
            out.append("\nEventDecodeBenchmark: events/s over mysql-bin.000001 (wrap + header accessors,"
                    + " then + TransactionTracker.accept)\n");
            out.append(String.format(Locale.ROOT, "  %-26s %22s %22s %16s%n", "scenario", "headersOnly",
                    "headersAndTracker", "tracker/headers"));
            decode.forEach(out::append);
        }
        if (!checksum.isEmpty()) {
            out.append("\nChecksumBenchmark: ns per event (GB/s); wrapper/plain = time ratio, 1.00 = no"
                    + " overhead\n");
            out.append(String.format(Locale.ROOT, "  %-6s %28s %28s %28s %14s %14s%n", "size", "plainCrc32",
                    "eventChecksumMatches", "wrapThenMatches", "matches/plain", "wrap+m/plain"));
            checksum.forEach(out::append);
        }
        if (!scan.isEmpty()) {
            out.append("\nFileScanBenchmark: MB/s (10^6 bytes) over the synthetic file, page cache warm\n");
            out.append(String.format(Locale.ROOT, "  %-26s %-11s %18s %18s %10s %16s%n", "scenario", "mix",
                    "rawFileChannelRead", "summaryScan", "scan/raw", "scan events/s"));
            scan.forEach(out::append);
        }
        if (!zeroCopy.isEmpty()) {
            out.append("\nZeroCopyDumpBenchmark: MB/s (10^6 bytes) of events sent over loopback TCP\n");
            out.append(String.format(Locale.ROOT, "  %-8s %18s %18s %14s%n", "size", "copyThenWrite", "fileRegion",
                    "region/copy"));
            zeroCopy.forEach(out::append);
        }
        if (!append.isEmpty()) {
            out.append("\nArchiveAppendBenchmark: MB/s (10^6 bytes) writing the synthetic file, fresh file each time\n");
            out.append(String.format(Locale.ROOT, "  %-26s %-11s %-6s %18s %18s %18s %18s %10s %10s %10s%n",
                    "scenario", "mix", "mode", "rawFileChannelWrite", "checkedWrite", "archiveAppend",
                    "archiveAppendHeld", "chk/raw", "append/raw", "held/raw"));
            append.forEach(out::append);
        }
        return out.toString();
    }

    private static String zeroCopyRow(Group g) {
        Result<?> copy = g.secondary("copyThenWrite", "bytes");
        Result<?> region = g.secondary("fileRegion", "bytes");
        return String.format(Locale.ROOT, "  %-8s %18s %18s %14s%n", g.params().get("size"),
                withError(copy, 1e-6, ""), withError(region, 1e-6, ""), ratio(region, copy));
    }

    private static String appendRow(Group g) {
        Result<?> raw = g.secondary("rawFileChannelWrite", "bytes");
        Result<?> append = g.secondary("archiveAppend", "bytes");
        Result<?> held = g.secondary("archiveAppendHeld", "bytes");
        Result<?> checked = g.secondary("checkedWrite", "bytes");
        return String.format(Locale.ROOT, "  %-26s %-11s %-6s %18s %18s %18s %18s %10s %10s %10s%n",
                g.params().get("scenario"), g.params().get("mix"), g.params().get("durability"),
                withError(raw, 1e-6, ""), withError(checked, 1e-6, ""), withError(append, 1e-6, ""),
                withError(held, 1e-6, ""), ratio(checked, raw), ratio(append, raw), ratio(held, raw));
    }

    private static String decodeRow(Group g) {
        Result<?> headers = g.secondary("headersOnly", "events");
        Result<?> tracker = g.secondary("headersAndTracker", "events");
        return String.format(Locale.ROOT, "  %-26s %22s %22s %16s%n", g.params().get("scenario"),
                withError(headers, 1e-6, " M/s"), withError(tracker, 1e-6, " M/s"), ratio(tracker, headers));
    }

    private static String checksumRow(Group g) {
        int size = Integer.parseInt(g.params().get("size"));
        Result<?> plain = g.primary("plainCrc32");
        Result<?> matches = g.primary("eventChecksumMatches");
        Result<?> wrap = g.primary("wrapThenMatches");
        return String.format(Locale.ROOT, "  %-6d %28s %28s %28s %14s %14s%n", size, nanos(plain, size),
                nanos(matches, size), nanos(wrap, size), ratio(matches, plain), ratio(wrap, plain));
    }

    private static String scanRow(Group g) {
        Result<?> raw = g.secondary("rawFileChannelRead", "bytes");
        Result<?> scan = g.secondary("summaryScan", "bytes");
        Result<?> events = g.secondary("summaryScan", "events");
        return String.format(Locale.ROOT, "  %-26s %-11s %18s %18s %10s %16s%n", g.params().get("scenario"),
                g.params().get("mix"), withError(raw, 1e-6, ""), withError(scan, 1e-6, ""), ratio(scan, raw),
                withError(events, 1e-6, " M/s"));
    }

    private static String withError(Result<?> r, double scale, String unit) {
        if (r == null || Double.isNaN(r.getScore())) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.1f%s%s", r.getScore() * scale, unit, percentError(r));
    }

    /** JMH's 99.9% confidence half-width as a share of the score; empty with a single iteration. */
    private static String percentError(Result<?> r) {
        return Double.isNaN(r.getScoreError()) || r.getScore() == 0 ? ""
                : String.format(Locale.ROOT, " ±%.0f%%", 100 * r.getScoreError() / r.getScore());
    }

    private static String nanos(Result<?> r, int size) {
        if (r == null) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.1f%s (%.2f GB/s)", r.getScore(), percentError(r),
                size / r.getScore());
    }

    private static String ratio(Result<?> numerator, Result<?> denominator) {
        if (numerator == null || denominator == null || denominator.getScore() == 0) {
            return "-";
        }
        double ratio = numerator.getScore() / denominator.getScore();
        return String.format(Locale.ROOT, ratio < 0.1 ? "%.3f" : "%.2f", ratio);
    }
}
