package dev.binlogproxy.archive;

/**
 * {@link BinlogArchive#adopt} will not follow that master from that file: another flavor or binlog basename, or a
 * first file that does not continue the archive's numbering. The message says what was seen and what would be
 * accepted. Nothing was changed: the archive still follows its current master, and the adopt can be retried once
 * the new master fits (for the numbering: FLUSH BINARY LOGS on it until its current file is above the archive's
 * last).
 */
public final class AdoptRefusedException extends ArchiveException {
    AdoptRefusedException(String message) {
        super(message);
    }
}
