package dev.binlogproxy.proxy.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A YAML mapping being read, with the dotted path of every key so that each error names it. Keys read are
 * recorded; {@link #rejectUnknown()} refuses any key nobody asked for (a typo must not be silently ignored).
 */
final class Node {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmgt]?i?b?)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?", Pattern.CASE_INSENSITIVE);

    /** A number and the unit written after it ("" for none). */
    private record Amount(long number, String unit) {
    }

    private final JsonNode json;
    private final String path;
    private final Set<String> read = new HashSet<>();

    Node(JsonNode json, String path) {
        this.json = json;
        this.path = path;
    }

    /** The dotted path of this mapping itself. */
    String path() {
        return path;
    }

    String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    boolean has(String name) {
        read.add(name);
        JsonNode v = json.get(name);
        return v != null && !v.isNull();
    }

    /** Whether the key is written at all, even with a null value. */
    boolean hasKey(String name) {
        read.add(name);
        return json.has(name);
    }

    /** Whether {@code name} is given as a mapping (for keys that take a scalar or a section). */
    boolean isMapping(String name) {
        JsonNode v = json.get(name);
        return v != null && v.isObject();
    }

    Node child(String name, boolean required) throws ConfigException {
        read.add(name);
        JsonNode v = json.get(name);
        if (v == null || v.isNull()) {
            if (required) {
                throw new ConfigException(key(name), "missing (required section)");
            }
            return new Node(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(), key(name));
        }
        if (!v.isObject()) {
            throw new ConfigException(key(name), "expected a mapping, got " + describe(v));
        }
        return new Node(v, key(name));
    }

    String string(String name, String def) throws ConfigException {
        read.add(name);
        JsonNode v = json.get(name);
        if (v == null || v.isNull()) {
            if (def == null) {
                throw new ConfigException(key(name), "missing (required)");
            }
            return def;
        }
        if (!v.isValueNode() || v.isBoolean()) {
            throw new ConfigException(key(name), "expected a string, got " + describe(v));
        }
        String s = v.asText();
        if (s.isEmpty()) {
            throw new ConfigException(key(name), "empty");
        }
        return s;
    }

    String optionalString(String name) throws ConfigException {
        return has(name) ? string(name, null) : null;
    }

    long integer(String name, long def, long min, long max) throws ConfigException {
        read.add(name);
        JsonNode v = json.get(name);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isIntegralNumber()) {
            throw new ConfigException(key(name), "expected an integer, got " + describe(v));
        }
        long n = v.asLong();
        if (n < min || n > max) {
            throw new ConfigException(key(name), n + " (expected: " + min + ".." + max + ")");
        }
        return n;
    }

    boolean bool(String name, boolean def) throws ConfigException {
        read.add(name);
        JsonNode v = json.get(name);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isBoolean()) {
            throw new ConfigException(key(name), "expected true or false, got " + describe(v));
        }
        return v.asBoolean();
    }

    <E extends Enum<E>> E enumValue(String name, Class<E> type, E def) throws ConfigException {
        String s = string(name, def == null ? null : def.name().toLowerCase(Locale.ROOT));
        String normal = s.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (E e : type.getEnumConstants()) {
            if (e.name().equals(normal)) {
                return e;
            }
        }
        StringBuilder allowed = new StringBuilder();
        for (E e : type.getEnumConstants()) {
            allowed.append(allowed.length() == 0 ? "" : ", ").append(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        throw new ConfigException(key(name), "'" + s + "' (expected one of: " + allowed + ")");
    }

    /**
     * A value given as a bare non-negative integer or as digits with a unit matching {@code pattern} (group 1 the
     * digits, group 2 the unit). Returns null when absent; the digits are checked to fit a long, so an oversized
     * value is a ConfigException naming the key rather than a NumberFormatException.
     */
    private Amount numberWithUnit(String name, Pattern pattern, String example) throws ConfigException {
        read.add(name);
        JsonNode v = json.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isIntegralNumber()) {
            if (!v.canConvertToLong() || v.asLong() < 0) {
                throw new ConfigException(key(name), v.asText() + " (expected: 0.." + Long.MAX_VALUE + ")");
            }
            return new Amount(v.asLong(), "");
        }
        Matcher m = pattern.matcher(v.asText().trim());
        if (!v.isTextual() || !m.matches()) {
            throw new ConfigException(key(name), "'" + v.asText() + "' (expected " + example + ")");
        }
        try {
            return new Amount(Long.parseLong(m.group(1)), m.group(2) == null ? "" : m.group(2));
        } catch (NumberFormatException e) {
            throw new ConfigException(key(name), "'" + v.asText() + "' is too large");
        }
    }

    /** Sizes: a number of bytes or with a unit: 512MB, 10GiB, 1T (binary multiples). */
    long size(String name, long def) throws ConfigException {
        Amount a = numberWithUnit(name, SIZE, "a size such as 500MB or 20GB");
        if (a == null) {
            return def;
        }
        long n = a.number();
        String unit = a.unit().isEmpty() ? "b" : a.unit().substring(0, 1).toLowerCase(Locale.ROOT);
        int shift = switch (unit) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        if (n > (Long.MAX_VALUE >> shift)) {
            throw new ConfigException(key(name), "'" + n + a.unit() + "' is too large");
        }
        return n << shift;
    }

    /** Durations: a number of seconds or with a unit: 250ms, 30s, 15m, 12h, 7d. */
    Duration duration(String name, Duration def) throws ConfigException {
        Amount a = numberWithUnit(name, DURATION, "a duration such as 30s, 15m, 7d");
        if (a == null) {
            return def;
        }
        long n = a.number();
        String unit = a.unit().isEmpty() ? "s" : a.unit().toLowerCase(Locale.ROOT);
        try {
            return switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> Duration.ofSeconds(n);
            };
        } catch (ArithmeticException e) {
            throw new ConfigException(key(name), "'" + n + unit + "' is too large");
        }
    }

    Path path(String name, Path base, boolean required) throws ConfigException {
        String s = required ? string(name, null) : optionalString(name);
        if (s == null) {
            return null;
        }
        Path p = Path.of(s);
        return base != null && !p.isAbsolute() ? base.resolve(p).normalize() : p;
    }

    /** The keys of this mapping, in file order (for sections keyed by name, like server.users). */
    List<String> keys() {
        List<String> names = new ArrayList<>();
        json.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** A list of strings, or a single string taken as a list of one; empty when absent. */
    List<String> stringList(String name) throws ConfigException {
        read.add(name);
        JsonNode v = json.get(name);
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (v.isTextual()) {
            out.add(v.asText());
            return out;
        }
        if (!v.isArray()) {
            throw new ConfigException(key(name), "expected a list of strings, got " + describe(v));
        }
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isTextual()) {
                throw new ConfigException(key(name) + "[" + i + "]", "expected a string, got " + describe(e));
            }
            out.add(e.asText());
        }
        return out;
    }

    /** A list of mappings ({@code key[i]} in messages); empty when absent. */
    List<Node> mappingList(String name) throws ConfigException {
        read.add(name);
        JsonNode v = json.get(name);
        List<Node> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isArray()) {
            throw new ConfigException(key(name), "expected a list of mappings, got " + describe(v));
        }
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isObject()) {
                throw new ConfigException(key(name) + "[" + i + "]", "expected a mapping, got " + describe(e));
            }
            out.add(new Node(e, key(name) + "[" + i + "]"));
        }
        return out;
    }

    /**
     * A password: a YAML string, possibly empty; null when the key is absent. Anything else is refused without
     * showing the value: YAML resolves an unquoted {@code 0x1F2E3D}, {@code 0755} or {@code 1_000} to a number and
     * {@code ~} or {@code null} to null (an empty value is read as ""), so the characters written are not what the
     * master would get (it then answers "Access denied" forever).
     */
    String secret(String name) throws ConfigException {
        read.add(name);
        JsonNode v = json.get(name);
        if (v == null) {
            return null;
        }
        if (v.isTextual()) {
            return v.asText();
        }
        String as = v.isNull() ? "null (~ or null)" : v.isBoolean() ? "a boolean"
                : v.isNumber() ? "a number" : v.isObject() ? "a mapping" : v.isArray() ? "a list" : "a non-string";
        throw new ConfigException(key(name), "YAML reads this value as " + as + ", not as the characters written:"
                + " quote it ('...'; '' for an empty password) or use passwordFile");
    }

    /** A string value that may be empty (an empty password hash means the empty password); null when absent. */
    String rawString(String name) throws ConfigException {
        read.add(name);
        JsonNode v = json.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isValueNode() || v.isBoolean()) {
            throw new ConfigException(key(name), "expected a string, got " + describe(v));
        }
        return v.asText();
    }

    void rejectUnknown() throws ConfigException {
        Iterator<String> names = json.fieldNames();
        while (names.hasNext()) {
            String n = names.next();
            if (!read.contains(n)) {
                throw new ConfigException(key(n), "unknown key");
            }
        }
    }

    private static String describe(JsonNode v) {
        if (v.isObject()) {
            return "a mapping";
        }
        if (v.isArray()) {
            return "a list";
        }
        return "'" + v.asText() + "'";
    }
}
