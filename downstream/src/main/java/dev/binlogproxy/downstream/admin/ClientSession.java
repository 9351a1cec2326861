package dev.binlogproxy.downstream.admin;

import dev.binlogproxy.downstream.login.Permission;

/** A client connection as the statements see it: who asks, what they may do, and what PROCESSLIST shows. */
public interface ClientSession {

    long connectionId();

    /** The user the client logged in as (or named, while logging in). */
    String user();

    String clientHost();

    boolean may(Permission permission);

    /** The master as this connection is shown it (the archive's view, the configured version). */
    ServedMaster master();

    /** PROCESSLIST's Command: "Sleep", "Binlog Dump", ... */
    String command();

    /** PROCESSLIST's State. */
    String state();

    /** Ends the connection (KILL). Any thread. */
    void kill();
}
