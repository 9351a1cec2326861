package dev.binlogproxy.proxy;

import java.util.Optional;
import java.util.function.LongSupplier;

import dev.binlogproxy.downstream.admin.UpstreamStatus;
import dev.binlogproxy.upstream.MirrorService;

/** The mirror as SHOW SLAVE STATUS on the proxy's server shows it: always its current master. */
final class MirrorUpstreamStatus implements UpstreamStatus {
    private final MirrorService mirror;
    private final LongSupplier secondsBehind;
    private final long retrySeconds;

    /** {@code secondsBehind}: the mirror's lag in seconds, negative when unknown. */
    MirrorUpstreamStatus(MirrorService mirror, LongSupplier secondsBehind, long retrySeconds) {
        this.mirror = mirror;
        this.secondsBehind = secondsBehind;
        this.retrySeconds = retrySeconds;
    }

    @Override
    public String host() {
        return mirror.settings().connection().host();
    }

    @Override
    public int port() {
        return mirror.settings().connection().port();
    }

    @Override
    public String user() {
        return mirror.settings().connection().user();
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
