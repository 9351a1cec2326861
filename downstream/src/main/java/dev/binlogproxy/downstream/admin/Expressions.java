package dev.binlogproxy.downstream.admin;

import java.io.IOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.downstream.admin.Statement.Expr;

/**
 * SELECT and SET: the values of literals, user variables, system variables and the few functions clients call
 * ({@code VERSION()}, {@code UNIX_TIMESTAMP()}, MariaDB's {@code BINLOG_GTID_POS()}, ...), and the assignments
 * clients make before a dump. A SET either changes everything it names or nothing, as in mysqld.
 */
final class Expressions {

    /** Session variables clients set that change nothing here; accepted (OK) and shown back. */
    private static final Set<String> SETTABLE = Set.of("autocommit", "sql_mode", "time_zone",
            "wait_timeout", "interactive_timeout", "net_read_timeout", "net_write_timeout", "net_buffer_length",
            "character_set_results", "character_set_client", "character_set_connection", "collation_connection",
            "sql_log_bin", "foreign_key_checks", "unique_checks", "sql_select_limit", "sql_auto_is_null",
            "transaction_isolation", "tx_isolation", "transaction_read_only", "tx_read_only", "skip_replication",
            "max_allowed_packet", "sql_safe_updates", "lc_messages", "group_concat_max_len", "session_track_schema",
            "session_track_system_variables", "session_track_state_change", "sql_quote_show_create",
            "gtid_domain_id", "server_id", "names", "max_execution_time", "long_query_time", "sql_notes",
            "innodb_lock_wait_timeout", "lock_wait_timeout", "binlog_format", "default_storage_engine",
            "explicit_defaults_for_timestamp", "sql_big_selects", "sql_buffer_result", "optimizer_switch");

    private final ServerInfo server;
    private final ClientSession session;
    private final SessionVariables variables;

    Expressions(ServerInfo server, ClientSession session, SessionVariables variables) {
        this.server = server;
        this.session = session;
        this.variables = variables;
    }

    Reply select(Statement.Select s) throws IOException, ArchiveException {
        List<String> columns = new ArrayList<>();
        List<String> row = new ArrayList<>();
        Map<String, String> vars = null;
        for (Statement.Item item : s.items()) {
            if (vars == null && needsVariables(item.expr())) {
                vars = systemVariables();
            }
            try {
                row.add(evaluate(item.expr(), vars));
            } catch (UnknownVariable e) {
                return Replies.unknownVariable(e.name);
            } catch (UnknownFunction e) {
                return Replies.noSuchFunction(e.getMessage());
            }
            columns.add(item.label());
        }
        List<List<String>> rows = new ArrayList<>();
        if (s.limit() != 0) {
            rows.add(row);
        }
        return Replies.rows(columns, rows);
    }

    Reply set(Statement.SetStatement s) throws IOException, ArchiveException {
        // Evaluate everything first: a failing item leaves the session unchanged, as in mysqld.
        List<Runnable> effects = new ArrayList<>();
        Map<String, String> vars = null;
        for (Statement.Assignment a : s.assignments()) {
            if (vars == null && needsVariables(a.value())) {
                vars = systemVariables();
            }
            String value;
            try {
                value = evaluate(a.value(), vars);
            } catch (UnknownVariable e) {
                return Replies.unknownVariable(e.name);
            } catch (UnknownFunction e) {
                return Replies.noSuchFunction(e.getMessage());
            }
            if (a.target() instanceof Statement.UserVarTarget u) {
                effects.add(() -> variables.setUser(u.name(), value));
            } else if (a.target() instanceof Statement.SysVarTarget t) {
                if (t.scope().equals("global")) {
                    return Reply.accessDenied("SUPER or SYSTEM_VARIABLES_ADMIN");
                }
                if (vars == null) {
                    vars = systemVariables();
                }
                if (!vars.containsKey(t.name()) && !SETTABLE.contains(t.name())) {
                    return Replies.unknownVariable(t.name());
                }
                String shown = SystemVariables.normalizeSet(t.name(), value);
                effects.add(() -> variables.setSystem(t.name(), shown));
            }
            // SET NAMES: connections are utf8mb4 whatever the client asks; the strings here are ASCII.
        }
        effects.forEach(Runnable::run);
        return Replies.ok();
    }

