package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.position.BinlogPosition;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;

/**
 * {@code archive.properties}: the masters the directory mirrors, one epoch each ({@link Epochs}). Small and
 * human-readable (a DBA may look), and replaced whole and atomically ({@link Fsync#writeAtomically}: temp file,
 * fsync, rename, directory fsync), so a crash leaves the old history or the new one, never a mix that would refuse
 * the right master or accept a wrong one. The history is a few lines that change once per failover; rewriting it
 * whole is simpler to get right than appending records with checksums, and needs no repair at open.
 *
 * <p>Format 2 (what this class writes):
 * <pre>
 * format=2
 * epochs=2
 * epoch.1.flavor=MYSQL
 * epoch.1.server_uuid=727bccb0-e5ab-11f1-bc13-02fc00000001
 * epoch.1.server_id=11
 * epoch.1.basename=mysql-bin
 * epoch.2.flavor=MYSQL
 * epoch.2.server_uuid=735908cf-e5ab-11f1-bb57-02fc00000001
 * epoch.2.server_id=12
 * epoch.2.basename=mysql-bin
 * epoch.2.first_file=mysql-bin.000011
 * epoch.2.previous_end=mysql-bin.000009:1234
 * epoch.2.previous_last_gtid=727bccb0-e5ab-11f1-bc13-02fc00000001:57
 * </pre>
 * {@code server_uuid} is empty for MariaDB; {@code first_file} is absent for epoch 1 only; {@code previous_end} and
 * {@code previous_last_gtid} may be absent (see {@link MasterEpoch.Handover}).
 *
 * <p>Format 1 (one master: {@code flavor}, {@code server_uuid}, {@code server_id}, {@code basename}) is read as
 * epoch 1 and stays as it is until the first adopt rewrites the file as format 2. So an archive that never had a
 * failover can still be opened by an older proxy; one that had can not (an older proxy refuses format 2 instead of
 * treating the new master as a stranger or the old one as current).
 */
final class EpochsFile {
    static final String NAME = "archive.properties";
    private static final int LEGACY_FORMAT = 1;
    private static final int FORMAT = 2;

    private EpochsFile() {
    }

    /** The recorded history; {@link Epochs#NONE} if no master was recorded yet. */
    static Epochs read(Path dir) throws IOException {
        Path file = dir.resolve(NAME);
        if (!Files.exists(file)) {
            return Epochs.NONE;
        }
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
        try {
            int format = Integer.parseInt(require(p, file, "format"));
            if (format == LEGACY_FORMAT) {
                return Epochs.first(identity(p, file, ""));
            }
            if (format != FORMAT) {
                throw new IOException(file + ": format " + format + " (expected: " + LEGACY_FORMAT + " or " + FORMAT
                        + "; written by a newer binlog-proxy?)");
            }
            int count = Integer.parseInt(require(p, file, "epochs"));
            List<MasterEpoch> epochs = new ArrayList<>();
            for (int n = 1; n <= count; n++) {
                String prefix = "epoch." + n + ".";
                Optional<String> first = optional(p, prefix + "first_file");
                Optional<String> end = optional(p, prefix + "previous_end");
                Optional<MasterEpoch.Handover> handover = end.map(e -> new MasterEpoch.Handover(
                        BinlogPosition.parse(e), optional(p, prefix + "previous_last_gtid")));
                epochs.add(new MasterEpoch(n, identity(p, file, prefix), first, handover));
            }
            return new Epochs(epochs);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " is not a valid archive history: " + e.getMessage(), e);
        }
    }

    static void write(FileLayer layer, Path dir, Epochs epochs) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("# binlog-proxy archive: the masters whose binlog files this directory mirrors, oldest first.\n");
        sb.append("# Epoch 1 is the master the archive was created for; each later epoch is a master adopted at a\n");
        sb.append("# failover, which owns the files from its first_file on. previous_end is where the archive's\n");
        sb.append("# data ended when that epoch began, previous_last_gtid the last transaction archived before it.\n");
        sb.append("# Replaced whole and atomically by the proxy; do not edit.\n");
        sb.append("format=").append(FORMAT).append('\n');
        sb.append("epochs=").append(epochs.list().size()).append('\n');
        for (MasterEpoch e : epochs.list()) {
            String prefix = "epoch." + e.number() + ".";
            UpstreamIdentity id = e.master();
            put(sb, prefix + "flavor", id.flavor().name());
            put(sb, prefix + "server_uuid", id.serverUuid().map(UUID::toString).orElse(""));
            put(sb, prefix + "server_id", Long.toString(id.serverId()));
            put(sb, prefix + "basename", id.basename());
            if (e.firstFile().isPresent()) {
                put(sb, prefix + "first_file", e.firstFile().get());
            }
            if (e.handover().isPresent()) {
                put(sb, prefix + "previous_end", e.handover().get().previousEnd().toString());
                if (e.handover().get().lastGtid().isPresent()) {
                    put(sb, prefix + "previous_last_gtid", e.handover().get().lastGtid().get());
                }
            }
        }
        Fsync.writeAtomically(layer, dir.resolve(NAME), sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void put(StringBuilder sb, String key, String value) {
        // Properties would read a backslash, a line break or surrounding blanks differently from how they were
        // written; no name, UUID or number a server reports has them.
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == '\\' || (c == ' ' && (i == 0 || i == value.length() - 1))) {
                throw new IllegalArgumentException(key + ": '" + value + "' cannot be recorded in " + NAME);
            }
        }
        sb.append(key).append('=').append(value).append('\n');
    }

    private static UpstreamIdentity identity(Properties p, Path file, String prefix) throws IOException {
        BinlogFlavor flavor = BinlogFlavor.valueOf(require(p, file, prefix + "flavor"));
        String uuid = p.getProperty(prefix + "server_uuid", "").strip();
        long serverId = Long.parseLong(require(p, file, prefix + "server_id"));
        return new UpstreamIdentity(flavor, uuid.isEmpty() ? Optional.empty() : Optional.of(UUID.fromString(uuid)),
                serverId, require(p, file, prefix + "basename"));
    }

    private static Optional<String> optional(Properties p, String key) {
        String v = p.getProperty(key);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.strip());
    }

    private static String require(Properties p, Path file, String key) throws IOException {
        String v = p.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IOException(file + ": missing " + key);
        }
        return v.strip();
    }
}
