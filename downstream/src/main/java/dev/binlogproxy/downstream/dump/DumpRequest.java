package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;

import java.util.Objects;

/**
 * Everything a sender needs to know about the client, parsed by the session from the dump command and the
 * session variables the client set before it.
 *
 * @param start                  where to start
 * @param serverId               the client's server_id; 0 means non-blocking (EOF at the end), like a real master
 * @param flags                  raw dump flags: 0x01 BINLOG_DUMP_NON_BLOCK on both flavors; 0x02 means
 *                               "heartbeat v2 / through position" on MySQL and "send ANNOTATE_ROWS" on MariaDB
 * @param flavor                 the flavor the proxy serves (its upstream's)
 * @param clientChecksum         what the client announced via {@code @master_binlog_checksum} (or
 *                               {@code @source_binlog_checksum}); null if it never set it
 * @param heartbeatPeriodNanos   {@code @master_heartbeat_period}; 0 = no heartbeats
 * @param semiSync               the client set {@code @rpl_semi_sync_slave=1} after the proxy said semi-sync is on
 * @param mariadbSlaveCapability {@code @mariadb_slave_capability}, 0 if not set
 * @param skipReplication        MariaDB {@code SET skip_replication=1}: drop events flagged SKIP_REPLICATION
 */
public record DumpRequest(
        StartPoint start,
        long serverId,
        int flags,
        BinlogFlavor flavor,
        ChecksumAlgorithm clientChecksum,
        long heartbeatPeriodNanos,
        boolean semiSync,
        int mariadbSlaveCapability,
        boolean skipReplication) {

    /** Dump flag: end with EOF instead of waiting at the end of the binlog. */
    public static final int FLAG_NON_BLOCK = 0x01;
    /** Dump flag 0x02: MySQL BINLOG_THROUGH_POSITION (heartbeat v2 capable); MariaDB BINLOG_SEND_ANNOTATE_ROWS_EVENT. */
    public static final int FLAG_0X02 = 0x02;

    public DumpRequest {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(flavor, "flavor");
        if (heartbeatPeriodNanos < 0) {
            throw new IllegalArgumentException("heartbeatPeriodNanos " + heartbeatPeriodNanos + " < 0");
        }
    }

    /** A real master ends the dump with EOF at the end of the binlog for NON_BLOCK or server_id 0. */
    public boolean nonBlocking() {
        return (flags & FLAG_NON_BLOCK) != 0 || serverId == 0;
    }
}
