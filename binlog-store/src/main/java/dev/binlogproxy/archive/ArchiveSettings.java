package dev.binlogproxy.archive;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How the proxy keeps its archive: where, how durably an acknowledged transaction is stored, and how long files
 * are kept.
 */
public record ArchiveSettings(Path dir, Durability durability, RetentionPolicy retention) {
    public ArchiveSettings {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(durability, "durability");
        Objects.requireNonNull(retention, "retention");
    }
}
