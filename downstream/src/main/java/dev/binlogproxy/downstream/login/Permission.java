package dev.binlogproxy.downstream.login;

/** What a downstream user may do. Every logged-in user may read variables and status. */
public enum Permission {
    /** Register as a replica and dump binlogs (REPLICATION SLAVE on a real master). */
    REPLICATION,
    /** Change the archive: PURGE BINARY LOGS; also KILL another user's session. */
    ADMIN
}
