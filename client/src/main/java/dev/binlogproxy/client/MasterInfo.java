package dev.binlogproxy.client;

import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;

import java.util.List;
import java.util.UUID;

/**
 * What a replica's pre-dump queries learned about its master ({@link ReplicaHandshake}).
 *
 * @param serverUuid MySQL's @@server_uuid; null on MariaDB
 * @param binlogs    SHOW BINARY LOGS, oldest first
 * @param semiSync   whether this dump negotiated semi-sync (every event packet then carries the 0xEF header)
 */
public record MasterInfo(BinlogFlavor flavor, String version, long serverId, UUID serverUuid,
                         ChecksumAlgorithm checksum, boolean semiSync, List<MasterLog> binlogs) {
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

    public boolean hasBinlog(String name) {
        return binlogs.stream().anyMatch(l -> l.name().equals(name));
    }
}
