package dev.binlogproxy.downstream.admin;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.binlog.ChecksumAlgorithm;

/**
 * The system variables the proxy has, with the values a master of the upstream's flavor would show (the names
 * and stock values that differ by flavor come from its {@link MasterFlavor}). Identity (server_id, server_uuid,
 * version), checksum and GTID state are the proxy's view of its master (the archive); the other values are the
 * upstream's own when it has been read, else a stock server's defaults. What is not here is unknown
 * (ER_UNKNOWN_SYSTEM_VARIABLE): replicas branch on that, e.g. no server_uuid on MariaDB.
 */
final class SystemVariables {

    /** Variables whose SELECT @@x value is 1/0 while SHOW VARIABLES shows ON/OFF. */
    private static final Set<String> BOOLEANS = Set.of("autocommit", "log_bin", "read_only", "super_read_only",
            "rpl_semi_sync_master_enabled", "rpl_semi_sync_source_enabled", "rpl_semi_sync_slave_enabled",
            "rpl_semi_sync_replica_enabled", "log_slave_updates", "log_replica_updates", "gtid_strict_mode",
            "skip_replication", "foreign_key_checks", "unique_checks", "sql_log_bin", "sql_auto_is_null",
            "performance_schema", "skip_networking", "transaction_read_only", "tx_read_only",
            "binlog_transaction_compression", "sql_safe_updates", "sql_notes", "sql_big_selects");

    /** Variables that are not the upstream's to answer: they describe the proxy or its archive. */
    private static final Set<String> PROXY_OWNED = Set.of("hostname", "port", "read_only", "super_read_only",
            "rpl_semi_sync_master_enabled", "rpl_semi_sync_source_enabled", "have_ssl", "have_openssl",
            "gtid_executed", "gtid_purged", "gtid_binlog_pos", "gtid_current_pos", "gtid_binlog_state",
            "gtid_slave_pos", "server_id", "server_uuid", "version", "binlog_checksum", "log_bin",
            "character_set_client", "character_set_connection", "character_set_results", "collation_connection",
            "autocommit", "skip_replication", "wait_timeout", "interactive_timeout", "net_read_timeout",
            "net_write_timeout", "time_zone", "sql_mode", "max_allowed_packet",
            // says "a binlog proxy" to clients and to a proxy mirroring this one (MasterInfo.isBinlogProxy)
            "version_comment");

    private SystemVariables() {
    }

    /** Every variable as a session sees it now: the archive's GTID state, the session's own settings. */
    static Map<String, String> current(ServerInfo server, ServedMaster m, Map<String, String> session)
            throws IOException, ArchiveException {
        return all(m, server, m.presentation().gtidVariables(server.archive(), m), session);
    }

    /**
     * Every variable, lower-case name to SHOW VARIABLES value. {@code gtid}: the archive's GTID state
     * (gtid_executed/gtid_purged for MySQL, gtid_binlog_pos for MariaDB), {@code session}: the session's own
     * settings overriding globals.
     */
    static Map<String, String> all(ServedMaster m, ServerInfo server, Map<String, String> gtid,
                                   Map<String, String> session) {
        MasterFlavor flavor = m.presentation();
        Map<String, String> v = new LinkedHashMap<>();
        // stock defaults, overridden below by the upstream's real values
        v.put("auto_increment_increment", "1");
        v.put("auto_increment_offset", "1");
        v.put("binlog_format", "ROW");
        v.put("binlog_row_image", "FULL");
        v.put("character_set_system", "utf8");
        v.put("init_connect", "");
        v.put("license", "GPL");
        v.put("lower_case_table_names", "0");
        v.put("log_slave_updates", "OFF");
        v.put("max_binlog_size", "1073741824");
        v.put("net_buffer_length", "16384");
        v.put("performance_schema", "OFF");
        v.put("protocol_version", "10");
        v.put("query_cache_size", "0");
        v.put("query_cache_type", "OFF");
        v.put("system_time_zone", "UTC");
        v.put("transaction_isolation", "REPEATABLE-READ");
        v.put("tx_isolation", "REPEATABLE-READ");
        v.put("transaction_read_only", "OFF");
        v.put("tx_read_only", "OFF");
        v.put("version_comment", "binlog-proxy");
        v.put("version_compile_os", "Linux");
        v.put("version_compile_machine", "x86_64");
        v.put("lc_messages", "en_US");
        v.put("server_id_bits", "32");
        v.put("sql_log_bin", "ON");
        v.put("foreign_key_checks", "ON");
        v.put("unique_checks", "ON");
        v.put("sql_select_limit", "18446744073709551615");
        v.put("sql_auto_is_null", "OFF");
        v.put("rpl_semi_sync_master_timeout", "10000");
        flavor.putStockDefaults(v);
        for (Map.Entry<String, String> e : m.upstreamVariables().entrySet()) {
            String k = e.getKey().toLowerCase(Locale.ROOT);
            if (!PROXY_OWNED.contains(k) && !k.startsWith("rpl_semi_sync") && !k.startsWith("gtid_slave")) {
                v.put(k, e.getValue());
            }
        }
        // the proxy's own
        v.put("version", m.version());
        v.put("server_id", Long.toString(server.servedServerId(m)));
        v.put("binlog_checksum", m.checksum() == ChecksumAlgorithm.CRC32 ? "CRC32" : "NONE");
        v.put("log_bin", "ON");
        v.put("hostname", server.hostname());
        v.put("port", Integer.toString(server.port()));
        v.put("read_only", "ON");
        v.put("super_read_only", "ON");
        v.put("have_ssl", server.tlsEnabled() ? "YES" : "DISABLED");
        v.put("have_openssl", server.tlsEnabled() ? "YES" : "DISABLED");
        v.put("max_allowed_packet", "1073741824");
        String semi = server.semiSync() ? "ON" : "OFF";
        v.put("rpl_semi_sync_master_enabled", semi);
        v.put("character_set_client", "utf8mb4");
        v.put("character_set_connection", "utf8mb4");
        v.put("character_set_results", "utf8mb4");
        v.put("autocommit", "ON");
        v.put("time_zone", "SYSTEM");
        v.put("wait_timeout", "28800");
        v.put("interactive_timeout", "28800");
        v.put("net_read_timeout", "30");
        v.put("net_write_timeout", "60");
        flavor.putOwnVariables(v, m, semi);
        v.putAll(gtid);
        v.putAll(session);
        return v;
    }

    /** The value SELECT @@x gives: booleans as 1/0, like mysqld. */
    static String selectValue(String name, String showValue) {
        if (showValue != null && BOOLEANS.contains(name)) {
            if (showValue.equalsIgnoreCase("ON")) {
                return "1";
            }
            if (showValue.equalsIgnoreCase("OFF")) {
                return "0";
            }
        }
        return showValue;
    }

    /** A value given to SET, as SHOW VARIABLES then shows it. */
    static String normalizeSet(String name, String value) {
        if (value != null && BOOLEANS.contains(name)) {
            if (value.equals("1") || value.equalsIgnoreCase("ON") || value.equalsIgnoreCase("TRUE")) {
                return "ON";
            }
            if (value.equals("0") || value.equalsIgnoreCase("OFF") || value.equalsIgnoreCase("FALSE")) {
                return "OFF";
            }
        }
        return value;
    }
}
