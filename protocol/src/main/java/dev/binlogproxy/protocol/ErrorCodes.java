package dev.binlogproxy.protocol;

/**
 * The error codes and SQLSTATEs this layer raises or has to recognise. Server codes (1xxx) travel in ERR packets;
 * client codes (2xxx, libmysqlclient's CR_*) name failures the client side detects itself.
 */
public final class ErrorCodes {

    /** SQLSTATE for errors without a more specific class. */
    public static final String SQLSTATE_GENERAL = "HY000";

    /** ER_ACCESS_DENIED_ERROR, SQLSTATE 28000. */
    public static final int ER_ACCESS_DENIED = 1045;
    public static final String SQLSTATE_ACCESS_DENIED = "28000";
    /** ER_NET_PACKET_TOO_LARGE, SQLSTATE 08S01: "Got a packet bigger than 'max_allowed_packet' bytes". */
    public static final int ER_NET_PACKET_TOO_LARGE = 1153;
    /** ER_NET_PACKETS_OUT_OF_ORDER, SQLSTATE 08S01. */
    public static final int ER_NET_PACKETS_OUT_OF_ORDER = 1156;
    public static final String SQLSTATE_COMMUNICATION = "08S01";
    /** ER_UNKNOWN_SYSTEM_VARIABLE, HY000: replicas branch on it when probing variables. */
    public static final int ER_UNKNOWN_SYSTEM_VARIABLE = 1193;
    /** ER_MASTER_FATAL_ERROR_READING_BINLOG, HY000: a replica stops on it. */
    public static final int ER_MASTER_FATAL_ERROR_READING_BINLOG = 1236;
    /** SHOW BINARY LOGS on a server with binary logging off. */
    public static final int ER_NO_BINARY_LOGGING = 1381;
    /** ER_MALFORMED_PACKET, HY000. */
    public static final int ER_MALFORMED_PACKET = 1835;

    /** CR_SERVER_HANDSHAKE_ERR: a greeting this client cannot work with (no 4.1 protocol, say). */
    public static final int CR_SERVER_HANDSHAKE_ERR = 2012;
    /** CR_SSL_CONNECTION_ERROR. */
    public static final int CR_SSL_CONNECTION_ERROR = 2026;
    /** CR_AUTH_PLUGIN_CANNOT_LOAD: the server asks for a plugin this client does not implement. */
    public static final int CR_AUTH_PLUGIN_CANNOT_LOAD = 2059;
    /** CR_AUTH_PLUGIN_ERR: the plugin itself failed, e.g. full authentication needs TLS or the server's key. */
    public static final int CR_AUTH_PLUGIN_ERR = 2061;

    private ErrorCodes() {
    }
}
