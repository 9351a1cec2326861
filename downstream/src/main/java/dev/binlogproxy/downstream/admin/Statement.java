package dev.binlogproxy.downstream.admin;

import java.util.List;

/** The statements the proxy answers, as {@link StatementParser} reads them. */
sealed interface Statement {

    /** A value: literal, variable or function call; evaluated by {@link Expressions}. */
    sealed interface Expr {
    }

    /** {@code value} null for SQL NULL. */
    record Literal(String value) implements Expr {
    }

    record UserVarRef(String name) implements Expr {
    }

    /** {@code scope}: "global", "session" or "" (session first, then global, like mysqld). */
    record SysVarRef(String scope, String name) implements Expr {
    }

    /** {@code name} lower-case. */
    record Call(String name, List<Expr> args) implements Expr {
    }

    /** One SELECT item and the column name mysqld would give it (the text, or the alias). */
    record Item(Expr expr, String label) {
    }

    /** {@code limit} -1 for none. */
    record Select(List<Item> items, long limit) implements Statement {
    }

    sealed interface Target {
    }

    record UserVarTarget(String name) implements Target {
    }

    record SysVarTarget(String scope, String name) implements Target {
    }

    /** SET NAMES / SET CHARACTER SET. */
    record CharsetTarget() implements Target {
    }

    record Assignment(Target target, Expr value) {
    }

    record SetStatement(List<Assignment> assignments) implements Statement {
    }

    /** SHOW [GLOBAL|SESSION] VARIABLES or STATUS; {@code like} a LIKE pattern, {@code names} an IN/= list. */
    record ShowVariables(boolean status, String like, List<String> names) implements Statement {
    }

    enum Admin { MASTER_STATUS, BINARY_LOGS, REPLICAS, REPLICA_STATUS, WARNINGS, DATABASES, PROCESSLIST, PROXY_STATUS }

    record Show(Admin what) implements Statement {
    }

    /** PURGE BINARY LOGS TO 'file' ({@code toFile}) or BEFORE 'datetime' ({@code before}). */
    record Purge(String toFile, String before) implements Statement {
    }

    record Kill(long connectionId, boolean queryOnly) implements Statement {
    }

    /** Accepted and answered with OK, changing nothing: USE, BEGIN, COMMIT, SET TRANSACTION, ... */
    record NoOp(String what) implements Statement {
    }
}
