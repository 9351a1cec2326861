package dev.binlogproxy.protocol;

/**
 * A payload that does not parse as the message it should be: truncated, a bad marker byte, a length running past
 * the end. Carries MySQL's ER_MALFORMED_PACKET (1835, HY000), which is also what a server answers such a client
 * with, and says in the message which field broke.
 */
public final class MalformedPacketException extends MySqlProtocolException {

    private static final long serialVersionUID = 1L;

    public MalformedPacketException(String detail) {
        super(ErrorCodes.ER_MALFORMED_PACKET, ErrorCodes.SQLSTATE_GENERAL, "Malformed communication packet: " + detail);
    }
}
