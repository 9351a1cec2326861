package dev.binlogproxy.downstream;

/**
 * Told of every semi-sync ACK a downstream replica sends: it has the transaction ending at {@code position} of
 * {@code file}. The hook for chained semi-sync (acknowledging upstream only once N downstream replicas have).
 * Called on a Netty event loop: return quickly.
 */
@FunctionalInterface
public interface SemiSyncAckListener {

    void acknowledged(long replicaServerId, String file, long position);
}
