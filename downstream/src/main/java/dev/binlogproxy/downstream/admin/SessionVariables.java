package dev.binlogproxy.downstream.admin;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * One connection's variables: user variables ({@code SET @a = ...}, case-insensitive names, NULL allowed), and
 * the session system variables it changed. The dump request is read from here: @master_binlog_checksum,
 * @master_heartbeat_period, @rpl_semi_sync_slave, @slave_connect_state, @mariadb_slave_capability, skip_replication.
 * Used from the connection's event loop only.
 */
public final class SessionVariables {

    private final Map<String, String> user = new HashMap<>();
    private final Map<String, String> system = new HashMap<>();

    /** Null for an unset variable or SQL NULL, as SELECT @unset shows. */
    public String user(String name) {
        return user.get(name);
    }

    /** The user variables set, by lower-case name (a value may be null: SQL NULL). Read-only. */
    public Map<String, String> userVariables() {
        return Collections.unmodifiableMap(user);
    }

    /** The session values of system variables this connection set. Read-only. */
    public Map<String, String> systemVariables() {
        return Collections.unmodifiableMap(system);
    }

    void setUser(String name, String value) {
        user.put(name, value);
    }

    void setSystem(String name, String value) {
        system.put(name, value);
    }

    /** COM_RESET_CONNECTION: session settings back to the defaults. */
    void resetSystem() {
        system.clear();
    }
}
