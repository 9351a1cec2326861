package dev.binlogproxy.client;

import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.MySqlProtocolException;
import dev.binlogproxy.protocol.packet.TextResultSet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * What a replica says to its master before the dump command, as real MySQL and MariaDB replicas say it
 * (protocol-notes section 2): its uuid, the heartbeat period, "send checksums as they are in the file", the MariaDB
 * capability, and the semi-sync handshake; and what it learns back ({@link MasterInfo}). Policy (which server_id is
 * acceptable, what an empty binlog list means) is the caller's.
 */
public final class ReplicaHandshake {
    private ReplicaHandshake() {
    }

    /**
     * @param replicaServerId the replica's own server_id (its uuid is derived from it, stable across restarts)
     * @param semiSync        negotiate semi-sync when the master has it; then every event packet of the dump
     *                        carries the 0xEF header and flagged events want an ACK
     * @param onNoSemiSync    told why semi-sync was asked for but not negotiated (null: ignore)
     */
    public static MasterInfo negotiate(ServerConnection conn, long replicaServerId, Duration heartbeat,
                                       boolean semiSync, Consumer<String> onNoSemiSync)
            throws IOException {
        BinlogFlavor flavor = conn.flavor();
        String version = conn.greeting().displayVersion();
        long serverId = Long.parseLong(conn.queryValue("SELECT @@GLOBAL.server_id"));
        String versionComment = conn.queryValue("SELECT @@GLOBAL.version_comment");
        UUID uuid = null;
        if (flavor == BinlogFlavor.MYSQL) {
            String u = conn.queryValue("SELECT @@GLOBAL.server_uuid");
            uuid = u == null ? null : UUID.fromString(u);
            UUID ours = UUID.nameUUIDFromBytes(("binlog-proxy:" + replicaServerId).getBytes(StandardCharsets.UTF_8));
            conn.query("SET @slave_uuid = '" + ours + "', @replica_uuid = '" + ours + "'");
        }
        long heartbeatNanos = heartbeat.toNanos();
        conn.query("SET @master_heartbeat_period = " + heartbeatNanos + ", @source_heartbeat_period = "
                + heartbeatNanos);
        ChecksumAlgorithm checksum = announceChecksums(conn);
        boolean negotiated = false;
        if (semiSync) {
            String enabled = conn.queryValue("SELECT @@global.rpl_semi_sync_master_enabled");
            if (enabled == null) {
                enabled = conn.queryValue("SELECT @@global.rpl_semi_sync_source_enabled");
            }
            if (enabled == null) {
                if (onNoSemiSync != null) {
                    onNoSemiSync.accept("the master has no semi-sync plugin");
                }
            } else {
                // the master negotiates per dump: after this every event packet carries the 0xEF header
                conn.query("SET @rpl_semi_sync_slave = 1, @rpl_semi_sync_replica = 1");
                negotiated = true;
                if (!"1".equals(enabled) && !"ON".equalsIgnoreCase(enabled) && onNoSemiSync != null) {
                    onNoSemiSync.accept("semi-sync is installed but disabled on the master (" + enabled
                            + "); acks are sent anyway");
                }
            }
        }
        return new MasterInfo(flavor, version, versionComment, serverId, uuid, checksum, negotiated, binaryLogs(conn));
    }

    /**
     * Asks for events as they are in the master's files: checksums as the file has them, and on MariaDB every GTID
     * event, GTID_LIST and BINLOG_CHECKPOINT (capability 4). Returns the checksum algorithm events will carry.
     */
    public static ChecksumAlgorithm announceChecksums(ServerConnection conn) throws IOException {
        conn.query("SET @master_binlog_checksum = @@global.binlog_checksum, "
                + "@source_binlog_checksum = @@global.binlog_checksum");
        String value = conn.queryValue("SELECT @master_binlog_checksum");
        if (conn.flavor() == BinlogFlavor.MARIADB) {
            // 4 = MARIA_SLAVE_CAPABILITY_GTID: GTID events, GTID_LIST and BINLOG_CHECKPOINT as they are in the file
            conn.query("SET @mariadb_slave_capability = 4");
        }
        return value == null ? ChecksumAlgorithm.OFF : ChecksumAlgorithm.ofVariable(value);
    }

    /** SHOW BINARY LOGS, oldest first; empty when binary logging is off. */
    public static List<MasterInfo.MasterLog> binaryLogs(ServerConnection conn) throws IOException {
        List<MasterInfo.MasterLog> logs = new ArrayList<>();
        TextResultSet rs;
        try {
            rs = conn.query("SHOW BINARY LOGS");
        } catch (MySqlProtocolException e) {
            if (e.errorCode() == ErrorCodes.ER_NO_BINARY_LOGGING) {
                return logs;
            }
            throw e;
        }
        for (List<String> row : rs.rows()) {
            logs.add(new MasterInfo.MasterLog(row.get(0), Long.parseLong(row.get(1))));
        }
        return logs;
    }
}
