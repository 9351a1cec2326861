package dev.binlogproxy.upstream;

import dev.binlogproxy.proxy.config.ProxyConfig;
import dev.binlogproxy.proxy.config.Secret;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What the replica client needs to know about its master; built from the {@code upstream} config section.
 * {@code startGtid} (MySQL GTID set or MariaDB GTID position, or null) picks the first file of an empty archive
 * instead of {@code startFile}: see {@link GtidStart}.
 */
public record UpstreamSettings(String host, int port, String user, Secret password, long serverId, boolean semiSync,
                               Duration heartbeat, Duration deadMasterTimeout, Duration connectTimeout,
                               Duration reconnectInitialDelay, Duration reconnectMaxDelay, String startFile,
                               ProxyConfig.TlsMode tlsMode, Path tlsCaFile, String startGtid) {

    /** Without a GTID start. */
    public UpstreamSettings(String host, int port, String user, Secret password, long serverId, boolean semiSync,
                            Duration heartbeat, Duration deadMasterTimeout, Duration connectTimeout,
                            Duration reconnectInitialDelay, Duration reconnectMaxDelay, String startFile,
                            ProxyConfig.TlsMode tlsMode, Path tlsCaFile) {
        this(host, port, user, password, serverId, semiSync, heartbeat, deadMasterTimeout, connectTimeout,
                reconnectInitialDelay, reconnectMaxDelay, startFile, tlsMode, tlsCaFile, null);
    }

    public static UpstreamSettings of(ProxyConfig.Upstream u) {
        return new UpstreamSettings(u.host(), u.port(), u.user(), u.password(), u.serverId(), u.semiSync(),
                u.heartbeat(), u.deadMasterTimeout(), u.connectTimeout(), u.reconnectInitialDelay(),
                u.reconnectMaxDelay(), u.startFile(), u.tlsMode(), u.tlsCaFile(), u.startGtid());
    }

    /** The same settings with a GTID start (tests, and callers that build settings in code). */
    public UpstreamSettings withStartGtid(String gtid) {
        return new UpstreamSettings(host, port, user, password, serverId, semiSync, heartbeat, deadMasterTimeout,
                connectTimeout, reconnectInitialDelay, reconnectMaxDelay, null, tlsMode, tlsCaFile, gtid);
    }

    /** The same settings with another TLS mode and CA file. */
    public UpstreamSettings withTls(ProxyConfig.TlsMode mode, Path caFile) {
        return new UpstreamSettings(host, port, user, password, serverId, semiSync, heartbeat, deadMasterTimeout,
                connectTimeout, reconnectInitialDelay, reconnectMaxDelay, startFile, mode, caFile, startGtid);
    }

    public String address() {
        return host + ":" + port;
    }
}
