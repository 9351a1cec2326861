package dev.binlogproxy.downstream.admin;

import java.util.List;
import java.util.Map;

import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.position.BinlogPosition;

import java.io.IOException;

/**
 * How a master of one flavor presents itself to the clients of a session: the greeting, the system variables it
 * has and their stock values, its GTID variables, and the columns of its SHOW statements. Everything the
 * statements answer differently for MySQL 8.0 and MariaDB 10.11 is here, one implementation per flavor
 * ({@link MySqlMaster}, {@link MariaDbMaster}); the statements themselves never ask which flavor they serve.
 */
sealed interface MasterFlavor permits MySqlMaster, MariaDbMaster {

    static MasterFlavor of(BinlogFlavor flavor) {
        return switch (flavor) {
            case MYSQL -> MySqlMaster.INSTANCE;
            case MARIADB -> MariaDbMaster.INSTANCE;
        };
    }

    // ---- greeting

    String greetingVersion(String version);

    int greetingCollation();

    String defaultAuthPlugin();

    // ---- variables

    /** A stock server's values of the variables whose defaults differ by flavor (the upstream's override them). */
    void putStockDefaults(Map<String, String> variables);

    /**
     * The variables that describe the proxy and differ by flavor: a MySQL master's server_uuid and its
     * rpl_semi_sync_source_enabled, MariaDB's skip_replication, the connection's collation and sql_mode.
     */
    void putOwnVariables(Map<String, String> variables, ServedMaster master, String semiSync);

    /** gtid_executed / gtid_purged (MySQL) or gtid_binlog_pos and friends (MariaDB), from the archive. */
    Map<String, String> gtidVariables(ArchiveState archive, ServedMaster master) throws IOException, ArchiveException;

    // ---- SHOW statements

    List<String> masterStatusColumns();

    List<String> masterStatusRow(BinlogPosition end, ArchiveState archive) throws IOException, ArchiveException;

    List<String> binaryLogsColumns();

    List<String> binaryLogsRow(ArchivedFile file);

    /** SHOW SLAVE HOSTS ({@code newNames} false) or SHOW REPLICAS. */
    List<String> replicaHostsColumns(boolean newNames);

    /** @param masterId the replica's master_id, the served server_id where it sent 0 */
    List<String> replicaHostsRow(RegisteredReplica replica, long masterId);

    /** The GTID fields of SHOW SLAVE STATUS, after Master_Server_Id. */
    void putReplicaStatusGtids(Map<String, String> status, ServedMaster master, ArchiveState archive)
            throws IOException, ArchiveException;
}
