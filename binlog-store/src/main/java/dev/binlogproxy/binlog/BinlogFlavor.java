package dev.binlogproxy.binlog;

/**
 * Which server family wrote a binlog. Decides how GTIDs, transaction boundaries and a few ambiguous flags
 * (dump flag 0x02) are read; detected from the Format_description's server version.
 */
public enum BinlogFlavor {
    MYSQL,
    MARIADB;

    /** MariaDB's server version string always contains "MariaDB" (e.g. 10.11.6-MariaDB-log). */
    public static BinlogFlavor ofServerVersion(String serverVersion) {
        return serverVersion != null && serverVersion.contains("MariaDB") ? MARIADB : MYSQL;
    }
}
