package dev.binlogproxy.downstream.admin;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.binlogproxy.downstream.admin.SqlLexer.Kind;
import dev.binlogproxy.downstream.admin.SqlLexer.Token;
import dev.binlogproxy.downstream.admin.Statement.Admin;
import dev.binlogproxy.downstream.admin.Statement.Expr;

/**
 * Recognises the statements replicas, binlog tools, drivers and the mysql CLI send a master (protocol-notes
 * sections 2 and 7), in their old and 8.4 spellings. Anything else is {@link Unsupported}: the session answers
 * ER_NOT_SUPPORTED_YET rather than pretending.
 */
final class StatementParser {

    /** Not a statement the proxy answers; the message says what was not understood. */
    static final class Unsupported extends Exception {
        private static final long serialVersionUID = 1L;

        Unsupported(String message) {
            super(message);
        }
    }

    private final String sql;
    private final List<Token> tokens;
    private int i;

    private StatementParser(String sql, List<Token> tokens) {
        this.sql = sql;
        this.tokens = tokens;
    }

    static Statement parse(String sql) throws Unsupported {
        List<Token> tokens;
        try {
            tokens = SqlLexer.tokenize(sql);
        } catch (SqlLexer.SyntaxException e) {
            throw new Unsupported(e.getMessage());
        }
        return new StatementParser(sql, tokens).statement();
    }

    private Token peek() {
        return tokens.get(i);
    }

    private Token peek(int ahead) {
        return tokens.get(Math.min(i + ahead, tokens.size() - 1));
    }

    private Token next() {
        Token t = tokens.get(i);
        if (t.kind() != Kind.END) {
            i++;
        }
        return t;
    }

    private boolean accept(String keyword) {
        if (peek().is(keyword)) {
            i++;
            return true;
        }
        return false;
    }

    private boolean acceptPunct(char c) {
        if (peek().isPunct(c)) {
            i++;
            return true;
        }
        return false;
    }

    private void expect(String keyword) throws Unsupported {
        if (!accept(keyword)) {
            throw unexpected(keyword);
        }
    }

    private void expectPunct(char c) throws Unsupported {
        if (!acceptPunct(c)) {
            throw unexpected("'" + c + "'");
        }
    }

    private void expectEnd() throws Unsupported {
        if (peek().kind() != Kind.END) {
            throw unexpected("the end of the statement");
        }
    }

    private Unsupported unexpected(String wanted) {
        Token t = peek();
        String near = t.kind() == Kind.END ? "the end" : "'" + sql.substring(t.start(), Math.min(sql.length(),
                t.start() + 40)) + "'";
        return new Unsupported("expected " + wanted + " near " + near);
    }

    private Statement statement() throws Unsupported {
        Token first = next();
        if (first.is("SELECT")) {
            return select();
        }
        if (first.is("SET")) {
            return set();
        }
        if (first.is("SHOW")) {
            return show();
        }
        if (first.is("PURGE")) {
            return purge();
        }
        if (first.is("KILL")) {
            boolean query = accept("QUERY");
            if (!query) {
                accept("CONNECTION");
            }
            Token id = next();
            if (id.kind() != Kind.NUMBER) {
                throw new Unsupported("KILL needs a connection id");
            }
            expectEnd();
            return new Statement.Kill(parseLong(id.text()), query);
        }
        if (first.is("USE") || first.is("BEGIN") || first.is("COMMIT") || first.is("ROLLBACK")
                || (first.is("START") && peek().is("TRANSACTION")) || first.is("DO")) {
            return new Statement.NoOp(first.text().toUpperCase(Locale.ROOT));
        }
        if (first.kind() == Kind.END) {
            throw new Unsupported("empty query");
        }
        throw new Unsupported("statement " + first.text().toUpperCase(Locale.ROOT));
    }

    // ------------------------------------------------------------------ SELECT

    private Statement select() throws Unsupported {
        List<Statement.Item> items = new ArrayList<>();
        do {
            int start = peek().start();
            Expr e = expression();
            int end = tokens.get(i - 1).end();
            String label = sql.substring(start, end);
            if (accept("AS")) {
                label = alias();
            } else if (peek().kind() == Kind.QUOTED_ID || peek().kind() == Kind.STRING
                    || (peek().kind() == Kind.WORD && !isClauseKeyword(peek()))) {
                label = alias();
            }
            items.add(new Statement.Item(e, label));
        } while (acceptPunct(','));
        if (accept("FROM")) {
            expect("DUAL");
        }
        long limit = -1;
        if (accept("LIMIT")) {
            Token n = next();
            if (n.kind() != Kind.NUMBER) {
                throw unexpected("a number after LIMIT");
            }
            limit = parseLong(n.text());
        }
        expectEnd();
        return new Statement.Select(items, limit);
    }

