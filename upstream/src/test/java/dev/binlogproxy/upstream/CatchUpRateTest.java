package dev.binlogproxy.upstream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The catching-up line's rate and ETA: from two samples on, smoothed, restarted by a new session. */
class CatchUpRateTest {
    private static final long S = 1_000_000_000L;

    @Test
    void rateAndTimeLeftFollowTheSamples() {
        CatchUpRate r = new CatchUpRate();
        assertEquals("", r.sample(0, 1_000_000_000, 0));
        assertEquals(", 100.0 MB/s, about 9 s left", r.sample(100_000_000, 900_000_000, S));
        // a slower second: smoothed, not replaced (100 + 0.2 * (50 - 100) = 90 MB/s)
        assertEquals(", 90.0 MB/s, about 9 s left", r.sample(150_000_000, 850_000_000, 2 * S));
        // a new session starts counting again from its own position
        assertEquals("", r.sample(10, 850_000_000, 3 * S));
    }

    @Test
    void longTimesReadAsMinutesAndHours() {
        assertEquals("59 s", CatchUpRate.duration(59));
        assertEquals("2 min 05 s", CatchUpRate.duration(125));
        assertEquals("3 h 20 min", CatchUpRate.duration(12_000));
    }
}
