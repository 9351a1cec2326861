package dev.binlogproxy.downstream;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.archive.RetentionPolicy;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.downstream.Statement.Admin;
import dev.binlogproxy.downstream.Statement.Expr;
import dev.binlogproxy.protocol.ErrorCodes;

/**
 * Answers the statements {@link StatementParser} recognises, for one session: SELECT of variables and a few
 * functions, SET (user variables and the session variables clients set), SHOW VARIABLES/STATUS and the admin
 * statements (binlogs, replicas, the proxy's own replication, PURGE). Runs on the session's event loop.
 */
final class QueryHandler {
    private static final Logger log = LoggerFactory.getLogger(QueryHandler.class);
    private static final DateTimeFormatter DATETIME = DateTimeFormatter.ofPattern("yyyy-MM-dd[ HH:mm[:ss]]");

    /** Session variables clients set that change nothing here; accepted (OK) and shown back. */
    private static final java.util.Set<String> SETTABLE = java.util.Set.of("autocommit", "sql_mode", "time_zone",
            "wait_timeout", "interactive_timeout", "net_read_timeout", "net_write_timeout", "net_buffer_length",
            "character_set_results", "character_set_client", "character_set_connection", "collation_connection",
            "sql_log_bin", "foreign_key_checks", "unique_checks", "sql_select_limit", "sql_auto_is_null",
            "transaction_isolation", "tx_isolation", "transaction_read_only", "tx_read_only", "skip_replication",
            "max_allowed_packet", "sql_safe_updates", "lc_messages", "group_concat_max_len", "session_track_schema",
            "session_track_system_variables", "session_track_state_change", "sql_quote_show_create",
            "gtid_domain_id", "server_id", "names", "max_execution_time", "long_query_time", "sql_notes",
            "innodb_lock_wait_timeout", "lock_wait_timeout", "binlog_format", "default_storage_engine",
            "explicit_defaults_for_timestamp", "sql_big_selects", "sql_buffer_result", "optimizer_switch");

    private final DownstreamServer server;
    private final Session session;

    QueryHandler(DownstreamServer server, Session session) {
        this.server = server;
        this.session = session;
    }

    Reply execute(String sql) {
        Statement st;
        try {
            st = StatementParser.parse(sql);
        } catch (StatementParser.Unsupported e) {
            log.info("session {}: unsupported query '{}': {}", session.connectionId(), abbreviate(sql),
                    e.getMessage());
            return Reply.notSupported(abbreviate(sql));
        }
        try {
            return execute(st);
        } catch (IOException | ArchiveException e) {
            log.warn("session {}: '{}' failed: {}", session.connectionId(), abbreviate(sql), e.toString());
            return new Reply.Error(1105, ErrorCodes.SQLSTATE_GENERAL, "binlog-proxy: " + e.getMessage());
        }
    }

