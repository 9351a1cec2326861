package dev.binlogproxy.upstream;

import java.util.Locale;

/**
 * How fast a backlog is being copied and how long the rest will take, from the mirror's progress samples (about
 * one a second): what the "catching up" line adds, so an operator watching a long catch-up sees a rate and an
 * ETA instead of a shrinking number. The rate is smoothed (a moving average over roughly the last 10 samples): one
 * large event, or an fsync that stalls, should not swing the ETA from second to second.
 */
public final class CatchUpRate {
    private static final double SMOOTHING = 0.2;
    private long lastNanos;
    private long lastDone = -1;
    private double bytesPerSecond;

    /**
     * Takes a sample: {@code done} bytes of the master's binlogs copied so far, {@code toGo} left (as of connect).
     *
     * @return ", 95.3 MB/s, about 8 s left", or "" until two samples give a rate
     */
    synchronized String sample(long done, long toGo, long nowNanos) {
        if (lastDone < 0 || done < lastDone || nowNanos <= lastNanos) {
            // first sample, or a new session restarted the count
            lastDone = done;
            lastNanos = nowNanos;
            bytesPerSecond = 0;
            return "";
        }
        double rate = (done - lastDone) * 1e9 / (nowNanos - lastNanos);
        bytesPerSecond = bytesPerSecond == 0 ? rate : bytesPerSecond + SMOOTHING * (rate - bytesPerSecond);
        lastDone = done;
        lastNanos = nowNanos;
        if (bytesPerSecond < 1) {
            return String.format(Locale.ROOT, ", %.1f MB/s", 0.0);
        }
        return String.format(Locale.ROOT, ", %.1f MB/s, about %s left", bytesPerSecond / 1e6,
                duration(Math.round(toGo / bytesPerSecond)));
    }

    /** Created by the mirror; public only for {@link #duration}. */
    CatchUpRate() {
    }

    /** Time left as the progress lines say it (catch-up here, the CLI's export): "59 s", "2 min 05 s", "3 h 20 min". */
    public static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + " s";
        }
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%d min %02d s", seconds / 60, seconds % 60);
        }
        return String.format(Locale.ROOT, "%d h %02d min", seconds / 3600, seconds % 3600 / 60);
    }
}
