package dev.binlogproxy.proxy.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.binlogproxy.binlog.position.MariaGtidPosition;
import dev.binlogproxy.binlog.position.MySqlGtidSet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;

import dev.binlogproxy.downstream.Permission;
import dev.binlogproxy.downstream.UserAccount;
import dev.binlogproxy.protocol.auth.PasswordHash;

/**
 * The configuration of {@code binlog-proxy run}, read from YAML. Every problem stops start-up with a
 * {@link ConfigException} naming the key and the reason; unknown keys are errors (a misspelt key must not be
 * silently ignored). Relative paths are resolved against the configuration file's directory. The reference is
 * docs/configuration.md.
 */
public record ProxyConfig(Upstream upstream, Archive archive, Server server, Metrics metrics) {

    public enum TlsMode { DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY }

    public enum Durability { FSYNC, WRITE }

    /**
     * The master this proxy mirrors. {@code startFile}: the binlog file to start mirroring from when the archive is
     * empty (null: the master's oldest file). {@code startGtid}: instead of a file, a MySQL GTID set or MariaDB
     * GTID position the archive need not go back before; mirroring starts at position 4 of the master's first file
     * holding a transaction after it. Mirroring always starts at the beginning of a file, because the archive
     * keeps whole, byte-identical files.
     */
    public record Upstream(String host, int port, String user, Secret password, long serverId, boolean semiSync,
                           Duration heartbeat, Duration deadMasterTimeout, Duration connectTimeout,
                           Duration reconnectInitialDelay, Duration reconnectMaxDelay, String startFile,
                           TlsMode tlsMode, Path tlsCaFile, String startGtid) {
        /** Without a GTID start. */
        public Upstream(String host, int port, String user, Secret password, long serverId, boolean semiSync,
                        Duration heartbeat, Duration deadMasterTimeout, Duration connectTimeout,
                        Duration reconnectInitialDelay, Duration reconnectMaxDelay, String startFile,
                        TlsMode tlsMode, Path tlsCaFile) {
            this(host, port, user, password, serverId, semiSync, heartbeat, deadMasterTimeout, connectTimeout,
                    reconnectInitialDelay, reconnectMaxDelay, startFile, tlsMode, tlsCaFile, null);
        }
    }

    public record Retention(Duration maxAge, long maxTotalBytes, int maxFiles) {
        public static final Retention KEEP_ALL = new Retention(null, 0, 0);

        public boolean keepsAll() {
            return maxAge == null && maxTotalBytes == 0 && maxFiles == 0;
        }
    }

    public record Archive(Path dir, Durability durability, Retention retention) {
    }

    /**
     * The master-side server replicas and tools connect to. {@code version}: the version string the greeting and
     * {@code @@version} show (null: the upstream master's, from the archive). {@code serverId}: the
     * {@code @@server_id} replicas see (null: the upstream master's, which is also what the events carry).
     * {@code tls}: null for no TLS.
     */
    public record Server(String host, int port, String version, Long serverId, boolean semiSync,
                         List<UserAccount> users, ServerTls tls, boolean fullAuthOnFirstLogin,
                         ChainedSemiSync chain) {
        public Server {
            users = List.copyOf(users);
            chain = chain == null ? ChainedSemiSync.OFF : chain;
        }

        /** Without chained semi-sync. */
        public Server(String host, int port, String version, Long serverId, boolean semiSync,
                      List<UserAccount> users, ServerTls tls, boolean fullAuthOnFirstLogin) {
            this(host, port, version, serverId, semiSync, users, tls, fullAuthOnFirstLogin, ChainedSemiSync.OFF);
        }
    }

    /**
     * {@code server.semiSync.waitForReplicas} / {@code .timeout}: the upstream ack waits for that many downstream
     * semi-sync replicas (0: no chain), at most {@code timeout} before acknowledging anyway.
     */
    public record ChainedSemiSync(int waitForReplicas, Duration timeout) {
        public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
        public static final ChainedSemiSync OFF = new ChainedSemiSync(0, DEFAULT_TIMEOUT);

        public boolean enabled() {
            return waitForReplicas > 0;
        }
    }

    /** PEM files of the server certificate (chain) and its PKCS#8 private key; {@code required}: refuse plain TCP. */
    public record ServerTls(Path certFile, Path keyFile, boolean required) {
    }

    /** port 0: no metrics endpoint. */
    public record Metrics(String host, int port) {
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
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr();
            throw new ConfigException("(file)", "not valid YAML" + where + ": " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException("(file)", "expected a mapping with the sections upstream, archive, server, metrics");
        }
        Node top = new Node(root, "");
        Upstream upstream = upstream(top.child("upstream", true), base);
        Archive archive = archive(top.child("archive", true), base);
        Server server = server(top.child("server", false), base, upstream.semiSync());
        Node m = top.child("metrics", false);
        Metrics metrics = new Metrics(m.string("host", "127.0.0.1"), (int) m.integer("port", 9104, 0, 65535));
        m.rejectUnknown();
        top.rejectUnknown();
        return new ProxyConfig(upstream, archive, server, metrics);
    }

    private static Server server(Node s, Path base, boolean upstreamSemiSync) throws ConfigException {
        String host = s.string("host", "127.0.0.1");
        int port = (int) s.integer("port", 3307, 0, 65535);
        String version = s.optionalString("version");
        Long serverId = s.has("serverId") ? s.integer("serverId", 0, 1, 0xFFFF_FFFFL) : null;
        // server.semiSync: true/false, or a section {enabled, waitForReplicas, timeout} for chained semi-sync
        boolean semiSync;
        ChainedSemiSync chain = ChainedSemiSync.OFF;
        if (s.isMapping("semiSync")) {
            Node ss = s.child("semiSync", false);
            semiSync = ss.bool("enabled", true);
            int wait = (int) ss.integer("waitForReplicas", 0, 0, 1000);
            Duration timeout = ss.duration("timeout", ChainedSemiSync.DEFAULT_TIMEOUT);
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
            chain = new ChainedSemiSync(wait, timeout);
        } else {
            semiSync = s.bool("semiSync", true);
        }
        boolean fullAuth = s.bool("fullAuthOnFirstLogin", false);
        Node u = s.child("users", false);
        List<UserAccount> users = new ArrayList<>();
        for (String name : u.keys()) {
            users.add(user(u.child(name, true), name));
        }
        u.rejectUnknown();
        ServerTls tls = null;
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
            tls = new ServerTls(cert, key, required);
        }
        s.rejectUnknown();
        return new Server(host, port, version, serverId, semiSync, users, tls, fullAuth, chain);
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

    private static Upstream upstream(Node u, Path base) throws ConfigException {
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
        return new Upstream(host, port, user, password, serverId, semiSync, heartbeat, dead, connect, initial, max,
                startFile, mode, ca, startGtid);
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
        if (inline) {
            // read as a raw value: an all-digit password is a number in YAML
            return new Secret(u.string("password", null));
        }
        return new Secret("");
    }

    private static Archive archive(Node a, Path base) throws ConfigException {
        Path dir = a.path("dir", base, true);
        Durability durability = a.enumValue("durability", Durability.class, Durability.FSYNC);
        Node r = a.child("retention", false);
        Duration maxAge = r.has("maxAge") ? r.duration("maxAge", null) : null;
        long maxSize = r.size("maxTotalSize", 0);
        int maxFiles = (int) r.integer("maxFiles", 0, 0, Integer.MAX_VALUE);
        r.rejectUnknown();
        a.rejectUnknown();
        return new Archive(dir, durability, new Retention(maxAge, maxSize, maxFiles));
    }
}
