package dev.binlogproxy.testkit;

/**
 * Any failure of the kit: a server that does not start, a failing helper statement, replication that does not catch
 * up. Unchecked so that tests can call the helpers without ceremony; the message names the server and, where there
 * is one, the tail of its error log.
 */
public final class TestkitException extends RuntimeException {

    public TestkitException(String message) {
        super(message);
    }

    public TestkitException(String message, Throwable cause) {
        super(message, cause);
    }
}
