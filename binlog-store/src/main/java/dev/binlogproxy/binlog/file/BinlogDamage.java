package dev.binlogproxy.binlog.file;

/**
 * Why and where a binlog file stops being valid.
 *
 * @param offset the start of the first bad event (or of the bad magic): everything before it is intact
 */
public record BinlogDamage(Kind kind, long offset, String reason) {
    public enum Kind {
        /**
         * The damage reaches the end of the file (a partial event, or a last event whose checksum or position is
         * wrong): what a crash in the middle of a write leaves. Cutting the file at {@code offset} repairs it.
         */
        TRUNCATED_TAIL,
        /** Valid-looking data follows the bad event: the file is corrupt in the middle and must not be cut. */
        CORRUPT
    }

    @Override
    public String toString() {
        return kind + " at offset " + offset + ": " + reason;
    }
}
