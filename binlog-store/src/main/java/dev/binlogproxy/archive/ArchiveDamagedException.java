package dev.binlogproxy.archive;

import java.nio.file.Path;

/**
 * An archived binlog file is damaged in a way crash recovery must not repair: the newest listed file's
 * FORMAT_DESCRIPTION does not read (recovery keeps only files whose head it can read; damage past the head is cut,
 * see {@link Recovery}). A person has to look at it (compare with the master's copy, or restore it); the archive
 * refuses to open until then.
 */
public final class ArchiveDamagedException extends ArchiveException {
    private final transient Path file;
    private final long offset;

    ArchiveDamagedException(Path file, long offset, String reason) {
        super(file + " is damaged at offset " + offset + ": " + reason
                + " (not repaired at open; compare it with the master's copy)");
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