    /** Every system variable with this session's values; the GTID state read from the archive. */
    private Map<String, String> systemVariables() throws IOException, ArchiveException {
        return SystemVariables.current(server, session.master(), variables.systemVariables());
    }

    private static boolean needsVariables(Expr e) {
        if (e instanceof Statement.SysVarRef) {
            return true;
        }
        if (e instanceof Statement.Call c) {
            return c.args().stream().anyMatch(Expressions::needsVariables);
        }
        return false;
    }

    /** The value of {@code e}; throws {@link UnknownVariable} for a system variable the proxy lacks. */
    private String evaluate(Expr e, Map<String, String> vars) throws UnknownVariable, IOException, ArchiveException {
        if (e instanceof Statement.Literal l) {
            return l.value();
        } else if (e instanceof Statement.UserVarRef u) {
            return variables.user(u.name());
        } else if (e instanceof Statement.SysVarRef s) {
            Map<String, String> v = vars != null ? vars : systemVariables();
            String value = v.get(s.name());
            if (value == null && !v.containsKey(s.name())) {
                throw new UnknownVariable(s.name());
            }
            return SystemVariables.selectValue(s.name(), value);
        } else if (e instanceof Statement.Call c) {
            return call(c, vars);
        }
        throw new IllegalStateException("expression " + e);
    }

    private static final class UnknownVariable extends Exception {
        private static final long serialVersionUID = 1L;
        final String name;

        UnknownVariable(String name) {
            super(name, null, false, false);
            this.name = name;
        }
    }

    private static final class UnknownFunction extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnknownFunction(String name) {
            super(name, null, false, false);
        }
    }

    private String call(Statement.Call c, Map<String, String> vars) throws UnknownVariable, IOException,
            ArchiveException {
        switch (c.name()) {
            case "version":
                return session.master().version();
            case "unix_timestamp":
                return Long.toString(Instant.now().getEpochSecond());
            case "now":
            case "current_timestamp":
            case "localtime":
            case "sysdate":
                return LocalDateTime.now().withNano(0).toString().replace('T', ' ');
            case "utc_timestamp":
                return LocalDateTime.now(ZoneId.of("UTC")).withNano(0).toString().replace('T', ' ');
            case "database":
            case "schema":
                return null;
            case "user":
            case "current_user":
            case "session_user":
            case "system_user":
                return session.user() + "@" + session.clientHost();
            case "connection_id":
                return Long.toString(session.connectionId());
            case "last_insert_id":
            case "found_rows":
            case "row_count":
                return "0";
            case "binlog_gtid_pos":
                return binlogGtidPos(c, vars);
            default:
                throw new UnknownFunction(c.name());
        }
    }

    /**
     * MariaDB's BINLOG_GTID_POS(file, pos): the GTID position at that point of the binlog. The MariaDB IO thread
     * asks it in file/position mode and ignores errors, so only the archive's end is answered exactly.
     */
    private String binlogGtidPos(Statement.Call c, Map<String, String> vars) throws UnknownVariable, IOException,
            ArchiveException {
        if (c.args().size() != 2) {
            throw new UnknownFunction("binlog_gtid_pos");
        }
        String file = evaluate(c.args().get(0), vars);
        String pos = evaluate(c.args().get(1), vars);
        Optional<BinlogPosition> end = server.archive().end();
        if (end.isPresent() && end.get().file().equals(file) && Long.toString(end.get().offset()).equals(pos)) {
            return server.archive().mariaBinlogPosition().toString();
        }
        return null;
    }
}
