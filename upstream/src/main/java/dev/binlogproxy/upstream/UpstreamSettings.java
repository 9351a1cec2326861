package dev.binlogproxy.upstream;

import dev.binlogproxy.client.ConnectionSettings;

import java.time.Duration;
import java.util.Objects;

/**
 * The mirror's settings: which master, as whom, and how it replicates from it.
 *
 * @param connection            the master's address and login
 * @param serverId              the proxy's own server_id as the master's replica
 * @param heartbeat             the heartbeat period asked of the master
 * @param deadMasterTimeout     no packet for this long (heartbeats included): the connection is dropped and
 *                              reopened
 * @param startFile             an empty archive's first file (null: the master's oldest), from position 4
 * @param startGtid             instead of {@code startFile}: a MySQL GTID set or MariaDB GTID position; the
 *                              archive starts at position 4 of the master's first file holding a transaction after
 *                              it (see {@link GtidStart})
 * @param maxLoginFailures      the master refused the login (ERR 1045) this many times in a row: the mirror stops
 *                              ({@link MirrorService.State#FAILED}) instead of retrying a wrong password forever; 0
 *                              retries forever
 */
public record UpstreamSettings(ConnectionSettings connection, long serverId, boolean semiSync, Duration heartbeat,
                               Duration deadMasterTimeout, Duration reconnectInitialDelay,
                               Duration reconnectMaxDelay, String startFile, String startGtid, int maxLoginFailures) {
    public static final int DEFAULT_MAX_LOGIN_FAILURES = 5;

    public UpstreamSettings {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(heartbeat, "heartbeat");
        Objects.requireNonNull(deadMasterTimeout, "deadMasterTimeout");
        Objects.requireNonNull(reconnectInitialDelay, "reconnectInitialDelay");
        Objects.requireNonNull(reconnectMaxDelay, "reconnectMaxDelay");
        if (serverId < 1 || serverId > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("serverId: " + serverId + " (expected: 1..4294967295)");
        }
        if (startFile != null && startGtid != null) {
            throw new IllegalArgumentException("give startFile or startGtid, not both");
        }
        if (maxLoginFailures < 0) {
            throw new IllegalArgumentException("maxLoginFailures: " + maxLoginFailures + " (expected: >= 0)");
        }
    }

    public UpstreamSettings(ConnectionSettings connection, long serverId, boolean semiSync, Duration heartbeat,
                            Duration deadMasterTimeout, Duration reconnectInitialDelay, Duration reconnectMaxDelay,
                            String startFile, String startGtid) {
        this(connection, serverId, semiSync, heartbeat, deadMasterTimeout, reconnectInitialDelay, reconnectMaxDelay,
                startFile, startGtid, DEFAULT_MAX_LOGIN_FAILURES);
    }

    /** Defaults for a master on a fast network: heartbeat 1 s, dead after 5 s, reconnect 50 ms doubling to 1 s. */
    public static UpstreamSettings of(ConnectionSettings connection, long serverId, boolean semiSync) {
        return new UpstreamSettings(connection, serverId, semiSync, Duration.ofSeconds(1), Duration.ofSeconds(5),
                Duration.ofMillis(50), Duration.ofSeconds(1), null, null);
    }

    /** The same settings with a GTID start. */
    public UpstreamSettings withStartGtid(String gtid) {
        return new UpstreamSettings(connection, serverId, semiSync, heartbeat, deadMasterTimeout,
                reconnectInitialDelay, reconnectMaxDelay, null, gtid, maxLoginFailures);
    }

    /** The same settings with another connection (another master, other credentials or TLS). */
    public UpstreamSettings withConnection(ConnectionSettings other) {
        return new UpstreamSettings(other, serverId, semiSync, heartbeat, deadMasterTimeout, reconnectInitialDelay,
                reconnectMaxDelay, startFile, startGtid, maxLoginFailures);
    }

    /** The same settings with another TLS mode and CA file. */
    public UpstreamSettings withTls(dev.binlogproxy.client.TlsMode mode, java.nio.file.Path caFile) {
        return withConnection(connection.withTls(mode, caFile));
    }

    public String address() {
        return connection.address();
    }
}
