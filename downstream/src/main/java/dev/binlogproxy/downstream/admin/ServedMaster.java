package dev.binlogproxy.downstream.admin;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.protocol.packet.HandshakeV10;

/**
 * The master the proxy impersonates, as replicas must see it: the upstream's flavor, version, server_id and
 * server_uuid (so that events and answers agree and a replica can move between proxies of one master), the
 * checksum of the archive's newest file, and the upstream's other global variables as last read from it. How a
 * master of that flavor presents itself (greeting, variables, SHOW columns) is its {@link MasterFlavor}.
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

    /**
     * This master with the configured version (server.version) in place of its own, so that greeting and
     * {@code @@version} agree; a MariaDB version configured with its {@code 5.5.5-} prefix is shown without it.
     */
    public ServedMaster withConfiguredVersion(String configured) {
        if (configured == null) {
            return this;
        }
        String shown = configured.startsWith(HandshakeV10.MARIADB_VERSION_PREFIX) && configured.contains("MariaDB")
                ? configured.substring(HandshakeV10.MARIADB_VERSION_PREFIX.length()) : configured;
        return new ServedMaster(flavor, shown, serverId, serverUuid, checksum, upstreamVariables);
    }

    /** What the greeting says: MariaDB's version behind the {@code 5.5.5-} prefix its replicas need for GTID. */
    public String greetingVersion() {
        return presentation().greetingVersion(version);
    }

    /** The greeting's character set: the flavor's utf8mb4 default collation. */
    public int greetingCollation() {
        return presentation().greetingCollation();
    }

    /** The plugin the greeting offers, the flavor's default: what its replicas expect first. */
    public String defaultAuthPlugin() {
        return presentation().defaultAuthPlugin();
    }

    MasterFlavor presentation() {
        return MasterFlavor.of(flavor);
    }
}
