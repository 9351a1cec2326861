package dev.binlogproxy.proxy.cli;

import dev.binlogproxy.archive.ArchiveExport;
import dev.binlogproxy.upstream.CatchUpRate;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A progress line for a terminal: bytes done of the total, the rate and the time left, redrawn in place (carriage
 * return) at most four times a second, one line per phase. Only for a person watching: the command's own output
 * (what scripts parse) stays on stdout, this goes to stderr, and only when a terminal is attached.
 */
final class TerminalProgress implements ArchiveExport.Progress {
    private static final long REDRAW_NANOS = 250_000_000L;

    private final PrintStream out;
    private final LongSupplier nanos;
    private String phase;
    private long phaseStart;
    private long lastDraw;
    private boolean drawn;

    TerminalProgress(PrintStream out, LongSupplier nanos) {
        this.out = out;
        this.nanos = nanos;
    }

    /** Progress on stderr when a terminal is attached (or when asked), else nothing. */
    static ArchiveExport.Progress forConsole(Boolean wanted) {
        boolean show = wanted != null ? wanted : System.console() != null;
        return show ? new TerminalProgress(System.err, System::nanoTime) : ArchiveExport.Progress.NONE;
    }

    @Override
    public void advanced(String phase, long done, long total) {
        long now = nanos.getAsLong();
        if (!phase.equals(this.phase)) {
            finish();
            this.phase = phase;
            phaseStart = now;
            lastDraw = now;
            return;
        }
        if (now - lastDraw < REDRAW_NANOS && done < total) {
            return;
        }
        lastDraw = now;
        out.print("\r" + line(phase, done, total, now - phaseStart));
        out.flush();
        drawn = true;
    }

    /** Ends the current line (call once the work is done). */
    void finish() {
        if (drawn) {
            out.println();
            drawn = false;
        }
    }

    static String line(String phase, long done, long total, long elapsedNanos) {
        double seconds = elapsedNanos / 1e9;
        double rate = seconds > 0 ? done / seconds : 0;
        String left = rate > 0 && total > done
                ? ", about " + CatchUpRate.duration(Math.round((total - done) / rate)) + " left" : "";
        int percent = total > 0 ? (int) Math.min(100, done * 100 / total) : 100;
        return String.format(Locale.ROOT, "%-4s %,.1f of %,.1f MB (%d%%), %.1f MB/s%s   ", phase, done / 1e6,
                total / 1e6, percent, rate / 1e6, left);
    }
}
