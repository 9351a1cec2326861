package dev.binlogproxy.bench.serve;

import java.util.Arrays;
import java.util.Locale;

/** A growable array of nanosecond samples with exact percentiles (sorted on demand; the sets are small). */
final class Latencies {
    private long[] values = new long[1024];
    private int size;

    synchronized void add(long nanos) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = nanos;
    }

    synchronized void addAll(Latencies other) {
        long[] o;
        int n;
        synchronized (other) {
            o = other.values;
            n = other.size;
        }
        for (int i = 0; i < n; i++) {
            add(o[i]);
        }
    }

    /** The samples so far, in nanoseconds, in the order taken. */
    synchronized long[] snapshot() {
        return Arrays.copyOf(values, size);
    }

    synchronized int size() {
        return size;
    }

    /** The q-quantile (0..1) in microseconds, nearest rank. */
    synchronized double micros(double q) {
        if (size == 0) {
            return Double.NaN;
        }
        long[] s = Arrays.copyOf(values, size);
        Arrays.sort(s);
        int rank = (int) Math.ceil(q * size) - 1;
        return s[Math.max(0, Math.min(size - 1, rank))] / 1e3;
    }

    String summary() {
        return String.format(Locale.ROOT, "n=%d p50=%.0f us p99=%.0f us max=%.0f us", size(), micros(0.5),
                micros(0.99), micros(1.0));
    }
}
