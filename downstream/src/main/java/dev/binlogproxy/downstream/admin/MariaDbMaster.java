package dev.binlogproxy.downstream.admin;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.protocol.Collations;
import dev.binlogproxy.protocol.auth.MysqlNativePassword;
import dev.binlogproxy.protocol.packet.HandshakeV10;

/**
 * A MariaDB 10.11 master as its clients see it: the {@code 5.5.5-} version prefix, mysql_native_password first,
 * GTID positions instead of GTID sets, no server_uuid, and SHOW columns without MySQL's GTID and UUID ones.
 */
final class MariaDbMaster implements MasterFlavor {
    static final MariaDbMaster INSTANCE = new MariaDbMaster();

    private MariaDbMaster() {
    }

    /** MariaDB replicas use GTID only with a master of major version 10 or more, which the prefix hides from MySQL's. */
    @Override
    public String greetingVersion(String version) {
        return version.startsWith(HandshakeV10.MARIADB_VERSION_PREFIX) ? version
                : HandshakeV10.MARIADB_VERSION_PREFIX + version;
    }

    @Override
    public int greetingCollation() {
        return Collations.UTF8MB4_GENERAL_CI;
    }

    @Override
    public String defaultAuthPlugin() {
        return MysqlNativePassword.PLUGIN_NAME;
    }

    @Override
    public void putStockDefaults(Map<String, String> v) {
        v.put("character_set_server", "latin1");
        v.put("character_set_database", "latin1");
        v.put("collation_server", "latin1_swedish_ci");
        v.put("collation_database", "latin1_swedish_ci");
        v.put("rpl_semi_sync_master_wait_point", "AFTER_COMMIT");
        v.put("gtid_domain_id", "0");
        v.put("gtid_strict_mode", "OFF");
        v.put("gtid_ignore_duplicates", "OFF");
    }

    @Override
    public void putOwnVariables(Map<String, String> v, ServedMaster m, String semiSync) {
        v.put("collation_connection", "utf8mb4_general_ci");
        v.put("sql_mode", "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION");
        v.put("skip_replication", "OFF");
        v.put("gtid_slave_pos", "");
    }

    @Override
    public Map<String, String> gtidVariables(ArchiveState archive, ServedMaster m)
            throws IOException, ArchiveException {
        String pos = archive.mariaBinlogPosition().toString();
        Map<String, String> gtid = new HashMap<>();
        gtid.put("gtid_binlog_pos", pos);
        gtid.put("gtid_current_pos", pos);
        gtid.put("gtid_binlog_state", pos);
        return gtid;
    }

    @Override
    public List<String> masterStatusColumns() {
        return List.of("File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB");
    }

    @Override
    public List<String> masterStatusRow(BinlogPosition end, ArchiveState archive) {
        return List.of(end.file(), Long.toString(end.offset()), "", "");
    }

    @Override
    public List<String> binaryLogsColumns() {
        return List.of("Log_name", "File_size");
    }

    @Override
    public List<String> binaryLogsRow(ArchivedFile f) {
        return List.of(f.name(), Long.toString(f.size()));
    }

    @Override
    public List<String> replicaHostsColumns(boolean newNames) {
        return newNames ? List.of("Server_Id", "Host", "Port", "Source_Id")
                : List.of("Server_id", "Host", "Port", "Master_id");
    }

    @Override
    public List<String> replicaHostsRow(RegisteredReplica r, long masterId) {
        return List.of(Long.toString(r.serverId()), r.host(), Integer.toString(r.port()), Long.toString(masterId));
    }

    @Override
    public void putReplicaStatusGtids(Map<String, String> v, ServedMaster m, ArchiveState archive)
            throws IOException, ArchiveException {
        v.put("Using_Gtid", "No");
        v.put("Gtid_IO_Pos", archive.mariaBinlogPosition().toString());
    }
}
