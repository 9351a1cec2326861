package dev.binlogproxy.proxy.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Export's progress line: bytes, rate, time left; redrawn in place at most 4 times a second, a line per phase. */
class TerminalProgressTest {
    @Test
    void showsBytesRateAndTimeLeftAndRedrawsInPlace() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong();
        TerminalProgress p = new TerminalProgress(new PrintStream(buf, true, StandardCharsets.UTF_8), now::get);
        p.advanced("scan", 0, 1_000_000_000);
        now.set(100_000_000L);
        p.advanced("scan", 10_000_000, 1_000_000_000); // too soon after the start: not drawn
        now.set(1_000_000_000L);
        p.advanced("scan", 200_000_000, 1_000_000_000);
        now.set(2_000_000_000L);
        p.advanced("copy", 0, 300_000_000); // a new phase ends the line
        now.set(3_000_000_000L);
        p.advanced("copy", 300_000_000, 300_000_000);
        p.finish();
        assertEquals("\rscan 200.0 of 1,000.0 MB (20%), 200.0 MB/s, about 4 s left   \n"
                + "\rcopy 300.0 of 300.0 MB (100%), 300.0 MB/s   \n", buf.toString(StandardCharsets.UTF_8));
    }

    @Test
    void longTimesReadAsMinutesAndHours() {
        // 1 MB/s with 125 MB and with 12,000 MB to go
        assertEquals("copy 1.0 of 126.0 MB (0%), 1.0 MB/s, about 2 min 05 s left   ",
                TerminalProgress.line("copy", 1_000_000, 126_000_000, 1_000_000_000L));
        assertEquals("copy 1.0 of 12,001.0 MB (0%), 1.0 MB/s, about 3 h 20 min left   ",
                TerminalProgress.line("copy", 1_000_000, 12_001_000_000L, 1_000_000_000L));
    }
}
