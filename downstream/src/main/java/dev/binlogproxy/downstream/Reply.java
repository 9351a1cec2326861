package dev.binlogproxy.downstream;

import java.util.List;

import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.packet.TextResultSet;

/** The answer to one query. */
sealed interface Reply {

    record Ok(int warnings, String info) implements Reply {
    }

    record Rows(TextResultSet resultSet) implements Reply {
    }

    record Error(int code, String sqlState, String message) implements Reply {
    }

    static Reply ok() {
        return new Ok(0, "");
    }

    static Reply rows(List<String> columns, List<List<String>> rows) {
        return new Rows(TextResultSet.of(columns, rows));
    }

    /** ER_UNKNOWN_SYSTEM_VARIABLE: replicas read this code as "the master has no such feature". */
    static Reply unknownVariable(String name) {
        return new Error(ErrorCodes.ER_UNKNOWN_SYSTEM_VARIABLE, ErrorCodes.SQLSTATE_GENERAL,
                "Unknown system variable '" + name + "'");
    }

    /** ER_SPECIFIC_ACCESS_DENIED_ERROR. */
    static Reply accessDenied(String privilege) {
        return new Error(1227, "42000", "Access denied; you need (at least one of) the " + privilege
                + " privilege(s) for this operation");
    }

    /** ER_NOT_SUPPORTED_YET. */
    static Reply notSupported(String what) {
        return new Error(1235, "42000", "This version of binlog-proxy doesn't yet support '" + what + "'");
    }
}