    private static String abbreviate(String sql) {
        String s = sql.strip();
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    private Reply execute(Statement st) throws IOException, ArchiveException {
        if (st instanceof Statement.Select s) {
            return select(s);
        } else if (st instanceof Statement.SetStatement s) {
            return set(s);
        } else if (st instanceof Statement.ShowVariables s) {
            return s.status() ? showStatus(s) : showVariables(s);
        } else if (st instanceof Statement.Show s) {
            return show(s.what());
        } else if (st instanceof Statement.Purge p) {
            return purge(p);
        } else if (st instanceof Statement.Kill k) {
            return kill(k);
        } else if (st instanceof Statement.NoOp) {
            return Reply.ok();
        }
        throw new IllegalStateException("statement " + st);
    }

    // ------------------------------------------------------------------ variables and expressions

    /** Every system variable with this session's values; the GTID state read from the archive. */
    private Map<String, String> variables() throws IOException, ArchiveException {
        ServedMaster m = session.master();
        ArchiveState state = server.archiveState();
        Map<String, String> gtid = new HashMap<>();
        if (m.isMariaDb()) {
            String pos = state.mariaBinlogPosition().toString();
            gtid.put("gtid_binlog_pos", pos);
            gtid.put("gtid_current_pos", pos);
            gtid.put("gtid_binlog_state", pos);
        } else {
            gtid.put("gtid_executed", state.mysqlExecuted().toServerString());
            gtid.put("gtid_purged", state.mysqlPurged().toServerString());
            if (!m.upstreamVariables().containsKey("gtid_mode")) {
                String mode = state.derivedGtidMode();
                gtid.put("gtid_mode", mode);
                gtid.put("enforce_gtid_consistency", mode);
            }
        }
        return SystemVariables.all(m, server, gtid, session.variables().system());
    }

    /** The value of {@code e}; throws {@link UnknownVariable} for a system variable the proxy lacks. */
    private String evaluate(Expr e, Map<String, String> vars) throws UnknownVariable, IOException, ArchiveException {
        if (e instanceof Statement.Literal l) {
            return l.value();
        } else if (e instanceof Statement.UserVarRef u) {
            return session.variables().user(u.name());
        } else if (e instanceof Statement.SysVarRef s) {
            Map<String, String> v = vars != null ? vars : variables();
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
        ServedMaster m = session.master();
        switch (c.name()) {
            case "version":
                return m.version();
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
        Optional<BinlogPosition> end = server.archiveState().end();
        if (end.isPresent() && end.get().file().equals(file) && Long.toString(end.get().offset()).equals(pos)) {
            return server.archiveState().mariaBinlogPosition().toString();
        }
        return null;
    }

    private Reply select(Statement.Select s) throws IOException, ArchiveException {
        List<String> columns = new ArrayList<>();
        List<String> row = new ArrayList<>();
        Map<String, String> vars = null;
        for (Statement.Item item : s.items()) {
            if (vars == null && needsVariables(item.expr())) {
                vars = variables();
            }
            try {
                row.add(evaluate(item.expr(), vars));
            } catch (UnknownVariable e) {
                return Reply.unknownVariable(e.name);
            } catch (UnknownFunction e) {
                // ER_SP_DOES_NOT_EXIST: what mysqld says for a function it does not have
                return new Reply.Error(1305, "42000", "FUNCTION " + e.getMessage() + " does not exist");
            }
            columns.add(item.label());
        }
        List<List<String>> rows = new ArrayList<>();
        if (s.limit() != 0) {
            rows.add(row);
        }
        return new Reply.Rows(dev.binlogproxy.protocol.packet.TextResultSet.of(columns, rows));
    }

    private static boolean needsVariables(Expr e) {
        if (e instanceof Statement.SysVarRef) {
            return true;
        }
        if (e instanceof Statement.Call c) {
            return c.args().stream().anyMatch(QueryHandler::needsVariables);
        }
        return false;
    }

    private Reply set(Statement.SetStatement s) throws IOException, ArchiveException {
        // Evaluate everything first: a failing item leaves the session unchanged, as in mysqld.
        List<Runnable> effects = new ArrayList<>();
        Map<String, String> vars = null;
        for (Statement.Assignment a : s.assignments()) {
            if (vars == null && needsVariables(a.value())) {
                vars = variables();
            }
            String value;
            try {
                value = evaluate(a.value(), vars);
            } catch (UnknownVariable e) {
                return Reply.unknownVariable(e.name);
            } catch (UnknownFunction e) {
                return new Reply.Error(1305, "42000", "FUNCTION " + e.getMessage() + " does not exist");
            }
            if (a.target() instanceof Statement.UserVarTarget u) {
                effects.add(() -> session.variables().setUser(u.name(), value));
            } else if (a.target() instanceof Statement.SysVarTarget t) {
                if (t.scope().equals("global")) {
                    return Reply.accessDenied("SUPER or SYSTEM_VARIABLES_ADMIN");
                }
                if (vars == null) {
                    vars = variables();
                }
                if (!vars.containsKey(t.name()) && !SETTABLE.contains(t.name())) {
                    return Reply.unknownVariable(t.name());
                }
                String shown = SystemVariables.normalizeSet(t.name(), value);
                effects.add(() -> session.variables().setSystem(t.name(), shown));
            }
            // SET NAMES: connections are utf8mb4 whatever the client asks; the strings here are ASCII.
        }
        effects.forEach(Runnable::run);
        return Reply.ok();
    }

    private Reply showVariables(Statement.ShowVariables s) throws IOException, ArchiveException {
        Map<String, String> vars = new java.util.TreeMap<>(variables());
        return nameValueRows(vars, s);
    }

    private Reply showStatus(Statement.ShowVariables s) {
        Map<String, String> status = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        status.putAll(server.status());
        return nameValueRows(status, s);
    }

    private static Reply nameValueRows(Map<String, String> values, Statement.ShowVariables s) {
        Pattern like = s.like() == null ? null : likePattern(s.like());
        List<List<String>> rows = new ArrayList<>();
        for (Map.Entry<String, String> e : values.entrySet()) {
            String name = e.getKey();
            if (like != null && !like.matcher(name).matches()) {
                continue;
            }
            if (s.names() != null && !s.names().contains(name.toLowerCase(Locale.ROOT))) {
                continue;
            }
            rows.add(java.util.Arrays.asList(name, e.getValue() == null ? "" : e.getValue()));
        }
        return Reply.rows(List.of("Variable_name", "Value"), rows);
    }

    /** SQL LIKE as a case-insensitive regex: % any run, _ one character, backslash escapes. */
    static Pattern likePattern(String like) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < like.length(); i++) {
            char c = like.charAt(i);
            if (c == '\\' && i + 1 < like.length()) {
                re.append(Pattern.quote(String.valueOf(like.charAt(++i))));
            } else if (c == '%') {
                re.append(".*");
            } else if (c == '_') {
                re.append('.');
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    }

    // ------------------------------------------------------------------ admin

    private Reply show(Admin what) throws IOException, ArchiveException {
        ServedMaster m = session.master();
        switch (what) {
            case MASTER_STATUS: {
                Optional<BinlogPosition> end = server.archiveState().end();
                List<String> cols = new ArrayList<>(List.of("File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB"));
                if (!m.isMariaDb()) {
                    cols.add("Executed_Gtid_Set");
                }
                List<List<String>> rows = new ArrayList<>();
                if (end.isPresent()) {
                    List<String> row = new ArrayList<>(List.of(end.get().file(), Long.toString(end.get().offset()),
                            "", ""));
                    if (!m.isMariaDb()) {
                        row.add(server.archiveState().mysqlExecuted().toServerString());
                    }
                    rows.add(row);
                }
                return Reply.rows(cols, rows);
            }
            case BINARY_LOGS: {
                List<String> cols = new ArrayList<>(List.of("Log_name", "File_size"));
                if (!m.isMariaDb()) {
                    cols.add("Encrypted");
                }
                List<List<String>> rows = new ArrayList<>();
                for (ArchivedFile f : server.archiveState().archive().files()) {
                    List<String> row = new ArrayList<>(List.of(f.name(), Long.toString(f.size())));
                    if (!m.isMariaDb()) {
                        row.add("No");
                    }
                    rows.add(row);
                }
                return Reply.rows(cols, rows);
            }
            case REPLICAS: {
                boolean maria = m.isMariaDb();
                boolean newNames = session.lastQueryMentions("REPLICAS");
                List<String> cols = new ArrayList<>(newNames
                        ? List.of("Server_Id", "Host", "Port", "Source_Id", "Replica_UUID")
                        : List.of("Server_id", "Host", "Port", "Master_id", "Slave_UUID"));
                if (maria) {
                    cols.remove(cols.size() - 1);
                }
                List<List<String>> rows = new ArrayList<>();
                long served = server.servedServerId(m);
                for (RegisteredReplica r : server.replicas()) {
                    List<String> row = new ArrayList<>(List.of(Long.toString(r.serverId()), r.host(),
                            Integer.toString(r.port()), Long.toString(r.masterId() == 0 ? served : r.masterId())));
                    if (!maria) {
                        row.add(r.uuid());
                    }
                    rows.add(row);
                }
                return Reply.rows(cols, rows);
            }
            case REPLICA_STATUS:
                return replicaStatus(m);
            case WARNINGS:
                return Reply.rows(List.of("Level", "Code", "Message"), List.of());
            case DATABASES:
                return Reply.rows(List.of("Database"), List.of(List.of("information_schema")));
            case PROCESSLIST: {
                List<List<String>> rows = new ArrayList<>();
                for (Session s : server.sessions()) {
                    rows.add(java.util.Arrays.asList(Long.toString(s.connectionId()), s.user(), s.clientHost(), null,
                            s.command(), "0", s.state(), null));
                }
                return Reply.rows(List.of("Id", "User", "Host", "db", "Command", "Time", "State", "Info"), rows);
            }
            default:
                throw new IllegalStateException("show " + what);
        }
    }

    /** The proxy's own replication from its master, in SHOW SLAVE STATUS's columns (MySQL 8.0 order). */
    private Reply replicaStatus(ServedMaster m) throws IOException, ArchiveException {
        UpstreamStatus u = server.upstream();
        boolean newNames = session.lastQueryMentions("REPLICA");
        Map<String, String> v = new LinkedHashMap<>();
        if (u != null) {
            Optional<BinlogPosition> end = server.archiveState().end();
            String file = end.map(BinlogPosition::file).orElse("");
            String pos = end.map(p -> Long.toString(p.offset())).orElse("4");
            String io = u.streaming() ? "Yes" : (u.lastError().isPresent() ? "No" : "Connecting");
            v.put("Slave_IO_State", u.state());
            v.put("Master_Host", u.host());
            v.put("Master_User", u.user());
            v.put("Master_Port", Integer.toString(u.port()));
            v.put("Connect_Retry", Long.toString(u.connectRetrySeconds()));
            v.put("Master_Log_File", file);
            v.put("Read_Master_Log_Pos", pos);
            v.put("Relay_Log_File", file);
            v.put("Relay_Log_Pos", pos);
            v.put("Relay_Master_Log_File", file);
            v.put("Slave_IO_Running", io);
            // The archive applies nothing: "SQL thread" is the archive writer, running whenever the IO side is.
            v.put("Slave_SQL_Running", u.lastError().isPresent() ? "No" : "Yes");
            v.put("Replicate_Do_DB", "");
            v.put("Replicate_Ignore_DB", "");
            v.put("Last_Errno", "0");
            v.put("Last_Error", "");
            v.put("Skip_Counter", "0");
            v.put("Exec_Master_Log_Pos", pos);
            v.put("Relay_Log_Space", Long.toString(server.archiveState().archive().files().stream()
                    .mapToLong(ArchivedFile::size).sum()));
            v.put("Seconds_Behind_Master", u.secondsBehind().map(String::valueOf).orElse(null));
            v.put("Last_IO_Errno", u.lastError().isPresent() ? "2003" : "0");
            v.put("Last_IO_Error", u.lastError().orElse(""));
            v.put("Last_SQL_Errno", "0");
            v.put("Last_SQL_Error", "");
            v.put("Master_Server_Id", Long.toString(m.serverId()));
            if (!m.isMariaDb()) {
                v.put("Master_UUID", m.serverUuid().map(Object::toString).orElse(""));
                v.put("Retrieved_Gtid_Set", server.archiveState().mysqlExecuted().toServerString());
                v.put("Executed_Gtid_Set", server.archiveState().mysqlExecuted().toServerString());
                v.put("Auto_Position", "0");
            } else {
                v.put("Using_Gtid", "No");
                v.put("Gtid_IO_Pos", server.archiveState().mariaBinlogPosition().toString());
            }
        }
        List<String> cols = new ArrayList<>();
        for (String k : v.isEmpty() ? List.of("Slave_IO_State", "Master_Host") : v.keySet()) {
            cols.add(newNames ? k.replace("Slave", "Replica").replace("Master", "Source") : k);
        }
        List<List<String>> rows = new ArrayList<>();
        if (!v.isEmpty()) {
            rows.add(new ArrayList<>(v.values()));
        }
        return Reply.rows(cols, rows);
    }

    private Reply purge(Statement.Purge p) throws IOException {
        if (!session.may(Permission.ADMIN)) {
            return Reply.accessDenied("SUPER or BINLOG_ADMIN");
        }
        List<ArchivedFile> files = server.archiveState().archive().files();
        RetentionPolicy policy;
        int wanted;
        if (p.toFile() != null) {
            int index = -1;
            for (int k = 0; k < files.size(); k++) {
                if (files.get(k).name().equals(p.toFile())) {
                    index = k;
                }
            }
            if (index < 0) {
                // ER_UNKNOWN_TARGET_BINLOG
                return new Reply.Error(1373, ErrorCodes.SQLSTATE_GENERAL, "Target log not found in binlog index");
            }
            wanted = index;
            policy = RetentionPolicy.keepAll().withMaxFiles(files.size() - index);
        } else {
            Instant before;
            if (p.before().equals("now")) {
                before = Instant.now();
            } else {
                try {
                    before = LocalDateTime.parse(p.before().trim(), DATETIME).atZone(ZoneId.systemDefault())
                            .toInstant();
                } catch (DateTimeParseException e) {
                    // ER_WRONG_ARGUMENTS
                    return new Reply.Error(1210, ErrorCodes.SQLSTATE_GENERAL, "Incorrect arguments to PURGE LOGS BEFORE");
                }
            }
            Duration age = Duration.between(before, Instant.now());
            if (age.isNegative()) {
                age = Duration.ZERO;
            }
            policy = RetentionPolicy.keepAll().withMaxAge(age);
            wanted = -1;
        }
        List<String> purged = server.archiveState().archive().purge(policy);
        log.info("session {} ({}): PURGE purged {}", session.connectionId(), session.user(), purged);
        if (wanted > 0 && purged.size() < wanted) {
            // Like mysqld: purge what can go, warn about the file a reader holds.
            return new Reply.Ok(1, "kept " + files.get(purged.size()).name() + " and later: a dump is reading it");
        }
        return Reply.ok();
    }

    private Reply kill(Statement.Kill k) {
        Session target = server.session(k.connectionId());
        if (target == null) {
            // ER_NO_SUCH_THREAD
            return new Reply.Error(1094, ErrorCodes.SQLSTATE_GENERAL, "Unknown thread id: " + k.connectionId());
        }
        if (!target.user().equals(session.user()) && !session.may(Permission.ADMIN)) {
            // ER_KILL_DENIED_ERROR
            return new Reply.Error(1095, ErrorCodes.SQLSTATE_GENERAL, "You are not owner of thread "
                    + k.connectionId());
        }
        target.kill();
        return Reply.ok();
    }
}
