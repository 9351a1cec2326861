package dev.binlogproxy.protocol;

import java.util.StringJoiner;

/**
 * Capability flags as one {@code long}: bits 0..31 are the MySQL flags sent in greeting and handshake response,
 * bits 32..63 MariaDB's extended capabilities, which travel in otherwise reserved bytes and only when both sides
 * clear {@link #CLIENT_MYSQL} (bit 0, which MySQL calls CLIENT_LONG_PASSWORD).
 *
 * <p>See https://dev.mysql.com/doc/dev/mysql-server/latest/group__group__cs__capabilities__flags.html and the
 * MariaDB knowledge base page "Connection".
 */
public final class Capabilities {

    public static final long CLIENT_LONG_PASSWORD = 1L;
    /** MariaDB's name for bit 0: a server that clears it offers extended capabilities. */
    public static final long CLIENT_MYSQL = 1L;
    public static final long CLIENT_FOUND_ROWS = 1L << 1;
    public static final long CLIENT_LONG_FLAG = 1L << 2;
    public static final long CLIENT_CONNECT_WITH_DB = 1L << 3;
    public static final long CLIENT_NO_SCHEMA = 1L << 4;
    public static final long CLIENT_COMPRESS = 1L << 5;
    public static final long CLIENT_ODBC = 1L << 6;
    public static final long CLIENT_LOCAL_FILES = 1L << 7;
    public static final long CLIENT_IGNORE_SPACE = 1L << 8;
    public static final long CLIENT_PROTOCOL_41 = 1L << 9;
    public static final long CLIENT_INTERACTIVE = 1L << 10;
    public static final long CLIENT_SSL = 1L << 11;
    public static final long CLIENT_IGNORE_SIGPIPE = 1L << 12;
    public static final long CLIENT_TRANSACTIONS = 1L << 13;
    public static final long CLIENT_RESERVED = 1L << 14;
    public static final long CLIENT_SECURE_CONNECTION = 1L << 15;
    public static final long CLIENT_MULTI_STATEMENTS = 1L << 16;
    public static final long CLIENT_MULTI_RESULTS = 1L << 17;
    public static final long CLIENT_PS_MULTI_RESULTS = 1L << 18;
    public static final long CLIENT_PLUGIN_AUTH = 1L << 19;
    public static final long CLIENT_CONNECT_ATTRS = 1L << 20;
    public static final long CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 1L << 21;
    public static final long CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS = 1L << 22;
    public static final long CLIENT_SESSION_TRACK = 1L << 23;
    public static final long CLIENT_DEPRECATE_EOF = 1L << 24;
    public static final long CLIENT_OPTIONAL_RESULTSET_METADATA = 1L << 25;
    public static final long CLIENT_ZSTD_COMPRESSION_ALGORITHM = 1L << 26;
    public static final long CLIENT_QUERY_ATTRIBUTES = 1L << 27;
    public static final long CLIENT_SSL_VERIFY_SERVER_CERT = 1L << 30;
    public static final long CLIENT_REMEMBER_OPTIONS = 1L << 31;

    // MariaDB extended capabilities (the wire's 32-bit field, shifted up by 32 here).
    public static final long MARIADB_CLIENT_PROGRESS = 1L << 32;
    public static final long MARIADB_CLIENT_COM_MULTI = 1L << 33;
    public static final long MARIADB_CLIENT_STMT_BULK_OPERATIONS = 1L << 34;
    public static final long MARIADB_CLIENT_EXTENDED_TYPE_INFO = 1L << 35;
    public static final long MARIADB_CLIENT_CACHE_METADATA = 1L << 36;

    /**
     * What the replica client asks for: the 4.1 protocol with pluggable, length-encoded authentication. No
     * DEPRECATE_EOF (both result set shapes are handled, but EOF keeps captures comparable to older tools), no
     * SESSION_TRACK, no compression. CLIENT_SSL is added by the client only when it upgrades to TLS;
     * CONNECT_WITH_DB and CONNECT_ATTRS only when there is a database or attributes to send.
     */
    public static final long REPLICA_CLIENT_DEFAULT = CLIENT_LONG_PASSWORD | CLIENT_LONG_FLAG | CLIENT_PROTOCOL_41
            | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH
            | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;

    private static final String[] NAMES = {
        "LONG_PASSWORD", "FOUND_ROWS", "LONG_FLAG", "CONNECT_WITH_DB", "NO_SCHEMA", "COMPRESS", "ODBC",
        "LOCAL_FILES", "IGNORE_SPACE", "PROTOCOL_41", "INTERACTIVE", "SSL", "IGNORE_SIGPIPE", "TRANSACTIONS",
        "RESERVED", "SECURE_CONNECTION", "MULTI_STATEMENTS", "MULTI_RESULTS", "PS_MULTI_RESULTS", "PLUGIN_AUTH",
        "CONNECT_ATTRS", "PLUGIN_AUTH_LENENC_CLIENT_DATA", "CAN_HANDLE_EXPIRED_PASSWORDS", "SESSION_TRACK",
        "DEPRECATE_EOF", "OPTIONAL_RESULTSET_METADATA", "ZSTD_COMPRESSION_ALGORITHM", "QUERY_ATTRIBUTES",
        "bit28", "bit29", "SSL_VERIFY_SERVER_CERT", "REMEMBER_OPTIONS",
        "MARIADB_PROGRESS", "MARIADB_COM_MULTI", "MARIADB_STMT_BULK_OPERATIONS", "MARIADB_EXTENDED_TYPE_INFO",
        "MARIADB_CACHE_METADATA",
    };

    private Capabilities() {
    }

    public static boolean has(long capabilities, long flag) {
        return (capabilities & flag) == flag;
    }

    /** The 32 bits that go in the MySQL capability fields. */
    public static int low32(long capabilities) {
        return (int) capabilities;
    }

    /** MariaDB's extended capability bits as they travel on the wire. */
    public static int mariaDbExtended(long capabilities) {
        return (int) (capabilities >>> 32);
    }

    public static long combine(int low32, int mariaDbExtended) {
        return (low32 & 0xFFFFFFFFL) | ((mariaDbExtended & 0xFFFFFFFFL) << 32);
    }

    /** Flag names joined with '|', for logs and failure messages. */
    public static String toString(long capabilities) {
        StringJoiner joiner = new StringJoiner("|");
        for (int bit = 0; bit < 64; bit++) {
            if ((capabilities & (1L << bit)) != 0) {
                joiner.add(bit < NAMES.length ? NAMES[bit] : "bit" + bit);
            }
        }
        return "0x" + Long.toHexString(capabilities) + "[" + joiner + "]";
    }
}