    private static boolean isClauseKeyword(Token t) {
        return t.is("FROM") || t.is("LIMIT") || t.is("WHERE");
    }

    private String alias() throws Unsupported {
        Token t = next();
        if (t.kind() == Kind.WORD || t.kind() == Kind.QUOTED_ID || t.kind() == Kind.STRING) {
            return t.text();
        }
        throw unexpected("an alias");
    }

    private Expr expression() throws Unsupported {
        Token t = next();
        switch (t.kind()) {
            case STRING:
                return new Statement.Literal(t.text());
            case NUMBER:
                return new Statement.Literal(t.text());
            case USER_VAR:
                return new Statement.UserVarRef(t.text());
            case SYS_VAR:
                return new Statement.SysVarRef(t.scope(), t.text());
            case PUNCT:
                if (t.isPunct('-') && peek().kind() == Kind.NUMBER) {
                    return new Statement.Literal("-" + next().text());
                }
                if (t.isPunct('(')) {
                    Expr inner = expression();
                    expectPunct(')');
                    return inner;
                }
                break;
            case WORD:
                if (t.is("NULL")) {
                    return new Statement.Literal(null);
                }
                if (t.is("TRUE") || t.is("ON")) {
                    return new Statement.Literal("1");
                }
                if (t.is("FALSE")) {
                    return new Statement.Literal("0");
                }
                String name = t.text().toLowerCase(Locale.ROOT);
                if (acceptPunct('(')) {
                    List<Expr> args = new ArrayList<>();
                    if (!acceptPunct(')')) {
                        do {
                            args.add(expression());
                        } while (acceptPunct(','));
                        expectPunct(')');
                    }
                    return new Statement.Call(name, args);
                }
                if (name.equals("current_timestamp") || name.equals("current_user") || name.equals("localtime")
                        || name.equals("utc_timestamp")) {
                    return new Statement.Call(name, List.of());
                }
                // A bare word is a value in SET (SET sql_mode = TRADITIONAL); elsewhere a column we lack.
                return new Statement.Literal(t.text());
            default:
                break;
        }
        i--;
        throw unexpected("an expression");
    }

    // ------------------------------------------------------------------ SET

    private Statement set() throws Unsupported {
        if (accept("TRANSACTION")) {
            return new Statement.NoOp("SET TRANSACTION");
        }
        List<Statement.Assignment> assignments = new ArrayList<>();
        String defaultScope = "";
        do {
            if (peek().is("GLOBAL") || peek().is("SESSION") || peek().is("LOCAL")) {
                String s = next().identifier();
                defaultScope = s.equals("global") ? "global" : "session";
            }
            Token t = next();
            if (t.is("NAMES") || (t.is("CHARACTER") && accept("SET")) || t.is("CHARSET")) {
                Expr cs = expression();
                if (accept("COLLATE")) {
                    expression();
                }
                assignments.add(new Statement.Assignment(new Statement.CharsetTarget(), cs));
                continue;
            }
            Statement.Target target;
            if (t.kind() == Kind.USER_VAR) {
                target = new Statement.UserVarTarget(t.text());
            } else if (t.kind() == Kind.SYS_VAR) {
                target = new Statement.SysVarTarget(t.scope().isEmpty() ? defaultScope : t.scope(), t.text());
            } else if (t.isIdentifier()) {
                String name = t.identifier();
                // SET SESSION.x is not SQL, but "SET x.y" (a component variable) is: keep the dotted name.
                if (peek().isPunct('.') && peek(1).isIdentifier()) {
                    next();
                    name = name + "." + next().identifier();
                }
                target = new Statement.SysVarTarget(defaultScope, name);
            } else {
                i--;
                throw unexpected("a variable");
            }
            expectPunct('=');
            assignments.add(new Statement.Assignment(target, expression()));
        } while (acceptPunct(','));
        expectEnd();
        return new Statement.SetStatement(assignments);
    }

    // ------------------------------------------------------------------ SHOW

