package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.MySqlProtocolException;

/** A refusal a real master sends as ERR 1236 (ER_MASTER_FATAL_ERROR_READING_BINLOG, HY000); the dump ends. */
final class DumpRefusedException extends MySqlProtocolException {
    private static final long serialVersionUID = 1L;

    /** Both masters' opening of the refusal for a client that cannot read the binlog's checksums. */
    static final String CHECKSUM_UNREADABLE = "Slave can not handle replication events with the checksum that master"
            + " is configured to log; ";

    /** The start lies before the archive's oldest file: a tiered file may hold it (see StartResolver). */
    private final boolean beforeTheArchive;

    private DumpRefusedException(String message, boolean beforeTheArchive) {
        super(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, ErrorCodes.SQLSTATE_GENERAL, message);
        this.beforeTheArchive = beforeTheArchive;
    }

    static DumpRefusedException fatal(String message) {
        return new DumpRefusedException(message, false);
    }

    /** A refusal because the replica needs transactions older than the archive's oldest listed file. */
    static DumpRefusedException beforeTheArchive(String message) {
        return new DumpRefusedException(message, true);
    }

    boolean isBeforeTheArchive() {
        return beforeTheArchive;
    }

    /** The tail MySQL and MariaDB put on binlog read errors (file names without the directory). */
    static String coordinates(String file, long first, long lastEvent, long lastByte) {
        return coordinates(file, first, file, lastEvent, lastByte);
    }

    static String coordinates(String firstFile, long first, String file, long lastEvent, long lastByte) {
        return "the first event '" + firstFile + "' at " + first + ", the last event read from '" + file + "' at "
                + lastEvent + ", the last byte read from '" + file + "' at " + lastByte + ".";
    }
}
