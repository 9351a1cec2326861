package dev.binlogproxy.upstream;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seconds behind the master reads the clock only when the transactions' timestamp moves (or every so many of one
 * second's): what the gauge shows must still follow the transactions, and a heartbeat's zero must not hide the
 * next transaction's lag.
 */
class SecondsBehindMasterTest {
    private static long now() {
        return System.currentTimeMillis() / 1000;
    }

    private static void assertAbout(long expected, long actual) {
        assertTrue(actual >= expected && actual <= expected + 2, "expected about " + expected + " s, got " + actual);
    }

    @Test
    void followsTheTransactionsTimestamps() {
        MirrorMetrics m = new MirrorMetrics(new SimpleMeterRegistry());
        assertEquals(-1, m.secondsBehindMaster(), "nothing mirrored yet");
        m.transaction(now() - 100);
        assertAbout(100, m.secondsBehindMaster());
        m.transaction(now() - 100); // the same second: no new clock read needed, the same lag
        assertAbout(100, m.secondsBehindMaster());
        m.transaction(now() - 40);
        assertAbout(40, m.secondsBehindMaster());
        m.transaction(0); // no timestamp (an event without one): the gauge stays
        assertAbout(40, m.secondsBehindMaster());
    }

    @Test
    void aHeartbeatsZeroDoesNotHideTheNextTransactionsLag() {
        MirrorMetrics m = new MirrorMetrics(new SimpleMeterRegistry());
        long ts = now() - 30;
        m.transaction(ts);
        assertAbout(30, m.secondsBehindMaster());
        m.caughtUp();
        assertEquals(0, m.secondsBehindMaster());
        m.transaction(ts); // the same timestamp as before the heartbeat: it must be taken again
        assertAbout(30, m.secondsBehindMaster());
    }
}
