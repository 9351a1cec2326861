package dev.binlogproxy.upstream;

import java.time.Duration;

/**
 * Chained semi-sync ({@link SemiSyncChain}): the upstream ack waits for {@code waitForReplicas} downstream
 * semi-sync replicas (0: no chain), at most {@code timeout} before acknowledging anyway.
 */
public record ChainSettings(int waitForReplicas, Duration timeout) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
    public static final ChainSettings OFF = new ChainSettings(0, DEFAULT_TIMEOUT);

    public ChainSettings {
        if (waitForReplicas < 0) {
            throw new IllegalArgumentException("waitForReplicas: " + waitForReplicas + " (expected: >= 0)");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
        }
    }

    public boolean enabled() {
        return waitForReplicas > 0;
    }
}