    private Statement show() throws Unsupported {
        if (accept("GLOBAL") || accept("SESSION") || accept("LOCAL")) {
            if (!peek().is("VARIABLES") && !peek().is("STATUS")) {
                throw unexpected("VARIABLES or STATUS");
            }
        }
        if (accept("VARIABLES")) {
            return showVariables(false);
        }
        if (peek().is("STATUS")) {
            next();
            return showVariables(true);
        }
        if (accept("MASTER")) {
            if (accept("STATUS")) {
                return end(new Statement.Show(Admin.MASTER_STATUS));
            }
            expect("LOGS");
            return end(new Statement.Show(Admin.BINARY_LOGS));
        }
        if (accept("BINLOG")) {
            // the proxy's own: SHOW BINLOG PROXY STATUS (no server has a statement of that name)
            expect("PROXY");
            expect("STATUS");
            return end(new Statement.Show(Admin.PROXY_STATUS));
        }
        if (accept("BINARY")) {
            if (accept("LOG")) {
                expect("STATUS");
                return end(new Statement.Show(Admin.MASTER_STATUS));
            }
            expect("LOGS");
            return end(new Statement.Show(Admin.BINARY_LOGS));
        }
        if (accept("REPLICAS")) {
            return end(new Statement.Show(Admin.REPLICAS));
        }
        if (accept("ALL")) {
            // MariaDB: SHOW ALL SLAVES STATUS (one row per connection name; the proxy has one upstream)
            if (!accept("SLAVES") && !accept("REPLICAS")) {
                throw unexpected("SLAVES");
            }
            expect("STATUS");
            return end(new Statement.Show(Admin.REPLICA_STATUS));
        }
        if (accept("SLAVE") || accept("REPLICA")) {
            if (accept("HOSTS")) {
                return end(new Statement.Show(Admin.REPLICAS));
            }
            expect("STATUS");
            return end(new Statement.Show(Admin.REPLICA_STATUS));
        }
        if (accept("WARNINGS") || accept("ERRORS")) {
            if (accept("LIMIT")) {
                next();
            }
            return end(new Statement.Show(Admin.WARNINGS));
        }
        if (accept("DATABASES") || accept("SCHEMAS")) {
            return end(new Statement.Show(Admin.DATABASES));
        }
        if (accept("FULL")) {
            expect("PROCESSLIST");
            return end(new Statement.Show(Admin.PROCESSLIST));
        }
        if (accept("PROCESSLIST")) {
            return end(new Statement.Show(Admin.PROCESSLIST));
        }
        throw unexpected("a SHOW the proxy answers");
    }

    private Statement end(Statement s) throws Unsupported {
        expectEnd();
        return s;
    }

    private Statement showVariables(boolean status) throws Unsupported {
        if (accept("LIKE")) {
            String pattern = string();
            expectEnd();
            return new Statement.ShowVariables(status, pattern, null);
        }
        if (accept("WHERE")) {
            Token column = next();
            if (!column.isIdentifier() || !column.identifier().equals("variable_name")) {
                throw new Unsupported("SHOW VARIABLES WHERE supports Variable_name only");
            }
            if (accept("LIKE")) {
                String pattern = string();
                expectEnd();
                return new Statement.ShowVariables(status, pattern, null);
            }
            List<String> names = new ArrayList<>();
            if (acceptPunct('=')) {
                names.add(string().toLowerCase(Locale.ROOT));
            } else {
                expect("IN");
                expectPunct('(');
                do {
                    names.add(string().toLowerCase(Locale.ROOT));
                } while (acceptPunct(','));
                expectPunct(')');
            }
            expectEnd();
            return new Statement.ShowVariables(status, null, names);
        }
        expectEnd();
        return new Statement.ShowVariables(status, null, null);
    }

    private String string() throws Unsupported {
        Token t = next();
        if (t.kind() != Kind.STRING) {
            i--;
            throw unexpected("a quoted string");
        }
        return t.text();
    }

    // ------------------------------------------------------------------ PURGE

    private Statement purge() throws Unsupported {
        if (!accept("BINARY")) {
            expect("MASTER");
        }
        expect("LOGS");
        if (accept("TO")) {
            String file = string();
            expectEnd();
            return new Statement.Purge(file, null);
        }
        expect("BEFORE");
        Token t = next();
        String when;
        if (t.kind() == Kind.STRING) {
            when = t.text();
        } else if (t.is("NOW") && acceptPunct('(') && acceptPunct(')')) {
            when = "now";
        } else {
            i--;
            throw unexpected("a 'YYYY-MM-DD hh:mm:ss' date");
        }
        expectEnd();
        return new Statement.Purge(null, when);
    }

    private static long parseLong(String digits) throws Unsupported {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new Unsupported("not an integer: " + digits);
        }
    }
}
