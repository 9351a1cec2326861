package dev.binlogproxy.downstream.admin;

import java.util.Optional;

/**
 * The proxy's own replication from its master, for SHOW SLAVE STATUS / SHOW REPLICA STATUS. Implemented by the
 * process that runs the mirror.
 */
public interface UpstreamStatus {

    String host();

    int port();

    String user();

    /** True while a dump from the master streams (Slave_IO_Running Yes); false while connecting or failed. */
    boolean streaming();

    /** "Connecting" while trying; the reason when the mirror stopped for good. */
    String state();

    Optional<String> lastError();

    /** Seconds behind the master, empty when unknown. */
    Optional<Long> secondsBehind();

    long connectRetrySeconds();
}
