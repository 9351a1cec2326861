package dev.binlogproxy.upstream;

/**
 * A problem with the master that reconnecting will not fix: a different master behind the address, a position
 * the master's binlog no longer has, our server_id in use by the master itself. The mirror stops with this
 * message rather than mix two histories in one archive.
 */
public final class UpstreamException extends Exception {
    public UpstreamException(String message) {
        super(message);
    }

    public UpstreamException(String message, Throwable cause) {
        super(message, cause);
    }
}
