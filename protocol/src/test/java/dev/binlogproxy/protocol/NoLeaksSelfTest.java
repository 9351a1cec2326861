package dev.binlogproxy.protocol;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

/** The leak check the codec tests rely on does catch a leak: otherwise their green would mean nothing. */
class NoLeaksSelfTest {

    @Test
    void aDroppedBufferIsReported() {
        NoLeaks.collect();
        leak();
        boolean reported = false;
        for (int i = 0; i < 10 && !reported; i++) {
            reported = NoLeaks.collect().stream().anyMatch(m -> m.contains("LEAK"));
        }
        assertTrue(reported, "a dropped buffer was not reported; the leak checks would be blind");
        assertFalse(NoLeaks.collect().stream().anyMatch(m -> m.contains("LEAK")));
    }

    private static void leak() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.buffer(64);
        b.writeLong(1);
        // dropped without release
    }
}
