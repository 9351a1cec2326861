package dev.binlogproxy.archive;

/**
 * The upstream is not the master this archive mirrors (another server_uuid, server_id, flavor or binlog basename).
 * Mixing two masters' histories in one directory would give replicas positions that mean different transactions,
 * so the archive refuses; point the proxy at a fresh directory, or at the right master.
 */
public final class UpstreamMismatchException extends ArchiveException {
    UpstreamMismatchException(String message) {
        super(message);
    }
}
