package dev.binlogproxy.downstream.admin;

import dev.binlogproxy.downstream.login.Permission;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.downstream.admin.Statement.Admin;

/**
 * SHOW: variables and status, and the replication statements in their old and 8.4 spellings (binlogs, replicas,
 * the proxy's own replication from its master), with the columns of the served flavor's {@link MasterFlavor}.
 */
final class ShowStatements {
    private final ServerInfo server;
    private final ClientSession session;
    private final SessionVariables variables;

    ShowStatements(ServerInfo server, ClientSession session, SessionVariables variables) {
        this.server = server;
        this.session = session;
        this.variables = variables;
    }

    Reply variables(Statement.ShowVariables s) throws IOException, ArchiveException {
        Map<String, String> vars = new TreeMap<>(SystemVariables.current(server, session.master(),
                variables.systemVariables()));
        return nameValueRows(vars, s);
    }

    Reply status(Statement.ShowVariables s) {
        Map<String, String> status = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        status.putAll(server.status());
        return nameValueRows(status, s);
    }

    private static Reply nameValueRows(Map<String, String> values, Statement.ShowVariables s) {
        Pattern like = s.like() == null ? null : QueryHandler.likePattern(s.like());
        List<List<String>> rows = new ArrayList<>();
        for (Map.Entry<String, String> e : values.entrySet()) {
            String name = e.getKey();
            if (like != null && !like.matcher(name).matches()) {
                continue;
            }
            if (s.names() != null && !s.names().contains(name.toLowerCase(Locale.ROOT))) {
                continue;
            }
            rows.add(Arrays.asList(name, e.getValue() == null ? "" : e.getValue()));
        }
        return Replies.rows(List.of("Variable_name", "Value"), rows);
    }

    /** @param sql the statement's text: SHOW REPLICAS and SHOW REPLICA STATUS name their columns the 8.4 way */
    Reply show(Admin what, String sql) throws IOException, ArchiveException {
        ServedMaster m = session.master();
        MasterFlavor flavor = m.presentation();
        switch (what) {
            case MASTER_STATUS: {
                Optional<BinlogPosition> end = server.archive().end();
                List<List<String>> rows = new ArrayList<>();
                if (end.isPresent()) {
                    rows.add(flavor.masterStatusRow(end.get(), server.archive()));
                }
                return Replies.rows(flavor.masterStatusColumns(), rows);
            }
            case BINARY_LOGS: {
                List<List<String>> rows = new ArrayList<>();
                for (ArchivedFile f : server.archive().archive().files()) {
                    rows.add(flavor.binaryLogsRow(f));
                }
                return Replies.rows(flavor.binaryLogsColumns(), rows);
            }
            case REPLICAS: {
                List<List<String>> rows = new ArrayList<>();
                long served = server.servedServerId(m);
                for (RegisteredReplica r : server.replicas()) {
                    rows.add(flavor.replicaHostsRow(r, r.masterId() == 0 ? served : r.masterId()));
                }
                return Replies.rows(flavor.replicaHostsColumns(mentions(sql, "REPLICAS")), rows);
            }
            case REPLICA_STATUS:
                return replicaStatus(m, mentions(sql, "REPLICA"));
            case WARNINGS:
                return Replies.rows(List.of("Level", "Code", "Message"), List.of());
            case DATABASES:
                return Replies.rows(List.of("Database"), List.of(List.of("information_schema")));
            case PROCESSLIST: {
                List<List<String>> rows = new ArrayList<>();
                for (ClientSession s : server.sessions()) {
                    rows.add(Arrays.asList(Long.toString(s.connectionId()), s.user(), s.clientHost(), null,
                            s.command(), "0", s.state(), null));
                }
                return Replies.rows(List.of("Id", "User", "Host", "db", "Command", "Time", "State", "Info"), rows);
            }
            case PROXY_STATUS: {
                if (!session.may(Permission.ADMIN)) {
                    return Reply.accessDenied("SUPER or PROCESS");
                }
                ProxyStatus st = server.proxyStatus();
                if (st == null) {
                    return Replies.rows(List.of("Role"), List.of());
                }
                // checks the failover candidates now: connections that may take seconds, so off the event loop
                return new Reply.Later(() -> {
                    ProxyStatus.Table t = st.now();
                    return Replies.rows(t.columns(), t.rows());
                });
            }
            default:
                throw new IllegalStateException("show " + what);
        }
    }

    private static boolean mentions(String sql, String word) {
        return sql.toUpperCase(Locale.ROOT).contains(word);
    }

    /** The proxy's own replication from its master, in SHOW SLAVE STATUS's columns (MySQL 8.0 order). */
    private Reply replicaStatus(ServedMaster m, boolean newNames) throws IOException, ArchiveException {
        UpstreamStatus u = server.upstream();
        ArchiveState archive = server.archive();
        Map<String, String> v = new LinkedHashMap<>();
        if (u != null) {
            Optional<BinlogPosition> end = archive.end();
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
            v.put("Relay_Log_Space", Long.toString(archive.archive().files().stream()
                    .mapToLong(ArchivedFile::size).sum()));
            v.put("Seconds_Behind_Master", u.secondsBehind().map(String::valueOf).orElse(null));
            v.put("Last_IO_Errno", u.lastError().isPresent() ? "2003" : "0");
            v.put("Last_IO_Error", u.lastError().orElse(""));
            v.put("Last_SQL_Errno", "0");
            v.put("Last_SQL_Error", "");
            v.put("Master_Server_Id", Long.toString(m.serverId()));
            m.presentation().putReplicaStatusGtids(v, m, archive);
        }
        List<String> cols = new ArrayList<>();
        for (String k : v.isEmpty() ? List.of("Slave_IO_State", "Master_Host") : v.keySet()) {
            cols.add(newNames ? k.replace("Slave", "Replica").replace("Master", "Source") : k);
        }
        List<List<String>> rows = new ArrayList<>();
        if (!v.isEmpty()) {
            rows.add(new ArrayList<>(v.values()));
        }
        return Replies.rows(cols, rows);
    }
}
