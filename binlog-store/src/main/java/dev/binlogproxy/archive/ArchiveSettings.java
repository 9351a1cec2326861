package dev.binlogproxy.archive;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How the proxy keeps its archive: where, how durably an acknowledged transaction is stored, how long files are
 * kept, and how much free space the archive's file system must keep (below it appends stop, see
 * {@link DiskFullException}).
 */
public record ArchiveSettings(Path dir, Durability durability, RetentionPolicy retention, long minFreeSpace) {
    /**
     * Appends stop while less than this is free: well above what one transaction and its index entries need, so
     * the index journal's memory mapping never meets a full disk (a fault there is an InternalError, not an
     * IOException), and what else shares the file system (logs) still has room.
     */
    public static final long DEFAULT_MIN_FREE_SPACE = 256L << 20;

    public ArchiveSettings {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(durability, "durability");
        Objects.requireNonNull(retention, "retention");
        if (minFreeSpace < 0) {
            throw new IllegalArgumentException("minFreeSpace: " + minFreeSpace + " (expected: >= 0)");
        }
    }

    public ArchiveSettings(Path dir, Durability durability, RetentionPolicy retention) {
        this(dir, durability, retention, DEFAULT_MIN_FREE_SPACE);
    }
}
