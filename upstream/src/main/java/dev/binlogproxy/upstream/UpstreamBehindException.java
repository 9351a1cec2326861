package dev.binlogproxy.upstream;

import java.io.IOException;

/**
 * The upstream is another binlog proxy of the same master and has not yet got as far as the archive: its binary
 * logs end before the archive's resume point. It is a lag, not another history (a proxy's files fill in as its own
 * master sends them), so the mirror reconnects with its backoff until the upstream has caught up, writing nothing
 * meanwhile; when the dump starts, the archive's last transaction must still come again byte for byte. A real
 * master that is behind the archive is refused instead ({@link UpstreamException}): it cannot catch up by itself.
 */
public final class UpstreamBehindException extends IOException {
    public UpstreamBehindException(String message) {
        super(message);
    }
}
