package dev.binlogproxy.upstream;

import dev.binlogproxy.proxy.config.ProxyConfig;
import dev.binlogproxy.proxy.config.Secret;

import java.nio.file.Path;
import java.time.Duration;

/** What the replica client needs to know about its master; built from the {@code upstream} config section. */
public record UpstreamSettings(String host, int port, String user, Secret password, long serverId, boolean semiSync,
                               Duration heartbeat, Duration deadMasterTimeout, Duration connectTimeout,
                               Duration reconnectInitialDelay, Duration reconnectMaxDelay, String startFile,
                               ProxyConfig.TlsMode tlsMode, Path tlsCaFile) {

    public static UpstreamSettings of(ProxyConfig.Upstream u) {
        return new UpstreamSettings(u.host(), u.port(), u.user(), u.password(), u.serverId(), u.semiSync(),
                u.heartbeat(), u.deadMasterTimeout(), u.connectTimeout(), u.reconnectInitialDelay(),
                u.reconnectMaxDelay(), u.startFile(), u.tlsMode(), u.tlsCaFile());
    }

    public String address() {
        return host + ":" + port;
    }
}
