package dev.binlogproxy.proxy.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.binlogproxy.binlog.position.MariaGtidPosition;
import dev.binlogproxy.binlog.position.MySqlGtidSet;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;

import dev.binlogproxy.archive.ArchiveSettings;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.archive.RetentionPolicy;
import dev.binlogproxy.client.ConnectionSettings;
import dev.binlogproxy.client.Secret;
import dev.binlogproxy.client.TlsMode;
import dev.binlogproxy.downstream.login.Permission;
import dev.binlogproxy.failover.FailoverMode;
import dev.binlogproxy.failover.FailoverSettings;
import dev.binlogproxy.downstream.ServerSettings;
import dev.binlogproxy.downstream.login.UserAccount;
import dev.binlogproxy.protocol.auth.PasswordHash;
import dev.binlogproxy.proxy.metrics.MetricsSettings;
import dev.binlogproxy.tiering.TieringSettings;
import dev.binlogproxy.upstream.ChainSettings;
import dev.binlogproxy.upstream.UpstreamSettings;

/**
 * The configuration of {@code binlog-proxy run}, read from YAML into each component's own settings record (the
 * components never see the YAML or this class). Every problem stops start-up with a
 * {@link ConfigException} naming the key and the reason; unknown keys are errors (a misspelt key must not be
 * silently ignored). Relative paths are resolved against the configuration file's directory. The reference is
 * docs/configuration.md.
 */
