package dev.binlogproxy.downstream;

import java.util.Optional;
import java.util.function.LongSupplier;

import dev.binlogproxy.upstream.MirrorService;

/** The mirror as SHOW SLAVE STATUS on the proxy's server shows it. */
public final class MirrorUpstreamStatus implements UpstreamStatus {
    private final String host;
    private final int port;
    private final String user;
    private final MirrorService mirror;
    private final LongSupplier secondsBehind;
    private final long retrySeconds;

    /** {@code secondsBehind}: the mirror's lag in seconds, negative when unknown. */
    public MirrorUpstreamStatus(String host, int port, String user, MirrorService mirror, LongSupplier secondsBehind,
                                long retrySeconds) {
        this.host = host;
        this.port = port;
        this.user = user;
        this.mirror = mirror;
        this.secondsBehind = secondsBehind;
        this.retrySeconds = retrySeconds;
    }

    @Override
    public String host() {
        return host;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String user() {
        return user;
    }

    @Override
    public boolean streaming() {
        return mirror.state() == MirrorService.State.STREAMING;
    }

    @Override
    public String state() {
        return switch (mirror.state()) {
            case STREAMING -> "Waiting for master to send event";
            case CONNECTING, RECONNECTING -> "Connecting to master";
            default -> "";
        };
    }

    @Override
    public Optional<String> lastError() {
        return mirror.failure();
    }

    @Override
    public Optional<Long> secondsBehind() {
        long s = secondsBehind.getAsLong();
        return s < 0 || !streaming() ? Optional.empty() : Optional.of(s);
    }

    @Override
    public long connectRetrySeconds() {
        return retrySeconds;
    }
}
