package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.BinlogFlavor;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;

/**
 * {@code archive.properties}: which master the directory mirrors. Small, human-readable (a DBA may look), and
 * replaced atomically so a crash never leaves half an identity that would then refuse the right master.
 */
final class IdentityFile {
    static final String NAME = "archive.properties";
    private static final int FORMAT = 1;

    private IdentityFile() {
    }

    static Optional<UpstreamIdentity> read(Path dir) throws IOException {
        Path file = dir.resolve(NAME);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
        try {
            int format = Integer.parseInt(require(p, file, "format"));
            if (format != FORMAT) {
                throw new IOException(file + ": format " + format + " (expected: " + FORMAT + ")");
            }
            BinlogFlavor flavor = BinlogFlavor.valueOf(require(p, file, "flavor"));
            String uuid = p.getProperty("server_uuid", "").strip();
            long serverId = Long.parseLong(require(p, file, "server_id"));
            return Optional.of(new UpstreamIdentity(flavor,
                    uuid.isEmpty() ? Optional.empty() : Optional.of(UUID.fromString(uuid)), serverId,
                    require(p, file, "basename")));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " is not a valid archive identity: " + e.getMessage(), e);
        }
    }

    static void write(Path dir, UpstreamIdentity id) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("# binlog-proxy archive: the master whose binlog files this directory mirrors.\n");
        sb.append("# Written once, when the proxy first connects; a different master is refused.\n");
        sb.append("format=").append(FORMAT).append('\n');
        sb.append("flavor=").append(id.flavor()).append('\n');
        sb.append("server_uuid=").append(id.serverUuid().map(UUID::toString).orElse("")).append('\n');
        sb.append("server_id=").append(id.serverId()).append('\n');
        sb.append("basename=").append(id.basename()).append('\n');
        Fsync.writeAtomically(dir.resolve(NAME), sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Why {@code actual} is not the recorded master, or empty if it is. */
    static Optional<String> mismatch(UpstreamIdentity recorded, UpstreamIdentity actual) {
        if (recorded.flavor() != actual.flavor()) {
            return Optional.of("flavor " + actual.flavor() + ", archive holds " + recorded.flavor());
        }
        if (!recorded.serverUuid().equals(actual.serverUuid())) {
            return Optional.of("server_uuid " + actual.serverUuid().map(UUID::toString).orElse("(none)")
                    + ", archive holds " + recorded.serverUuid().map(UUID::toString).orElse("(none)"));
        }
        if (recorded.serverId() != actual.serverId()) {
            return Optional.of("server_id " + actual.serverId() + ", archive holds " + recorded.serverId());
        }
        if (!recorded.basename().equals(actual.basename())) {
            return Optional.of("binlog basename '" + actual.basename() + "', archive holds '" + recorded.basename()
                    + "'");
        }
        return Optional.empty();
    }

    private static String require(Properties p, Path file, String key) throws IOException {
        String v = p.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IOException(file + ": missing " + key);
        }
        return v.strip();
    }
}
