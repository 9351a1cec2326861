package dev.binlogproxy.archive;

import java.nio.file.Path;

/**
 * An archived binlog file is corrupt in a way crash recovery must not repair: valid-looking data follows the damage,
 * so cutting the file could throw away transactions that were acknowledged. A person has to look at it (compare
 * with the master's copy, or restore it); the archive refuses to open until then.
 */
public final class ArchiveDamagedException extends ArchiveException {
    private final transient Path file;
    private final long offset;

    ArchiveDamagedException(Path file, long offset, String reason) {
        super(file + " is damaged at offset " + offset + ": " + reason
                + " (valid data follows, so it was not cut; compare it with the master's copy)");
        this.file = file;
        this.offset = offset;
    }

    public Path file() {
        return file;
    }

    public long offset() {
        return offset;
    }
}
