package dev.binlogproxy.tiering;

import java.util.HexFormat;
import java.util.Objects;

/**
 * One archive file whose remote copy was uploaded and verified: what the upload record keeps, and what a copy
 * fetched back must match.
 *
 * @param name   the binlog file's name (the archive's, the master's)
 * @param size   its size in bytes (a closed file never changes)
 * @param sha256 SHA-256 of its bytes, 64 lower-case hex digits (also stored with the object as metadata)
 * @param key    the object's key in the bucket
 */
public record TieredFile(String name, long size, String sha256, String key) {
    public TieredFile {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(key, "key");
        if (size < 4) {
            throw new IllegalArgumentException(name + ": size " + size + " (a binlog file has at least its magic)");
        }
        if (sha256 == null || sha256.length() != 64 || !sha256.chars().allMatch(c -> HexFormat.isHexDigit(c)
                && !Character.isUpperCase(c))) {
            throw new IllegalArgumentException(name + ": sha256 " + sha256 + " (expected 64 lower-case hex digits)");
        }
        if (name.isEmpty() || key.isEmpty() || name.chars().anyMatch(Character::isWhitespace)
                || key.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("name and key must be non-empty, without white space: " + name
                    + " " + key);
        }
    }
}
