package dev.binlogproxy.downstream.admin;

import java.util.List;

import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.packet.TextResultSet;

/** The replies the statements share. */
final class Replies {
    private Replies() {
    }

    static Reply ok() {
        return new Reply.Ok(0, "");
    }

    static Reply rows(List<String> columns, List<List<String>> rows) {
        return new Reply.Rows(TextResultSet.of(columns, rows));
    }

    /** ER_UNKNOWN_SYSTEM_VARIABLE: replicas read this code as "the master has no such feature". */
    static Reply unknownVariable(String name) {
        return new Reply.Error(ErrorCodes.ER_UNKNOWN_SYSTEM_VARIABLE, ErrorCodes.SQLSTATE_GENERAL,
                "Unknown system variable '" + name + "'");
    }

    /** ER_NOT_SUPPORTED_YET. */
    static Reply notSupported(String what) {
        return new Reply.Error(1235, "42000", "This version of binlog-proxy doesn't yet support '" + what + "'");
    }

    /** ER_SP_DOES_NOT_EXIST: what mysqld says for a function it does not have. */
    static Reply noSuchFunction(String name) {
        return new Reply.Error(1305, "42000", "FUNCTION " + name + " does not exist");
    }

    /** ER_UNKNOWN_COM_ERROR for a command byte the server does not know (the session stays). */
    static Reply unknownCommand() {
        return new Reply.Error(1047, ErrorCodes.SQLSTATE_COMMUNICATION, "Unknown command");
    }
}
