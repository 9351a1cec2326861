package dev.binlogproxy.downstream.admin;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits a statement into tokens the way mysqld's lexer sees the few statements the proxy answers: case is
 * irrelevant for keywords, whitespace and comments are ignored, identifiers may be backticked, strings may use
 * either quote, and {@code /*!NNNNN ... *}{@code /} versioned comments count as code. Matching on tokens rather
 * than on text is what keeps "SELECT  @@GLOBAL.`server_id`" and "select @@global.server_id" the same query.
 */
final class SqlLexer {

    enum Kind { WORD, QUOTED_ID, STRING, NUMBER, USER_VAR, SYS_VAR, PUNCT, END }

    /**
     * One token. {@code text}: the keyword or identifier as written (WORD, QUOTED_ID), the unescaped string
     * (STRING), the digits (NUMBER), the variable name (USER_VAR, SYS_VAR), the character (PUNCT). {@code scope}:
     * for SYS_VAR, "global", "session" or "" for none. {@code start}/{@code end}: offsets in the statement, for
     * column names taken from the text.
     */
    record Token(Kind kind, String text, String scope, int start, int end) {
        boolean is(String keyword) {
            return kind == Kind.WORD && text.equalsIgnoreCase(keyword);
        }

        boolean isPunct(char c) {
            return kind == Kind.PUNCT && text.charAt(0) == c;
        }

        /** A WORD or backticked identifier, lower-cased. */
        String identifier() {
            return text.toLowerCase(Locale.ROOT);
        }

        boolean isIdentifier() {
            return kind == Kind.WORD || kind == Kind.QUOTED_ID;
        }
    }

    /** A statement the lexer cannot split: an unterminated string or comment. */
    static final class SyntaxException extends Exception {
        private static final long serialVersionUID = 1L;

        SyntaxException(String message) {
            super(message);
        }
    }

    private final String sql;
    private int pos;
    private final List<Token> tokens = new ArrayList<>();

    private SqlLexer(String sql) {
        this.sql = sql;
    }

    static List<Token> tokenize(String sql) throws SyntaxException {
        SqlLexer l = new SqlLexer(sql);
        l.run();
        return l.tokens;
    }

    private void run() throws SyntaxException {
        int n = sql.length();
        while (true) {
            skipSpaceAndComments();
            if (pos >= n) {
                tokens.add(new Token(Kind.END, "", "", n, n));
                return;
            }
            char c = sql.charAt(pos);
            int start = pos;
            if (c == '\'' || c == '"') {
                tokens.add(new Token(Kind.STRING, quoted(c), "", start, pos));
            } else if (c == '`') {
                tokens.add(new Token(Kind.QUOTED_ID, backticked(), "", start, pos));
            } else if (Character.isDigit(c) || (c == '.' && pos + 1 < n && Character.isDigit(sql.charAt(pos + 1)))) {
                while (pos < n && (Character.isLetterOrDigit(sql.charAt(pos)) || sql.charAt(pos) == '.')) {
                    pos++;
                }
                tokens.add(new Token(Kind.NUMBER, sql.substring(start, pos), "", start, pos));
            } else if (c == '@' && pos + 1 < n && sql.charAt(pos + 1) == '@') {
                pos += 2;
                sysVar(start);
            } else if (c == '@') {
                pos++;
                tokens.add(new Token(Kind.USER_VAR, variableName().toLowerCase(Locale.ROOT), "", start, pos));
            } else if (isWordChar(c)) {
                while (pos < n && isWordChar(sql.charAt(pos))) {
                    pos++;
                }
                tokens.add(new Token(Kind.WORD, sql.substring(start, pos), "", start, pos));
            } else if (c == ':' && pos + 1 < n && sql.charAt(pos + 1) == '=') {
                pos += 2;
                tokens.add(new Token(Kind.PUNCT, "=", "", start, pos));
            } else {
                pos++;
                tokens.add(new Token(Kind.PUNCT, String.valueOf(c), "", start, pos));
            }
        }
    }

    private void sysVar(int start) throws SyntaxException {
        String first = variableName();
        String scope = "";
        String name = first;
        String lower = first.toLowerCase(Locale.ROOT);
        if ((lower.equals("global") || lower.equals("session") || lower.equals("local"))
                && pos < sql.length() && sql.charAt(pos) == '.') {
            pos++;
            scope = lower.equals("global") ? "global" : "session";
            name = variableName();
        }
        tokens.add(new Token(Kind.SYS_VAR, name.toLowerCase(Locale.ROOT), scope, start, pos));
    }

    private String variableName() throws SyntaxException {
        if (pos >= sql.length()) {
            throw new SyntaxException("variable name expected at the end");
        }
        char c = sql.charAt(pos);
        if (c == '`') {
            return backticked();
        }
        if (c == '\'' || c == '"') {
            return quoted(c);
        }
        int start = pos;
        while (pos < sql.length() && (isWordChar(sql.charAt(pos)) || sql.charAt(pos) == '$')) {
            pos++;
        }
        if (start == pos) {
            throw new SyntaxException("variable name expected at offset " + start);
        }
        return sql.substring(start, pos);
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }

    private void skipSpaceAndComments() throws SyntaxException {
        int n = sql.length();
        while (pos < n) {
            char c = sql.charAt(pos);
            if (Character.isWhitespace(c) || c == ';') {
                // A trailing ';' is what the mysql CLI and scripts leave; statements are never batched here.
                pos++;
            } else if (c == '#' || (c == '-' && sql.startsWith("-- ", pos)) || sql.startsWith("--\n", pos)
                    || (c == '-' && pos + 2 == n && sql.startsWith("--", pos))) {
                while (pos < n && sql.charAt(pos) != '\n') {
                    pos++;
                }
            } else if (sql.startsWith("/*!", pos)) {
                // Versioned comment: its content is code (mysqldump and some drivers wrap statements in it).
                pos += 3;
                while (pos < n && Character.isDigit(sql.charAt(pos))) {
                    pos++;
                }
            } else if (sql.startsWith("*/", pos)) {
                pos += 2; // the end of a versioned comment
            } else if (sql.startsWith("/*", pos)) {
                int end = sql.indexOf("*/", pos + 2);
                if (end < 0) {
                    throw new SyntaxException("unterminated comment");
                }
                pos = end + 2;
            } else {
                return;
            }
        }
    }

    private String quoted(char quote) throws SyntaxException {
        StringBuilder out = new StringBuilder();
        pos++;
        int n = sql.length();
        while (pos < n) {
            char c = sql.charAt(pos++);
            if (c == quote) {
                if (pos < n && sql.charAt(pos) == quote) {
                    out.append(quote);
                    pos++;
                    continue;
                }
                return out.toString();
            }
            if (c == '\\' && pos < n) {
                char e = sql.charAt(pos++);
                switch (e) {
                    case 'n' -> out.append('\n');
                    case 't' -> out.append('\t');
                    case 'r' -> out.append('\r');
                    case '0' -> out.append('\0');
                    case 'Z' -> out.append('\u001A');
                    case 'b' -> out.append('\b');
                    default -> out.append(e);
                }
                continue;
            }
            out.append(c);
        }
        throw new SyntaxException("unterminated string");
    }

    private String backticked() throws SyntaxException {
        StringBuilder out = new StringBuilder();
        pos++;
        int n = sql.length();
        while (pos < n) {
            char c = sql.charAt(pos++);
            if (c == '`') {
                if (pos < n && sql.charAt(pos) == '`') {
                    out.append('`');
                    pos++;
                    continue;
                }
                return out.toString();
            }
            out.append(c);
        }
        throw new SyntaxException("unterminated quoted identifier");
    }
}
