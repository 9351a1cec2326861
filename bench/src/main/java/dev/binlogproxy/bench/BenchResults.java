package dev.binlogproxy.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * The machine-readable side of the system benchmarks: each main writes its numbers here as well as its text
 * summary, so {@code bench/run-all.sh} builds its table and plots without parsing prose. One file per benchmark,
 * {@code DIR/NAME.tsv}, a "key TAB value" line per number (a key written again wins); latency samples, one value
 * in microseconds per line, in {@code DIR/NAME-SERIES.samples}. DIR is {@code -Dbench.results}, by default
 * {@code bench/target/results}.
 */
public final class BenchResults {
    private BenchResults() {
    }

    static Path dir() {
        return Path.of(System.getProperty("bench.results", "bench/target/results"));
    }

    /** Records one number of benchmark {@code bench}. */
    public static void put(String bench, String key, double value) {
        try {
            Files.createDirectories(dir());
            Files.writeString(dir().resolve(bench + ".tsv"), key + "\t" + String.format(Locale.ROOT, "%.6g", value)
                    + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Records a latency distribution of benchmark {@code bench}: nanosecond samples, written as microseconds. */
    public static void samples(String bench, String series, long[] nanos) {
        StringBuilder sb = new StringBuilder(nanos.length * 8);
        for (long n : nanos) {
            sb.append(String.format(Locale.ROOT, "%.1f%n", n / 1e3));
        }
        try {
            Files.createDirectories(dir());
            Files.writeString(dir().resolve(bench + "-" + series + ".samples"), sb);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
