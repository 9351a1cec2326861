package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.BinlogFlavor;

import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * A master as the archive records it: for epoch 1 the first time the upstream connects, for each later epoch when
 * the archive adopts a new master ({@link MasterEpoch}, {@code archive.properties}).
 *
 * @param serverUuid MySQL's {@code @@server_uuid}; empty for MariaDB, which has none
 * @param serverId   the master's {@code @@server_id}
 * @param basename   the binlog basename ({@code mysql-bin} for {@code mysql-bin.000001}): the archive's files carry
 *                   the master's names, so a second basename could only come from another server or configuration
 */
public record UpstreamIdentity(BinlogFlavor flavor, Optional<UUID> serverUuid, long serverId, String basename) {
    public UpstreamIdentity {
        Objects.requireNonNull(flavor, "flavor");
        Objects.requireNonNull(serverUuid, "serverUuid");
        Objects.requireNonNull(basename, "basename");
        if (serverId < 0 || serverId > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("server_id: " + serverId + " (expected: 0..4294967295)");
        }
        if (basename.isEmpty() || basename.indexOf('/') >= 0 || basename.indexOf('\\') >= 0
                || basename.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("binlog basename: '" + basename + "' (expected a bare file name)");
        }
    }

    public static UpstreamIdentity mysql(UUID serverUuid, long serverId, String basename) {
        return new UpstreamIdentity(BinlogFlavor.MYSQL, Optional.of(serverUuid), serverId, basename);
    }

    public static UpstreamIdentity mariadb(long serverId, String basename) {
        return new UpstreamIdentity(BinlogFlavor.MARIADB, Optional.empty(), serverId, basename);
    }

    /** Why this upstream is not {@code recorded}, or empty if it is. */
    Optional<String> differenceFrom(UpstreamIdentity recorded) {
        if (recorded.flavor() != flavor) {
            return Optional.of("flavor " + flavor + ", archive holds " + recorded.flavor());
        }
        if (!recorded.serverUuid().equals(serverUuid)) {
            return Optional.of("server_uuid " + serverUuid.map(UUID::toString).orElse("(none)")
                    + ", archive holds " + recorded.serverUuid().map(UUID::toString).orElse("(none)"));
        }
        if (recorded.serverId() != serverId) {
            return Optional.of("server_id " + serverId + ", archive holds " + recorded.serverId());
        }
        if (!recorded.basename().equals(basename)) {
            return Optional.of("binlog basename '" + basename + "', archive holds '" + recorded.basename() + "'");
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return flavor + " server_id=" + serverId + serverUuid.map(u -> " server_uuid=" + u).orElse("")
                + " basename=" + basename;
    }
}
