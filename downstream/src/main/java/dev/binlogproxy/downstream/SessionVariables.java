package dev.binlogproxy.downstream;

import java.util.HashMap;
import java.util.Map;

/**
 * One connection's variables: user variables ({@code SET @a = ...}, case-insensitive names, NULL allowed), and
 * the session system variables it changed. The dump request is read from here: @master_binlog_checksum,
 * @master_heartbeat_period, @rpl_semi_sync_slave, @slave_connect_state, @mariadb_slave_capability, skip_replication.
 * Used from the connection's event loop only.
 */
final class SessionVariables {

    private final Map<String, String> user = new HashMap<>();
    private final Map<String, String> system = new HashMap<>();

    /** Null for an unset variable or SQL NULL, as SELECT @unset shows. */
    String user(String name) {
        return user.get(name);
    }

    boolean hasUser(String name) {
        return user.containsKey(name);
    }

    void setUser(String name, String value) {
        user.put(name, value);
    }

    /** The session values of system variables this connection set. */
    Map<String, String> system() {
        return system;
    }

    void setSystem(String name, String value) {
        system.put(name, value);
    }
}
