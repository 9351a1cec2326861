package dev.binlogproxy.protocol;

/** The collation ids (the one-byte "character set" of greeting, response and column definitions) used here. */
public final class Collations {

    public static final int UTF8_GENERAL_CI = 33;
    public static final int UTF8MB4_GENERAL_CI = 45;
    public static final int BINARY = 63;
    /** MySQL 8.0's default; MariaDB does not know it and falls back to its own default. */
    public static final int UTF8MB4_0900_AI_CI = 255;

    private Collations() {
    }
}
