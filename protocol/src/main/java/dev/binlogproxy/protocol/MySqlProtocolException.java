package dev.binlogproxy.protocol;

import java.util.Objects;

/**
 * A MySQL-level failure with the server's error code, SQLSTATE and message: an ERR packet received from a peer, or
 * one we are about to send (see {@code ErrPacket.of(MySqlProtocolException)}). {@link #getMessage()} reads like the
 * mysql client's {@code ERROR 1045 (28000): Access denied ...}; {@link #serverMessage()} is the bare text.
 */
public class MySqlProtocolException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int errorCode;
    private final String sqlState;
    private final String serverMessage;

    public MySqlProtocolException(int errorCode, String sqlState, String message) {
        this(errorCode, sqlState, message, null);
    }

    public MySqlProtocolException(int errorCode, String sqlState, String message, Throwable cause) {
        super(format(errorCode, sqlState, message), cause);
        if (errorCode < 0 || errorCode > 0xFFFF) {
            throw new IllegalArgumentException("errorCode: " + errorCode + " (expected: 0..65535)");
        }
        this.errorCode = errorCode;
        this.sqlState = checkSqlState(sqlState);
        this.serverMessage = Objects.requireNonNull(message, "message");
    }

    static String checkSqlState(String sqlState) {
        Objects.requireNonNull(sqlState, "sqlState");
        if (sqlState.length() != 5) {
            throw new IllegalArgumentException("sqlState: '" + sqlState + "' (expected: 5 characters)");
        }
        return sqlState;
    }

    private static String format(int errorCode, String sqlState, String message) {
        return "ERROR " + errorCode + " (" + sqlState + "): " + message;
    }

    public int errorCode() {
        return errorCode;
    }

    public String sqlState() {
        return sqlState;
    }

    /** The message without code and SQLSTATE, as it travels in the ERR packet. */
    public String serverMessage() {
        return serverMessage;
    }
}
