package dev.binlogproxy.client;

import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;

import java.util.List;
import java.util.UUID;

/**
 * What a replica's pre-dump queries learned about its master ({@link ReplicaHandshake}).
 *
 * @param serverUuid MySQL's @@server_uuid; null on MariaDB
 * @param versionComment its @@version_comment ({@link #BINLOG_PROXY} when the master is a binlog proxy); null when
 *                       it has none
 * @param binlogs    SHOW BINARY LOGS, oldest first
 * @param semiSync   whether this dump negotiated semi-sync (every event packet then carries the 0xEF header)
 */
public record MasterInfo(BinlogFlavor flavor, String version, String versionComment, long serverId,
                         UUID serverUuid, ChecksumAlgorithm checksum, boolean semiSync, List<MasterLog> binlogs) {
    /** The @@version_comment a binlog proxy answers with, whatever its upstream's is. */
    public static final String BINLOG_PROXY = "binlog-proxy";

    /** One row of SHOW BINARY LOGS. */
    public record MasterLog(String name, long size) {
    }

    public MasterInfo {
        binlogs = List.copyOf(binlogs);
    }

    /** The basename of the master's binlog files ("mysql-bin" of mysql-bin.000042). */
    public String basename() {
        String any = binlogs.isEmpty() ? null : binlogs.get(0).name();
        return any == null || any.lastIndexOf('.') < 0 ? null : any.substring(0, any.lastIndexOf('.'));
    }

    /** The master's newest binlog file: where it writes now. */
    public MasterLog current() {
        return binlogs.get(binlogs.size() - 1);
    }

    /**
     * Whether this master is a binlog proxy (a mirror of some master, with the same file names): such a master
     * can be behind another mirror of the same history for a while, where a real master never is.
     */
    public boolean isBinlogProxy() {
        return BINLOG_PROXY.equals(versionComment);
    }

    public boolean hasBinlog(String name) {
        return binlogs.stream().anyMatch(l -> l.name().equals(name));
    }
}
