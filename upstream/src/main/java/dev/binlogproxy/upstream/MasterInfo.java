package dev.binlogproxy.upstream;

import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;

import java.util.List;
import java.util.UUID;

/**
 * What the pre-dump queries learned about the master.
 *
 * @param serverUuid MySQL's @@server_uuid; null on MariaDB
 * @param binlogs    SHOW BINARY LOGS, oldest first
 * @param semiSync   whether this dump negotiated semi-sync (every event packet then carries the 0xEF header)
 */
record MasterInfo(BinlogFlavor flavor, String version, long serverId, UUID serverUuid, ChecksumAlgorithm checksum,
                  boolean semiSync, List<MasterLog> binlogs) {
    /** One row of SHOW BINARY LOGS. */
    record MasterLog(String name, long size) {
    }

    MasterInfo {
        binlogs = List.copyOf(binlogs);
    }

    /** The basename of the master's binlog files ("mysql-bin" of mysql-bin.000042). */
    String basename() {
        String any = binlogs.isEmpty() ? null : binlogs.get(0).name();
        return any == null || any.lastIndexOf('.') < 0 ? null : any.substring(0, any.lastIndexOf('.'));
    }

    boolean hasBinlog(String name) {
        return binlogs.stream().anyMatch(l -> l.name().equals(name));
    }
}
