package dev.binlogproxy.binlog;

/**
 * Raw bytes that do not form the event (or event body) they claim to be. A peer or file problem, not a bug: the
 * caller refuses the bytes (never stores or serves them) and reports where they came from.
 */
public class MalformedEventException extends RuntimeException {
    public MalformedEventException(String message) {
        super(message);
    }

    public MalformedEventException(String message, Throwable cause) {
        super(message, cause);
    }
}
