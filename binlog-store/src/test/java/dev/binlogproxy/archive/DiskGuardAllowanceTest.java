package dev.binlogproxy.archive;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The writer skips {@link DiskGuard#beforeTransaction} within the guard's {@link DiskGuard#allowance()}: that must
 * be exactly where the call would neither measure nor refuse. Measurements are counted, so "would it measure" is
 * seen without a clock.
 */
class DiskGuardAllowanceTest {
    @TempDir
    Path dir;

    @Test
    void noReserveIsUnlimited() throws Exception {
        DiskGuard g = new DiskGuard(dir, 0);
        g.beforeTransaction(123);
        assertSame(DiskGuard.Allowance.UNLIMITED, g.allowance());
    }

    @Test
    void theAllowanceEndsOneByteBeforeTheCheckWouldMeasure() throws Exception {
        DiskGuard g = new DiskGuard(dir, 1);
        g.beforeTransaction(0); // the first call measures
        int measured = g.measurements();
        DiskGuard.Allowance a = g.allowance();
        // the free space is far above 1 byte + 1 MiB here: the byte threshold is the one that ends it
        assertEquals(DiskGuard.RECHECK_BYTES - 1, a.bytes());
        assertEquals(measured, a.measurements());
        g.beforeTransaction(a.bytes()); // all of it at once: still no measurement (unless a second went by)
        boolean slow = g.measurements() != measured;
        if (!slow) {
            assertEquals(0, g.allowance().bytes());
            g.beforeTransaction(1); // one more byte: the recheck by bytes
            assertEquals(measured + 1, g.measurements());
        }
        assertEquals(DiskGuard.RECHECK_BYTES - 1, g.allowance().bytes()); // counted from the new measurement
    }

    @Test
    void aMeasurementByAnotherCallerVoidsTheAllowance() throws Exception {
        DiskGuard g = new DiskGuard(dir, 1);
        g.beforeTransaction(0);
        DiskGuard.Allowance a = g.allowance();
        assertTrue(g.hasRoom());
        assertNotEquals(a.measurements(), g.measurements());
    }

    @Test
    void theAllowanceStopsAtTheReserve() throws Exception {
        // a reserve 256 KiB below what is free, so the reserve, not the recheck by bytes, ends the allowance.
        // Other processes change the free space meanwhile: a try whose first check already finds the reserve
        // reached is made again (nothing here is timed).
        for (int attempt = 0; ; attempt++) {
            long free = new DiskGuard(dir, 1).freeBytes();
            DiskGuard g = new DiskGuard(dir, free - (256 << 10));
            try {
                g.beforeTransaction(0);
            } catch (DiskFullException filledMeanwhile) {
                if (attempt < 20) {
                    continue;
                }
                throw filledMeanwhile;
            }
            long measuredFree = g.freeBytes(); // as the guard measured it (no new measurement once measured)
            assertEquals(Math.min(DiskGuard.RECHECK_BYTES - 1, measuredFree - g.minFree()), g.allowance().bytes());
            return;
        }
    }
}
