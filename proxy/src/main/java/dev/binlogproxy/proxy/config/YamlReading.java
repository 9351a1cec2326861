package dev.binlogproxy.proxy.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Reads the configuration's YAML into a tree. Errors say where (line and column) and what, never the text of the
 * line: the line may hold a password (an unclosed quote is usually in one), and the parser's own messages quote
 * it. A key given twice is an error naming its dotted path: YAML parsers keep the last silently, which hides
 * the mistake of the one the operator edited.
 */
final class YamlReading {
    private static final String FILE_KEY = "(file)";

    private YamlReading() {
    }

    static JsonNode read(String yaml) throws ConfigException {
        YAMLFactory factory = YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
        try {
            return new ObjectMapper(factory).readTree(yaml);
        } catch (JsonProcessingException e) {
            throw describe(e);
        }
    }

    private static ConfigException describe(JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException y) {
            // SnakeYAML's problem and context are fixed phrases ("found unexpected end of stream", "while scanning
            // a quoted scalar"); its getMessage() adds the offending line, which is left out
            Mark m = y.getProblemMark() != null ? y.getProblemMark() : y.getContextMark();
            String where = m == null ? "" : " at line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1);
            String what = (y.getContext() == null ? "" : y.getContext() + ": ")
                    + (y.getProblem() == null ? "syntax error" : y.getProblem());
            return new ConfigException(FILE_KEY, "not valid YAML" + where + ": " + what.replace('\n', ' '));
        }
        JsonLocation loc = e.getLocation();
        String where = loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
        String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        if (message.startsWith("Duplicate field") && e.getProcessor() instanceof JsonParser p) {
            return new ConfigException(dottedPath(p.getParsingContext()), "given twice" + where
                    + "; YAML would silently keep the last one");
        }
        // Jackson's other messages quote the value ("Malformed numeric value '...'"): say where only
        return new ConfigException(FILE_KEY, "not valid YAML" + where + ": a value that cannot be read as written"
                + " (quote it)");
    }

    /** The dotted key of the parser's position, as the rest of the configuration errors name keys. */
    private static String dottedPath(JsonStreamContext context) {
        Deque<JsonStreamContext> rootFirst = new ArrayDeque<>();
        for (JsonStreamContext c = context; c != null; c = c.getParent()) {
            rootFirst.push(c);
        }
        StringBuilder sb = new StringBuilder();
        for (JsonStreamContext c : rootFirst) {
            if (c.inObject() && c.getCurrentName() != null) {
                sb.append(sb.length() == 0 ? "" : ".").append(c.getCurrentName());
            } else if (c.inArray()) {
                sb.append('[').append(Math.max(0, c.getCurrentIndex())).append(']');
            }
        }
        return sb.length() == 0 ? FILE_KEY : sb.toString();
    }
}
