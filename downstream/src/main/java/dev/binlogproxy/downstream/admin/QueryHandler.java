package dev.binlogproxy.downstream.admin;

import java.io.IOException;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.packet.ComQuery;
import dev.binlogproxy.protocol.packet.Commands;

import io.netty.buffer.ByteBuf;

/**
 * Answers what one session's client sends outside login and replication: COM_QUERY with the statements {@link
 * StatementParser} recognises, and the small commands (ping, reset, statistics, ...). A statement family each:
 * {@link Expressions} (SELECT, SET), {@link ShowStatements} (SHOW), {@link AdminStatements} (PURGE, KILL). Runs on
 * the session's event loop.
 */
public final class QueryHandler {
    private static final Logger log = LoggerFactory.getLogger(QueryHandler.class);
    private static final int COM_FIELD_LIST = 0x04;
    private static final int COM_STATISTICS = 0x09;
    private static final int COM_SET_OPTION = 0x1B;
    private static final int COM_RESET_CONNECTION = 0x1F;

    private final ServerInfo server;
    private final ClientSession session;
    private final SessionVariables variables = new SessionVariables();
    private final Expressions expressions;
    private final ShowStatements shows;
    private final AdminStatements admin;

    public QueryHandler(ServerInfo server, ClientSession session) {
        this.server = server;
        this.session = session;
        this.expressions = new Expressions(server, session, variables);
        this.shows = new ShowStatements(server, session, variables);
        this.admin = new AdminStatements(server, session);
    }

    /** This connection's variables (a dump request reads what the client set). */
    public SessionVariables variables() {
        return variables;
    }

    /**
     * The reply to a command that is not a login, COM_QUIT, COM_REGISTER_SLAVE or a dump; an unknown one gets
     * ER_UNKNOWN_COM_ERROR and the session stays.
     *
     * @throws dev.binlogproxy.protocol.MySqlProtocolException for a command body that does not decode
     */
    public Reply answer(int command, ByteBuf payload) {
        switch (command) {
            case Commands.COM_QUERY: {
                String sql = ComQuery.decode(payload).query();
                log.debug("session {}: {}", session.connectionId(), sql);
                return query(sql);
            }
            case Commands.COM_PING:
            case Commands.COM_INIT_DB:
                return Replies.ok();
            case COM_RESET_CONNECTION:
                variables.resetSystem();
                return Replies.ok();
            case COM_SET_OPTION:
                return new Reply.Eof();
            case COM_FIELD_LIST:
                return new Reply.NoColumns(); // no tables here
            case COM_STATISTICS:
                return new Reply.Text("Uptime: " + server.uptimeSeconds() + "  Threads: " + server.sessions().size()
                        + "  Questions: 0  Slow queries: 0  Opens: 0  Open tables: 0  Queries per second avg: 0");
            default:
                return Replies.unknownCommand();
        }
    }

    Reply query(String sql) {
        Statement st;
        try {
            st = StatementParser.parse(sql);
        } catch (StatementParser.Unsupported e) {
            log.info("session {}: unsupported query '{}': {}", session.connectionId(), abbreviate(sql),
                    e.getMessage());
            return Replies.notSupported(abbreviate(sql));
        }
        try {
            return execute(st, sql);
        } catch (IOException | ArchiveException e) {
            log.warn("session {}: '{}' failed: {}", session.connectionId(), abbreviate(sql), e.toString());
            return new Reply.Error(1105, ErrorCodes.SQLSTATE_GENERAL, "binlog-proxy: " + e.getMessage());
        }
    }

    private static String abbreviate(String sql) {
        String s = sql.strip();
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    private Reply execute(Statement st, String sql) throws IOException, ArchiveException {
        if (st instanceof Statement.Select s) {
            return expressions.select(s);
        } else if (st instanceof Statement.SetStatement s) {
            return expressions.set(s);
        } else if (st instanceof Statement.ShowVariables s) {
            return s.status() ? shows.status(s) : shows.variables(s);
        } else if (st instanceof Statement.Show s) {
            return shows.show(s.what(), sql);
        } else if (st instanceof Statement.Purge p) {
            // deletes files (and with tiering may wait for their verified copies): off the event loop
            return new Reply.Later(() -> admin.purge(p));
        } else if (st instanceof Statement.Kill k) {
            return admin.kill(k);
        } else if (st instanceof Statement.NoOp) {
            return Replies.ok();
        }
        throw new IllegalStateException("statement " + st);
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
}
