package dev.binlogproxy.downstream.admin;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.protocol.Collations;
import dev.binlogproxy.protocol.auth.CachingSha2Password;

/** A MySQL 8.0 master as its clients see it (8.0.15 checked, 8.4 spellings answered too). */
final class MySqlMaster implements MasterFlavor {
    static final MySqlMaster INSTANCE = new MySqlMaster();

    private MySqlMaster() {
    }

    @Override
    public String greetingVersion(String version) {
        return version;
    }

    @Override
    public int greetingCollation() {
        return Collations.UTF8MB4_0900_AI_CI;
    }

    @Override
    public String defaultAuthPlugin() {
        return CachingSha2Password.PLUGIN_NAME;
    }

    @Override
    public void putStockDefaults(Map<String, String> v) {
        v.put("character_set_server", "utf8mb4");
        v.put("character_set_database", "utf8mb4");
        v.put("collation_server", "utf8mb4_0900_ai_ci");
        v.put("collation_database", "utf8mb4_0900_ai_ci");
        v.put("rpl_semi_sync_master_wait_point", "AFTER_SYNC");
        v.put("gtid_mode", "OFF");
        v.put("enforce_gtid_consistency", "OFF");
        v.put("binlog_transaction_compression", "OFF");
        v.put("rpl_semi_sync_source_timeout", "10000");
    }

    @Override
    public void putOwnVariables(Map<String, String> v, ServedMaster m, String semiSync) {
        m.serverUuid().ifPresent(u -> v.put("server_uuid", u.toString()));
        // 8.0.26 renamed the semi-sync variables; replicas of either age ask for their spelling
        v.put("rpl_semi_sync_source_enabled", semiSync);
        v.put("collation_connection", "utf8mb4_0900_ai_ci");
        v.put("sql_mode", "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
                + "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION");
    }

    @Override
    public Map<String, String> gtidVariables(ArchiveState archive, ServedMaster m)
            throws IOException, ArchiveException {
        Map<String, String> gtid = new HashMap<>();
        gtid.put("gtid_executed", archive.mysqlExecuted().toServerString());
        gtid.put("gtid_purged", archive.mysqlPurged().toServerString());
        if (!m.upstreamVariables().containsKey("gtid_mode")) {
            String mode = archive.derivedGtidMode();
            gtid.put("gtid_mode", mode);
            gtid.put("enforce_gtid_consistency", mode);
        }
        return gtid;
    }

    @Override
    public List<String> masterStatusColumns() {
        return List.of("File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB", "Executed_Gtid_Set");
    }

    @Override
    public List<String> masterStatusRow(BinlogPosition end, ArchiveState archive)
            throws IOException, ArchiveException {
        return List.of(end.file(), Long.toString(end.offset()), "", "", archive.mysqlExecuted().toServerString());
    }

    @Override
    public List<String> binaryLogsColumns() {
        return List.of("Log_name", "File_size", "Encrypted");
    }

    @Override
    public List<String> binaryLogsRow(ArchivedFile f) {
        return List.of(f.name(), Long.toString(f.size()), "No");
    }

    @Override
    public List<String> replicaHostsColumns(boolean newNames) {
        return newNames ? List.of("Server_Id", "Host", "Port", "Source_Id", "Replica_UUID")
                : List.of("Server_id", "Host", "Port", "Master_id", "Slave_UUID");
    }

    @Override
    public List<String> replicaHostsRow(RegisteredReplica r, long masterId) {
        return List.of(Long.toString(r.serverId()), r.host(), Integer.toString(r.port()), Long.toString(masterId),
                r.uuid());
    }

    @Override
    public void putReplicaStatusGtids(Map<String, String> v, ServedMaster m, ArchiveState archive)
            throws IOException, ArchiveException {
        v.put("Master_UUID", m.serverUuid().map(Object::toString).orElse(""));
        v.put("Retrieved_Gtid_Set", archive.mysqlExecuted().toServerString());
        v.put("Executed_Gtid_Set", archive.mysqlExecuted().toServerString());
        v.put("Auto_Position", "0");
    }
}
