package dev.binlogproxy.failover;

import dev.binlogproxy.client.ConnectionSettings;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How the proxy replaces a dead master.
 *
 * @param mode               AUTO: detect and promote; MANUAL: detect and report, promote only on command; OFF
 * @param detectTimeout      the dump lost or silent and every SQL probe failing for this long: the master is dead
 * @param probeInterval      how often the master is probed (also each probe's timeout)
 * @param candidates         replicas of this proxy that may become master, in order of preference; each with an
 *                           account that may stop its replication, flush its binlog and change read_only
 * @param execBefore         run before anything changes on a server (fence the old master); a non-zero exit aborts
 *                           the failover; null: none
 * @param execAfter          run once the new master is writable (move a VIP, update DNS); null: none
 * @param hookTimeout        a hook running longer is killed and counts as failed
 * @param catchUpTimeout     how long the chosen candidate may take to apply what the archive has
 * @param maxCandidateLag    a candidate that has read less than this many bytes of the archive's end is stale
 * @param replication        the account replicas use on this proxy, for an old master that rejoins as a replica
 *                           after a switchover; null: it does not rejoin
 */
public record FailoverSettings(FailoverMode mode, Duration detectTimeout, Duration probeInterval,
                               List<ConnectionSettings> candidates, String execBefore, String execAfter,
                               Duration hookTimeout, Duration catchUpTimeout, long maxCandidateLag,
                               ConnectionSettings replication) {
    public static final Duration DEFAULT_DETECT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofMillis(250);
    public static final Duration DEFAULT_HOOK_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_CATCH_UP_TIMEOUT = Duration.ofSeconds(30);
    public static final long DEFAULT_MAX_CANDIDATE_LAG = 64L << 20;

    public static final FailoverSettings OFF = new FailoverSettings(FailoverMode.OFF, DEFAULT_DETECT_TIMEOUT,
            DEFAULT_PROBE_INTERVAL, List.of(), null, null, DEFAULT_HOOK_TIMEOUT, DEFAULT_CATCH_UP_TIMEOUT,
            DEFAULT_MAX_CANDIDATE_LAG, null);

    public FailoverSettings {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(detectTimeout, "detectTimeout");
        Objects.requireNonNull(probeInterval, "probeInterval");
        candidates = List.copyOf(candidates);
        if (mode != FailoverMode.OFF && candidates.isEmpty()) {
            throw new IllegalArgumentException("failover mode " + mode + " needs at least one candidate");
        }
        if (probeInterval.isZero() || probeInterval.isNegative() || detectTimeout.compareTo(probeInterval) < 0) {
            throw new IllegalArgumentException("probeInterval " + probeInterval + " must be positive and at most"
                    + " detectTimeout " + detectTimeout);
        }
    }

    /** The settings of a candidate at {@code host:port}, if it is one. */
    public java.util.Optional<ConnectionSettings> candidate(String host, int port) {
        return candidates.stream().filter(c -> c.host().equals(host) && c.port() == port).findFirst();
    }
}