public record ProxyConfig(UpstreamSettings upstream, ArchiveSettings archive, ServerSettings server,
                          ChainSettings chain, MetricsSettings metrics, FailoverSettings failover,
                          TieringSettings tiering) {

    /** Without tiering (its settings are null when the section is absent or {@code enabled: false}). */
    public ProxyConfig(UpstreamSettings upstream, ArchiveSettings archive, ServerSettings server, ChainSettings chain,
                       MetricsSettings metrics, FailoverSettings failover) {
        this(upstream, archive, server, chain, metrics, failover, null);
    }

    /** Without failover (mode off). */
    public ProxyConfig(UpstreamSettings upstream, ArchiveSettings archive, ServerSettings server, ChainSettings chain,
                       MetricsSettings metrics) {
        this(upstream, archive, server, chain, metrics, FailoverSettings.OFF);
    }

    public static ProxyConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("--config", "cannot read " + file + ": " + e.getMessage());
        }
        Path base = file.toAbsolutePath().getParent();
        return parse(text, base);
    }

    public static ProxyConfig parse(String yaml, Path base) throws ConfigException {
        JsonNode root = YamlReading.read(yaml);
        if (root == null || !root.isObject()) {
            throw new ConfigException("(file)", "expected a mapping with the sections upstream, archive, server, metrics");
        }
        Node top = new Node(root, "");
        UpstreamSettings upstream = upstream(top.child("upstream", true), base);
        ArchiveSettings archive = archive(top.child("archive", true), base);
        ChainSettings[] chain = {ChainSettings.OFF};
        ServerSettings server = server(top.child("server", false), base, upstream.semiSync(), chain);
        Node m = top.child("metrics", false);
        MetricsSettings metrics = new MetricsSettings(m.string("host", "127.0.0.1"),
                (int) m.integer("port", 9104, 0, 65535));
        m.rejectUnknown();
        FailoverSettings failover = failover(top.child("failover", false), base, upstream);
        TieringSettings tiering = top.has("tiering") ? tiering(top.child("tiering", true), base) : null;
        top.rejectUnknown();
        return new ProxyConfig(upstream, archive, server, chain[0], metrics, failover, tiering);
    }

    /** The server section; a chained semi-sync section inside it goes to {@code chainOut[0]}. */
    private static ServerSettings server(Node s, Path base, boolean upstreamSemiSync, ChainSettings[] chainOut)
            throws ConfigException {
        String host = s.string("host", "127.0.0.1");
        int port = (int) s.integer("port", 3307, 0, 65535);
        String version = s.optionalString("version");
        Long serverId = s.has("serverId") ? s.integer("serverId", 0, 1, 0xFFFF_FFFFL) : null;
        // server.semiSync: true/false, or a section {enabled, waitForReplicas, timeout} for chained semi-sync
        boolean semiSync;
        ChainSettings chain = ChainSettings.OFF;
        if (s.isMapping("semiSync")) {
            Node ss = s.child("semiSync", false);
            semiSync = ss.bool("enabled", true);
            int wait = (int) ss.integer("waitForReplicas", 0, 0, 1000);
            Duration timeout = ss.duration("timeout", ChainSettings.DEFAULT_TIMEOUT);
            if (timeout.isZero()) {
                throw new ConfigException(ss.key("timeout"), "must be positive (and below the master's "
                        + "rpl_semi_sync_master_timeout)");
            }
            if (wait > 0 && !semiSync) {
                throw new ConfigException(ss.key("waitForReplicas"), wait + " needs semi-sync toward replicas: "
                        + ss.key("enabled") + " is false");
            }
            if (wait > 0 && !upstreamSemiSync) {
                throw new ConfigException(ss.key("waitForReplicas"), wait + " needs semi-sync from the master: "
                        + "upstream.semiSync is false");
            }
            ss.rejectUnknown();
            chain = new ChainSettings(wait, timeout);
        } else {
            semiSync = s.bool("semiSync", true);
        }
        boolean fullAuth = s.bool("fullAuthOnFirstLogin", false);
        int upstreamLoopSessions = (int) s.integer("upstreamLoopSessions",
                ServerSettings.DEFAULT_UPSTREAM_LOOP_SESSIONS, 0, 100_000);
        int sessionLoops = (int) s.integer("sessionLoops", ServerSettings.defaultSessionLoops(), 1, 256);
        Node u = s.child("users", false);
        List<UserAccount> users = new ArrayList<>();
        for (String name : u.keys()) {
            users.add(user(u.child(name, true), name));
        }
        u.rejectUnknown();
        Path tlsCert = null;
        Path tlsKey = null;
        boolean tlsRequired = false;
        if (s.has("tls")) {
            Node t = s.child("tls", true);
            Path cert = t.path("certFile", base, true);
            Path key = t.path("keyFile", base, true);
            boolean required = t.bool("required", false);
            for (String k : List.of("certFile", "keyFile")) {
                Path p = k.equals("certFile") ? cert : key;
                if (!Files.isReadable(p)) {
                    throw new ConfigException(t.key(k), p + " is not a readable file");
                }
            }
            t.rejectUnknown();
            tlsCert = cert;
            tlsKey = key;
            tlsRequired = required;
        }
        s.rejectUnknown();
        chainOut[0] = chain;
        return new ServerSettings(host, port, version, serverId, semiSync, users, tlsCert, tlsKey, tlsRequired,
                fullAuth, upstreamLoopSessions, sessionLoops);
    }

    private static UserAccount user(Node n, String name) throws ConfigException {
        if (name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > 80) {
            throw new ConfigException(n.path(), "user name must be 1..80 bytes");
        }
        if (n.has("password")) {
            throw new ConfigException(n.key("password"), "plaintext passwords are not accepted here: give "
                    + "mysqlNativePassword and/or cachingSha2Password from `binlog-proxy hash-password`");
        }
        String nativeText = n.rawString("mysqlNativePassword");
        String sha2Text = n.rawString("cachingSha2Password");
        if (nativeText == null && sha2Text == null) {
            throw new ConfigException(n.key("mysqlNativePassword"), "missing (give mysqlNativePassword and/or "
                    + "cachingSha2Password, as printed by `binlog-proxy hash-password`)");
        }
        try {
            if (nativeText != null) {
                PasswordHash.parse(nativeText, null);
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException(n.key("mysqlNativePassword"), e.getMessage());
        }
        try {
            if (sha2Text != null) {
                PasswordHash.parse(null, sha2Text);
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException(n.key("cachingSha2Password"), e.getMessage());
        }
        PasswordHash hash = PasswordHash.parse(nativeText, sha2Text);
        List<String> given = n.stringList("permissions");
        EnumSet<Permission> permissions = EnumSet.noneOf(Permission.class);
        for (String p : given.isEmpty() ? List.of("replication") : given) {
            try {
                permissions.add(Permission.valueOf(p.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(n.key("permissions"), "'" + p + "' (expected: replication, admin)");
            }
        }
        n.rejectUnknown();
        return new UserAccount(name, hash, permissions);
    }

    private static UpstreamSettings upstream(Node u, Path base) throws ConfigException {
        String host = u.string("host", null);
        int port = (int) u.integer("port", 3306, 1, 65535);
        String user = u.string("user", null);
        Secret password = password(u, base);
        if (!u.has("serverId")) {
            throw new ConfigException(u.key("serverId"), "missing (required: this proxy's server_id, unique among "
                    + "the master's replicas)");
        }
        long serverId = u.integer("serverId", 0, 1, 0xFFFF_FFFFL);
        boolean semiSync = u.bool("semiSync", true);
        Duration heartbeat = u.duration("heartbeat", Duration.ofSeconds(u.integer("heartbeatSeconds", 5, 1, 3600)));
        if (heartbeat.isZero() || heartbeat.toSeconds() > 3600) {
            throw new ConfigException(u.key("heartbeat"), heartbeat + " (expected: 1ms..1h)");
        }
        Duration dead = u.duration("deadMasterTimeout", heartbeat.multipliedBy(3));
        if (dead.compareTo(heartbeat) <= 0) {
            throw new ConfigException(u.key("deadMasterTimeout"), dead + " must be longer than the heartbeat period "
                    + heartbeat);
        }
        Duration connect = u.duration("connectTimeout", Duration.ofSeconds(10));
        int maxLoginFailures = (int) u.integer("maxLoginFailures", UpstreamSettings.DEFAULT_MAX_LOGIN_FAILURES, 0,
                1_000_000);
        Node r = u.child("reconnect", false);
        Duration initial = r.duration("initialDelay", Duration.ofMillis(100));
        Duration max = r.duration("maxDelay", Duration.ofSeconds(10));
        if (max.compareTo(initial) < 0) {
            throw new ConfigException(r.key("maxDelay"), max + " is shorter than initialDelay " + initial);
        }
        r.rejectUnknown();
        Node start = u.child("start", false);
        String startFile = start.optionalString("file");
        if (start.has("position")) {
            long pos = start.integer("position", 4, 4, 0xFFFF_FFFFL);
            if (pos != 4) {
                throw new ConfigException(start.key("position"), pos + ": the archive keeps whole byte-identical files, "
                        + "so mirroring starts at position 4 of upstream.start.file");
            }
        }
        String startGtid = start.optionalString("gtid");
        if (startGtid != null) {
            if (startFile != null) {
                throw new ConfigException(start.key("gtid"), "give start.file or start.gtid, not both");
            }
            startGtid = startGtid.trim();
            try {
                if (startGtid.indexOf(':') >= 0) {
                    MySqlGtidSet.parse(startGtid);
                } else {
                    MariaGtidPosition.parse(startGtid);
                }
            } catch (RuntimeException e) {
                throw new ConfigException(start.key("gtid"), "'" + startGtid + "' is neither a MySQL GTID set"
                        + " (uuid:1-5,...) nor a MariaDB GTID position (domain-server-seq,...): " + e.getMessage());
            }
        }
        start.rejectUnknown();
        Node tls = u.child("tls", false);
        TlsMode mode = tls.enumValue("mode", TlsMode.class, TlsMode.PREFERRED);
        Path ca = tls.path("caFile", base, false);
        if ((mode == TlsMode.VERIFY_CA || mode == TlsMode.VERIFY_IDENTITY) && ca == null) {
            throw new ConfigException(tls.key("caFile"), "missing (required with mode " + mode.name().toLowerCase()
                    .replace('_', '-') + ")");
        }
        if (ca != null && !Files.isReadable(ca)) {
            throw new ConfigException(tls.key("caFile"), ca + " is not a readable file");
        }
        tls.rejectUnknown();
        u.rejectUnknown();
        return new UpstreamSettings(new ConnectionSettings(host, port, user, password, connect, mode, ca), serverId,
                semiSync, heartbeat, dead, initial, max, startFile, startGtid, maxLoginFailures);
    }

    /**
     * The failover section. Candidates log in with their own account (it runs STOP SLAVE, FLUSH BINARY LOGS, SET
     * GLOBAL read_only); TLS and timeouts as the upstream's.
     */
    private static FailoverSettings failover(Node f, Path base, UpstreamSettings upstream) throws ConfigException {
        FailoverMode mode = f.enumValue("mode", FailoverMode.class, FailoverMode.OFF);
        Duration detect = f.duration("detectTimeout", FailoverSettings.DEFAULT_DETECT_TIMEOUT);
        Duration probe = f.duration("probeInterval", FailoverSettings.DEFAULT_PROBE_INTERVAL);
        if (probe.isZero() || probe.compareTo(detect) > 0) {
            throw new ConfigException(f.key("probeInterval"), probe + " must be positive and at most detectTimeout "
                    + detect);
        }
        List<ConnectionSettings> candidates = new ArrayList<>();
        for (Node c : f.mappingList("candidates")) {
            String host = c.string("host", null);
            int port = (int) c.integer("port", 3306, 1, 65535);
            String user = c.string("user", null);
            Secret password = password(c, base);
            c.rejectUnknown();
            candidates.add(new ConnectionSettings(host, port, user, password, upstream.connection().connectTimeout(),
                    upstream.connection().tlsMode(), upstream.connection().tlsCaFile()));
        }
        if (mode != FailoverMode.OFF && candidates.isEmpty()) {
            throw new ConfigException(f.key("candidates"), "missing: failover mode " + mode.name().toLowerCase(Locale.ROOT)
                    + " needs at least one candidate (a replica of this proxy with log_bin on)");
        }
        String before = f.optionalString("execBefore");
        String after = f.optionalString("execAfter");
        Duration hookTimeout = f.duration("hookTimeout", FailoverSettings.DEFAULT_HOOK_TIMEOUT);
        Duration catchUp = f.duration("catchUpTimeout", FailoverSettings.DEFAULT_CATCH_UP_TIMEOUT);
        long maxLag = f.size("maxCandidateLag", FailoverSettings.DEFAULT_MAX_CANDIDATE_LAG);
        ConnectionSettings replication = null;
        if (f.has("replication")) {
            Node r = f.child("replication", true);
            replication = new ConnectionSettings("-", 1, r.string("user", null), password(r, base),
                    upstream.connection().connectTimeout(), upstream.connection().tlsMode(),
                    upstream.connection().tlsCaFile());
            r.rejectUnknown();
        }
        f.rejectUnknown();
        return new FailoverSettings(mode, detect, probe, candidates, before, after, hookTimeout, catchUp, maxLag,
                replication);
    }

    /** The tiering section; null when {@code enabled: false} (the other keys are then still checked for typos). */
    private static TieringSettings tiering(Node t, Path base) throws ConfigException {
        boolean enabled = t.bool("enabled", true);
        URI endpoint = null;
        String endpointText = t.optionalString("endpoint");
        if (endpointText != null) {
            try {
                endpoint = new URI(endpointText);
            } catch (URISyntaxException e) {
                throw new ConfigException(t.key("endpoint"), "not a URL: " + e.getMessage());
            }
            if (!"http".equals(endpoint.getScheme()) && !"https".equals(endpoint.getScheme())
                    || endpoint.getHost() == null) {
                throw new ConfigException(t.key("endpoint"), endpointText + " (expected: http(s)://host[:port])");
            }
        }
        String region = t.string("region", "us-east-1");
        String bucket = t.optionalString("bucket");
        String prefix = t.has("prefix") ? t.rawString("prefix") : "";
        if (prefix.chars().anyMatch(Character::isWhitespace) || prefix.startsWith("/")) {
            throw new ConfigException(t.key("prefix"), "'" + prefix + "' (no white space, no leading /)");
        }
        String accessKey = secretValue(t, "accessKey", base);
        String secretKey = secretValue(t, "secretKey", base);
        if ((accessKey == null) != (secretKey == null)) {
            throw new ConfigException(t.key(accessKey == null ? "accessKey" : "secretKey"), "missing: give accessKey"
                    + " and secretKey (or their *File keys) together, or neither for the SDK's default credentials"
                    + " (environment, profile, instance role)");
        }
        boolean pathStyle = t.bool("pathStyle", endpoint != null);
        Path cacheDir = t.path("cacheDir", base, false);
        Duration cacheHold = t.duration("cacheHold", TieringSettings.DEFAULT_CACHE_HOLD);
        Duration scan = t.duration("scanInterval", TieringSettings.DEFAULT_SCAN_INTERVAL);
        Node r = t.child("retry", false);
        Duration initial = r.duration("initialDelay", TieringSettings.DEFAULT_RETRY_INITIAL);
        Duration max = r.duration("maxDelay", TieringSettings.DEFAULT_RETRY_MAX);
        r.rejectUnknown();
        t.rejectUnknown();
        if (!enabled) {
            return null;
        }
        if (bucket == null) {
            throw new ConfigException(t.key("bucket"), "missing (required with tiering enabled)");
        }
        if (scan.isZero() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new ConfigException(t.key("retry"), "scanInterval and retry.initialDelay must be positive,"
                    + " retry.maxDelay at least retry.initialDelay");
        }
        return new TieringSettings(endpoint, region, bucket, prefix, accessKey, secretKey, pathStyle, cacheDir,
                cacheHold, scan, initial, max);
    }

    /** {@code name} written inline (a YAML string) or read from {@code nameFile}; null if neither is given. */
    private static String secretValue(Node n, String name, Path base) throws ConfigException {
        boolean fromFile = n.has(name + "File");
        if (n.hasKey(name) && fromFile) {
            throw new ConfigException(n.key(name), "give either " + name + " or " + name + "File, not both");
        }
        if (fromFile) {
            Path p = n.path(name + "File", base, true);
            try {
                return Files.readString(p, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new ConfigException(n.key(name + "File"), "cannot read " + p + " ("
                        + e.getClass().getSimpleName() + ")");
            }
        }
        String inline = n.secret(name);
        if (inline != null && inline.isEmpty()) {
            throw new ConfigException(n.key(name), "empty");
        }
        return inline;
    }

    private static Secret password(Node u, Path base) throws ConfigException {
        boolean inline = u.has("password");
        boolean fromFile = u.has("passwordFile");
        if (inline && fromFile) {
            throw new ConfigException(u.key("password"), "give either password or passwordFile, not both");
        }
        if (fromFile) {
            Path p = u.path("passwordFile", base, true);
            try {
                String s = Files.readString(p, StandardCharsets.UTF_8);
                // a trailing newline from `echo secret > file` is not part of the password
                return new Secret(s.endsWith("\n") ? s.substring(0, s.length() - (s.endsWith("\r\n") ? 2 : 1)) : s);
            } catch (IOException e) {
                throw new ConfigException(u.key("passwordFile"), "cannot read " + p + " (" + e.getClass().getSimpleName()
                        + ")");
            }
        }
        if (inline || u.hasKey("password")) {
            // a string only (Node.secret says why); '' is a password (root on a test server)
            return new Secret(u.secret("password"));
        }
        return new Secret("");
    }

    private static ArchiveSettings archive(Node a, Path base) throws ConfigException {
        Path dir = a.path("dir", base, true);
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new ConfigException(a.key("dir"), dir + " exists and is not a directory");
        }
        Durability durability = a.enumValue("durability", Durability.class, Durability.FSYNC);
        long minFree = a.size("minFreeSpace", ArchiveSettings.DEFAULT_MIN_FREE_SPACE);
        Node r = a.child("retention", false);
        Duration maxAge = r.has("maxAge") ? r.duration("maxAge", null) : null;
        long maxSize = r.size("maxTotalSize", 0);
        int maxFiles = (int) r.integer("maxFiles", 0, 0, Integer.MAX_VALUE);
        r.rejectUnknown();
        a.rejectUnknown();
        return new ArchiveSettings(dir, durability, new RetentionPolicy(maxAge, maxSize, maxFiles), minFree);
    }
}
