package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.MySqlProtocolException;

/** A refusal a real master sends as ERR 1236 (ER_MASTER_FATAL_ERROR_READING_BINLOG, HY000); the dump ends. */
final class DumpRefusedException extends MySqlProtocolException {
    private static final long serialVersionUID = 1L;

    private DumpRefusedException(String message) {
        super(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, ErrorCodes.SQLSTATE_GENERAL, message);
    }

    static DumpRefusedException fatal(String message) {
        return new DumpRefusedException(message);
    }
}
