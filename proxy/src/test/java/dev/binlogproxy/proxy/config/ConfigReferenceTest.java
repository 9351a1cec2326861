package dev.binlogproxy.proxy.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/configuration.md against the code that reads the configuration: every key the reference's tables list is
 * accepted by the loader (set alone on a minimal configuration, it is never an "unknown key"); every key name the
 * loader reads (ProxyConfig's calls on Node) is in the reference; the sample configurations in config/ load, and
 * every key they use is in the reference.
 */
class ConfigReferenceTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** A table row's first cell: "| `host` |", "| `password` / `passwordFile` |", "| `heartbeat` (or ...) |". */
    private static final Pattern ROW = Pattern.compile("(?m)^\\| ([^|]*`[^|]*) \\|");
    private static final Pattern CODE = Pattern.compile("`([A-Za-z0-9.]+)`");
    private static final Pattern SECTION = Pattern.compile("(?m)^## (\\w+)");
    /** The calls by which ProxyConfig reads a key: node.string("host", ...), node.child("tls", ...), ... */
    private static final Pattern READ = Pattern.compile("\\.(?:has|isMapping|child|string|optionalString|integer|bool"
            + "|enumValue|size|duration|path|stringList|mappingList|rawString)\\(\"([A-Za-z0-9]+)\"");
    private static final String MINIMAL = """
            upstream: {host: db1, user: repl, password: pw, serverId: 1001}
            archive: {dir: /var/lib/binlog-proxy}
            """;
    /** Values that pass the loader's checks, by key name; any other key gets "1". */
    private static final Map<String, Object> VALUES = Map.ofEntries(
            Map.entry("host", "h"), Map.entry("user", "u"), Map.entry("password", "p"),
            Map.entry("passwordFile", "pw.txt"), Map.entry("heartbeat", "5s"), Map.entry("deadMasterTimeout", "20s"),
            Map.entry("connectTimeout", "5s"), Map.entry("initialDelay", "100ms"), Map.entry("maxDelay", "5s"),
            Map.entry("file", "mysql-bin.000001"), Map.entry("position", 4), Map.entry("gtid", "0-1-5"),
            Map.entry("mode", "preferred"), Map.entry("caFile", "ca.pem"), Map.entry("dir", "archive"),
            Map.entry("durability", "write"), Map.entry("maxAge", "7d"), Map.entry("maxTotalSize", "1GB"),
            Map.entry("version", "10.11.0"), Map.entry("semiSync", true), Map.entry("enabled", true),
            Map.entry("timeout", "1s"), Map.entry("fullAuthOnFirstLogin", true), Map.entry("required", false),
            Map.entry("mysqlNativePassword", "*6D8E7CA2D13CBEBC74BE7EF3A2976000952DCE92"),
            Map.entry("cachingSha2Password", "2ba9f15fcdcd7c3d2fa6bac0f2c78b5a9c583c9f345187eb117e004715dafafc"),
            Map.entry("permissions", List.of("replication")), Map.entry("certFile", "cert.pem"),
            Map.entry("keyFile", "key.pem"), Map.entry("detectTimeout", "2s"), Map.entry("probeInterval", "250ms"),
            Map.entry("execBefore", "true"), Map.entry("execAfter", "true"), Map.entry("hookTimeout", "30s"),
            Map.entry("catchUpTimeout", "30s"), Map.entry("maxCandidateLag", "64MB"), Map.entry("port", 3306),
            Map.entry("serverId", 7), Map.entry("endpoint", "http://127.0.0.1:9000"),
            Map.entry("region", "us-east-1"), Map.entry("bucket", "binlogs"), Map.entry("prefix", "db1/"),
            Map.entry("accessKey", "AKIA"), Map.entry("secretKey", "s"), Map.entry("accessKeyFile", "pw.txt"),
            Map.entry("secretKeyFile", "pw.txt"), Map.entry("pathStyle", true), Map.entry("cacheDir", "cache"),
            Map.entry("cacheHold", "1m"), Map.entry("scanInterval", "10s"));

    @TempDir
    Path dir;

    @Test
    void everyKeyTheReferenceListsIsAcceptedByTheLoader() throws Exception {
        Files.writeString(dir.resolve("pw.txt"), "secret\n");
        List<String> keys = documentedKeys();
        assertTrue(keys.size() > 40, keys.toString());
        List<String> refused = new ArrayList<>();
        for (String key : keys) {
            ObjectNode root = (ObjectNode) YAML.readTree(MINIMAL);
            set(root, key.replace(".NAME.", ".repl."), valueFor(key));
            try {
                ProxyConfig.parse(YAML.writeValueAsString(root), dir);
            } catch (ConfigException e) {
                // a value a key refuses, or another key it needs, is fine here: only an unknown key is drift
                if (e.getMessage().contains("unknown key")) {
                    refused.add(key + " -> " + e.getMessage());
                }
            }
        }
        assertEquals(List.of(), refused, "docs/configuration.md lists keys the loader does not know");
    }

    @Test
    void everyKeyTheLoaderReadsIsInTheReference() throws Exception {
        String source = Files.readString(repo().resolve(
                "proxy/src/main/java/dev/binlogproxy/proxy/config/ProxyConfig.java"));
        Set<String> read = new TreeSet<>();
        Matcher m = READ.matcher(source);
        while (m.find()) {
            read.add(m.group(1));
        }
        assertTrue(read.size() > 40, read.toString());
        // the sections are the reference's headings
        Set<String> documented = new TreeSet<>(List.of("upstream", "archive", "server", "metrics", "failover",
                "tiering"));
        Matcher code = CODE.matcher(Files.readString(repo().resolve("docs/configuration.md")));
        while (code.find()) {
            documented.addAll(List.of(code.group(1).split("\\.")));
        }
        read.removeAll(documented);
        assertEquals(Set.of(), read, "keys the loader reads that docs/configuration.md does not name");
    }

    @Test
    void theSampleConfigurationsLoadAndUseOnlyDocumentedKeys() throws Exception {
        Set<String> documented = new LinkedHashSet<>(documentedKeys());
        for (String sample : List.of("binlog-proxy.example.yaml", "binlog-proxy.production.yaml")) {
            Path copy = dir.resolve(sample);
            Files.copy(repo().resolve("config").resolve(sample), copy);
            JsonNode root = YAML.readTree(copy.toFile());
            // the files a sample names beside itself (password files, certificates), as an installation has them
            for (String f : List.of("upstream.password", "admin.password", "repl.password", "ca.pem", "server-cert.pem",
                    "server-key.pem", "s3.access-key", "s3.secret-key")) {
                Files.writeString(dir.resolve(f), "x\n");
            }
            ProxyConfig.load(copy);
            List<String> undocumented = new ArrayList<>();
            for (String key : leaves(root, "")) {
                String generic = key.replaceFirst("^server\\.users\\.[^.]+\\.", "server.users.NAME.");
                // candidates and replication are documented as a whole: {host, port, user, password | passwordFile}
                boolean inline = generic.startsWith("failover.candidates.")
                        || generic.startsWith("failover.replication.");
                if (!documented.contains(generic) && !inline) {
                    undocumented.add(key);
                }
            }
            assertEquals(List.of(), undocumented, sample + " uses keys the reference does not list");
        }
    }

    /** section.key for every key in the reference's tables ("users.NAME.x" keeps NAME). */
    static List<String> documentedKeys() throws Exception {
        String doc = Files.readString(repo().resolve("docs/configuration.md"));
        List<String> keys = new ArrayList<>();
        Matcher s = SECTION.matcher(doc);
        List<int[]> bounds = new ArrayList<>();
        List<String> names = new ArrayList<>();
        while (s.find()) {
            bounds.add(new int[] {s.start()});
            names.add(s.group(1));
        }
        for (int i = 0; i < names.size(); i++) {
            String section = names.get(i);
            if (!Set.of("upstream", "archive", "server", "metrics", "failover", "tiering").contains(section)) {
                continue;
            }
            int end = i + 1 < bounds.size() ? bounds.get(i + 1)[0] : doc.length();
            Matcher row = ROW.matcher(doc.substring(bounds.get(i)[0], end));
            while (row.find()) {
                Matcher c = CODE.matcher(row.group(1));
                while (c.find()) {
                    keys.add(section + "." + c.group(1));
                }
            }
        }
        return keys;
    }

    private static Object valueFor(String key) {
        return VALUES.getOrDefault(key.substring(key.lastIndexOf('.') + 1), 1);
    }

    private static void set(ObjectNode root, String dotted, Object value) {
        String[] parts = dotted.split("\\.");
        ObjectNode node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode next = node.get(parts[i]);
            node = next instanceof ObjectNode o ? o : node.putObject(parts[i]);
        }
        node.set(parts[parts.length - 1], YAML.valueToTree(value));
    }

    /** Dotted paths of every scalar or list in the tree; list elements of mappings as path.key. */
    private static List<String> leaves(JsonNode node, String path) {
        List<String> out = new ArrayList<>();
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                out.addAll(leaves(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey()));
            }
        } else if (node.isArray() && node.size() > 0 && node.get(0).isObject()) {
            for (JsonNode element : node) {
                out.addAll(leaves(element, path));
            }
        } else {
            out.add(path);
        }
        return out;
    }

    static Path repo() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("docs/configuration.md"))) {
                return d;
            }
        }
        throw new AssertionError("docs/configuration.md not found above " + Path.of("").toAbsolutePath());
    }
}
