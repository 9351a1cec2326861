package dev.binlogproxy.archive;

import java.time.Duration;
import java.util.Objects;

/**
 * When {@link BinlogArchive#purge} may delete old files. A file goes when any limit says so; files go oldest first
 * and only as a prefix (like PURGE BINARY LOGS), so the archive never gets holes. The newest file and any file a
 * reader is in are never deleted, whatever the limits say.
 *
 * @param maxAge        delete files last written longer ago than this; null for no age limit
 * @param maxTotalBytes keep the archive at most this big; 0 for no size limit
 * @param maxFiles      keep at most this many files; 0 for no count limit
 */
public record RetentionPolicy(Duration maxAge, long maxTotalBytes, int maxFiles) {
    public RetentionPolicy {
        if (maxAge != null && maxAge.isNegative()) {
            throw new IllegalArgumentException("maxAge: " + maxAge + " (expected: >= 0)");
        }
        if (maxTotalBytes < 0) {
            throw new IllegalArgumentException("maxTotalBytes: " + maxTotalBytes + " (expected: >= 0, 0 = no limit)");
        }
        if (maxFiles < 0) {
            throw new IllegalArgumentException("maxFiles: " + maxFiles + " (expected: >= 0, 0 = no limit)");
        }
    }

    /** Keeps everything. */
    public static RetentionPolicy keepAll() {
        return new RetentionPolicy(null, 0, 0);
    }

    /** No limit set: nothing is ever purged. */
    public boolean keepsAll() {
        return maxAge == null && maxTotalBytes == 0 && maxFiles == 0;
    }

    public RetentionPolicy withMaxAge(Duration age) {
        return new RetentionPolicy(Objects.requireNonNull(age, "age"), maxTotalBytes, maxFiles);
    }

    RetentionPolicy withMaxTotalBytes(long bytes) {
        return new RetentionPolicy(maxAge, bytes, maxFiles);
    }

    public RetentionPolicy withMaxFiles(int files) {
        return new RetentionPolicy(maxAge, maxTotalBytes, files);
    }
}
