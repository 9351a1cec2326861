package dev.binlogproxy.downstream;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;

/**
 * The master the proxy impersonates, as replicas must see it: the upstream's flavor, version, server_id and
 * server_uuid (so that events and answers agree and a replica can move between proxies of one master), the
 * checksum of the archive's newest file, and the upstream's other global variables as last read from it.
 *
 * @param version           the version without MariaDB's {@code 5.5.5-} prefix, e.g. {@code 10.11.6-MariaDB-log}
 * @param serverUuid        MySQL's; empty for MariaDB
 * @param upstreamVariables the master's {@code SHOW GLOBAL VARIABLES}, lower-case names; empty when not read yet
 */
public record ServedMaster(BinlogFlavor flavor, String version, long serverId, Optional<UUID> serverUuid,
                           ChecksumAlgorithm checksum, Map<String, String> upstreamVariables) {

    public ServedMaster {
        upstreamVariables = Map.copyOf(upstreamVariables);
    }

    /** What the greeting says: MariaDB's version behind the {@code 5.5.5-} prefix its replicas need for GTID. */
    public String greetingVersion() {
        return flavor == BinlogFlavor.MARIADB && !version.startsWith("5.5.5-") ? "5.5.5-" + version : version;
    }

    public boolean isMariaDb() {
        return flavor == BinlogFlavor.MARIADB;
    }
}
