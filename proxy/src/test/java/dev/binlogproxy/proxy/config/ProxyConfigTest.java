package dev.binlogproxy.proxy.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.client.TlsMode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProxyConfigTest {
    @TempDir
    Path dir;

    private static final String MINIMAL = """
            upstream:
              host: db1.example
              user: repl
              password: s3cret
              serverId: 1001
            archive:
              dir: /var/lib/binlog-proxy
            """;

    private static ConfigException error(String yaml) {
        return assertThrows(ConfigException.class, () -> ProxyConfig.parse(yaml, null));
    }

    @Test
    void minimalConfigGetsProductionDefaults() throws Exception {
        ProxyConfig c = ProxyConfig.parse(MINIMAL, null);
        assertEquals(3306, c.upstream().connection().port());
        assertTrue(c.upstream().semiSync());
        assertEquals(Duration.ofSeconds(5), c.upstream().heartbeat());
        assertEquals(Duration.ofSeconds(15), c.upstream().deadMasterTimeout());
        assertEquals(Durability.FSYNC, c.archive().durability());
        assertTrue(c.archive().retention().keepsAll());
        assertEquals(TlsMode.PREFERRED, c.upstream().connection().tlsMode());
        assertEquals(3307, c.server().port());
        assertEquals(9104, c.metrics().port());
        assertNull(c.upstream().startFile());
    }

    @Test
    void fullConfigIsRead() throws Exception {
        Path pw = dir.resolve("pw");
        Files.writeString(pw, "from-file\n");
        ProxyConfig c = ProxyConfig.parse("""
                upstream:
                  host: 10.0.0.1
                  port: 3406
                  user: repl
                  passwordFile: pw
                  serverId: 4294967295
                  semiSync: false
                  heartbeat: 250ms
                  deadMasterTimeout: 2s
                  reconnect: {initialDelay: 50ms, maxDelay: 30s}
                  start: {file: mysql-bin.000042, position: 4}
                  tls: {mode: required}
                archive:
                  dir: archive
                  durability: write
                  retention: {maxAge: 7d, maxTotalSize: 20GB, maxFiles: 500}
                server: {host: 0.0.0.0, port: 6033}
                metrics: {port: 0}
                """, dir);
        assertEquals("from-file", c.upstream().connection().password().reveal());
        assertEquals(4294967295L, c.upstream().serverId());
        assertFalse(c.upstream().semiSync());
        assertEquals(Duration.ofMillis(250), c.upstream().heartbeat());
        assertEquals("mysql-bin.000042", c.upstream().startFile());
        assertEquals(dir.resolve("archive"), c.archive().dir());
        assertEquals(Durability.WRITE, c.archive().durability());
        assertEquals(Duration.ofDays(7), c.archive().retention().maxAge());
        assertEquals(20L << 30, c.archive().retention().maxTotalBytes());
        assertEquals(500, c.archive().retention().maxFiles());
        assertEquals(0, c.metrics().port());
    }

    @Test
    void errorsNameTheKeyAndTheReason() {
        assertEquals("upstream: missing (required section)", error("archive: {dir: /x}").getMessage());
        assertEquals("upstream.port: 70000 (expected: 1..65535)",
                error(MINIMAL.replace("serverId: 1001", "serverId: 1001\n  port: 70000")).getMessage());
        assertEquals("upstream.prot: unknown key",
                error(MINIMAL.replace("serverId: 1001", "serverId: 1001\n  prot: 3307")).getMessage());
        assertEquals("archive.durability: 'sometimes' (expected one of: fsync, write)",
                error(MINIMAL + "  durability: sometimes\n").getMessage());
        assertTrue(error(MINIMAL.replace("  serverId: 1001\n", "")).getMessage()
                .startsWith("upstream.serverId: missing"));
        assertTrue(error(MINIMAL.replace("serverId: 1001", "serverId: 1001\n  start: {position: 120}"))
                .getMessage().startsWith("upstream.start.position: 120: the archive keeps whole"));
        assertTrue(error(MINIMAL.replace("serverId: 1001", "serverId: 1001\n  tls: {mode: verify-ca}"))
                .getMessage().startsWith("upstream.tls.caFile: missing"));
        assertTrue(error("upstream: [1, 2]\narchive: {dir: x}").getMessage().startsWith("upstream: expected a mapping"));
        assertTrue(error("upstream: {host: a\n").getMessage().startsWith("(file): not valid YAML at line"));
        assertTrue(error(MINIMAL + "  retention: {maxTotalSize: lots}\n").getMessage()
                .startsWith("archive.retention.maxTotalSize: 'lots'"));
        // numbers beyond a long, or durations beyond Duration, are config errors naming the key, not crashes
        assertTrue(error(MINIMAL + "  retention: {maxTotalSize: 99999999999999999999GB}\n").getMessage()
                .startsWith("archive.retention.maxTotalSize: '99999999999999999999GB' is too large"));
        assertTrue(error(MINIMAL + "  retention: {maxTotalSize: 99999999999999999999}\n").getMessage()
                .startsWith("archive.retention.maxTotalSize: 99999999999999999999 (expected: 0.."));
        assertTrue(error(MINIMAL + "  retention: {maxAge: 9223372036854775807d}\n").getMessage()
                .startsWith("archive.retention.maxAge: '9223372036854775807d' is too large"));
    }

    @Test
    void startGtidTakesEitherFlavorsSyntaxAndExcludesStartFile() throws Exception {
        String uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
        assertEquals(uuid + ":1-5", ProxyConfig.parse(MINIMAL.replace("serverId: 1001",
                "serverId: 1001\n  start: {gtid: '" + uuid + ":1-5'}"), null).upstream().startGtid());
        assertEquals("0-1-42,1-2-7", ProxyConfig.parse(MINIMAL.replace("serverId: 1001",
                "serverId: 1001\n  start: {gtid: '0-1-42,1-2-7'}"), null).upstream().startGtid());
        assertEquals(null, ProxyConfig.parse(MINIMAL, null).upstream().startGtid());
        assertTrue(error(MINIMAL.replace("serverId: 1001", "serverId: 1001\n  start: {gtid: 'banana'}"))
                .getMessage().startsWith("upstream.start.gtid: 'banana' is neither a MySQL GTID set"));
        assertTrue(error(MINIMAL.replace("serverId: 1001", "serverId: 1001\n  start: {gtid: '" + uuid + ":0'}"))
                .getMessage().startsWith("upstream.start.gtid: "));
        assertEquals("upstream.start.gtid: give start.file or start.gtid, not both", error(MINIMAL.replace(
                "serverId: 1001", "serverId: 1001\n  start: {file: mysql-bin.000001, gtid: '0-1-4'}")).getMessage());
    }

    @Test
    void passwordsNeverAppearInMessagesOrToString() throws Exception {
        ProxyConfig c = ProxyConfig.parse(MINIMAL, null);
        assertFalse(c.toString().contains("s3cret"), c.toString());
        assertEquals("s3cret", c.upstream().connection().password().reveal());
        ConfigException both = error(MINIMAL.replace("password: s3cret", "password: s3cret\n  passwordFile: /nope"));
        assertFalse(both.getMessage().contains("s3cret"));
        ConfigException missing = error(MINIMAL.replace("password: s3cret", "passwordFile: /nonexistent/pw"));
        assertTrue(missing.getMessage().startsWith("upstream.passwordFile: cannot read"), missing.getMessage());
    }

    @Test
    void serverUsersCarryHashesAndPermissions() throws Exception {
        ProxyConfig c = ProxyConfig.parse(MINIMAL + """
                server:
                  port: 0
                  fullAuthOnFirstLogin: true
                  users:
                    repl: {mysqlNativePassword: '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'}
                    ops:
                      cachingSha2Password: '%s'
                      permissions: [admin, replication]
                """.formatted("ab".repeat(32)), null);
        assertEquals(0, c.server().port());
        assertTrue(c.server().fullAuthOnFirstLogin());
        assertEquals(2, c.server().users().size());
        var repl = c.server().users().get(0);
        assertEquals("repl", repl.name());
        assertTrue(repl.may(dev.binlogproxy.downstream.login.Permission.REPLICATION));
        assertFalse(repl.may(dev.binlogproxy.downstream.login.Permission.ADMIN));
        assertTrue(repl.password().supportsNative());
        assertFalse(repl.password().supportsSha2());
        assertTrue(c.server().users().get(1).may(dev.binlogproxy.downstream.login.Permission.ADMIN));
        assertEquals(4, c.server().upstreamLoopSessions(), "dumps beside the upstream, by default");
        assertEquals(Math.max(1, Runtime.getRuntime().availableProcessors() - 1), c.server().sessionLoops(),
                "a core left to the upstream's loop, by default");
        assertNull(c.server().tlsCert());
    }

    @Test
    void serverUserErrorsNameTheKey() {
        assertTrue(error(MINIMAL + "server: {users: {repl: {password: x}}}").getMessage()
                .startsWith("server.users.repl.password: plaintext passwords are not accepted"));
        assertTrue(error(MINIMAL + "server: {users: {repl: {mysqlNativePassword: 'abc'}}}").getMessage()
                .startsWith("server.users.repl.mysqlNativePassword: expected '*' and 40 hex digits"));
        assertTrue(error(MINIMAL + "server: {users: {repl: {cachingSha2Password: 'abc'}}}").getMessage()
                .startsWith("server.users.repl.cachingSha2Password: expected 64 hex digits"));
        assertTrue(error(MINIMAL + "server: {users: {repl: {}}}").getMessage()
                .startsWith("server.users.repl.mysqlNativePassword: missing"));
        assertEquals("server.users.repl.permissions: 'super' (expected: replication, admin)",
                error(MINIMAL + "server: {users: {repl: {mysqlNativePassword: '', permissions: [super]}}}")
                        .getMessage());
        assertEquals("server.users.repl.colour: unknown key",
                error(MINIMAL + "server: {users: {repl: {mysqlNativePassword: '', colour: red}}}").getMessage());
        assertTrue(error(MINIMAL + "server: {tls: {certFile: /nonexistent/cert.pem, keyFile: /nonexistent/key.pem}}")
                .getMessage().startsWith("server.tls.certFile: /nonexistent/cert.pem is not a readable file"));
        assertEquals("server.tls.keyFile: missing (required)",
                error(MINIMAL + "server: {tls: {certFile: /etc/hostname}}").getMessage());
    }

    @Test
    void chainedSemiSyncIsASectionUnderServerSemiSync() throws Exception {
        ProxyConfig plain = ProxyConfig.parse(MINIMAL + "server:\n  semiSync: true\n", null);
        assertTrue(plain.server().semiSync());
        assertFalse(plain.chain().enabled());
        assertFalse(ProxyConfig.parse(MINIMAL, null).chain().enabled());

        ProxyConfig c = ProxyConfig.parse(MINIMAL + """
                server:
                  semiSync:
                    waitForReplicas: 2
                    timeout: 250ms
                """, null);
        assertTrue(c.server().semiSync());
        assertEquals(2, c.chain().waitForReplicas());
        assertEquals(Duration.ofMillis(250), c.chain().timeout());
        ProxyConfig d = ProxyConfig.parse(MINIMAL + "server:\n  semiSync: {waitForReplicas: 1}\n", null);
        assertEquals(Duration.ofSeconds(1), d.chain().timeout());

        assertEquals("server.semiSync.waitForReplicas", error(MINIMAL
                + "server:\n  semiSync: {waitForReplicas: -1}\n").key());
        assertEquals(0, ProxyConfig.parse(MINIMAL + "server:\n  upstreamLoopSessions: 0\n", null).server()
                .upstreamLoopSessions());
        assertEquals(3, ProxyConfig.parse(MINIMAL + "server:\n  sessionLoops: 3\n", null).server().sessionLoops());
        ConfigException noLoop = error(MINIMAL + "server:\n  sessionLoops: 0\n");
        assertEquals("server.sessionLoops", noLoop.key());
        assertTrue(noLoop.getMessage().contains("0"), noLoop.getMessage());
        ConfigException loops = error(MINIMAL + "server:\n  upstreamLoopSessions: -1\n");
        assertEquals("server.upstreamLoopSessions", loops.key());
        assertTrue(loops.getMessage().contains("-1"), loops.getMessage());
        assertEquals("server.semiSync.timeout", error(MINIMAL
                + "server:\n  semiSync: {waitForReplicas: 1, timeout: 0ms}\n").key());
        assertEquals("server.semiSync.timeout", error(MINIMAL
                + "server:\n  semiSync: {waitForReplicas: 1, timeout: soon}\n").key());
        ConfigException off = error(MINIMAL + "server:\n  semiSync: {enabled: false, waitForReplicas: 1}\n");
        assertEquals("server.semiSync.waitForReplicas", off.key());
        assertTrue(off.getMessage().contains("server.semiSync.enabled is false"), off.getMessage());
        ConfigException up = error(MINIMAL.replace("serverId: 1001", "serverId: 1001\n  semiSync: false")
                + "server:\n  semiSync: {waitForReplicas: 1}\n");
        assertEquals("server.semiSync.waitForReplicas", up.key());
        assertTrue(up.getMessage().contains("upstream.semiSync is false"), up.getMessage());
        assertEquals("server.semiSync.waitFor", error(MINIMAL
                + "server:\n  semiSync: {waitFor: 1}\n").key());
        assertEquals("server.semiSync", error(MINIMAL + "server:\n  semiSync: 3\n").key());
    }

    @Test
    void yamlSyntaxErrorsSayLineAndColumnButNeverTheLinesText() {
        ConfigException quote = error(MINIMAL.replace("password: s3cret", "password: 's3cret-unclosed"));
        assertTrue(quote.getMessage().startsWith("(file): not valid YAML at line "), quote.getMessage());
        assertFalse(quote.getMessage().contains("s3cret"), quote.getMessage());
        ConfigException tab = error(MINIMAL.replace("  password: s3cret", "\tpassword: s3cret-tabbed"));
        assertTrue(tab.getMessage().matches("\\(file\\): not valid YAML at line 4, column 1: .*TAB.*"),
                tab.getMessage());
        assertFalse(tab.getMessage().contains("s3cret"), tab.getMessage());
    }

    @Test
    void aKeyGivenTwiceIsAnErrorNamingIt() {
        assertTrue(error(MINIMAL.replace("password: s3cret", "password: s3cret\n  password: other-s3cret"))
                .getMessage().startsWith("upstream.password: given twice (line 5"));
        String failover = MINIMAL + "failover:\n  mode: manual\n  candidates:\n    - {host: a, user: u, password: x,"
                + " port: 1, port: 2}\n";
        assertTrue(error(failover).getMessage().startsWith("failover.candidates[0].port: given twice"),
                error(failover).getMessage());
    }

    @Test
    void passwordsMustBeStringsAsWritten() throws Exception {
        for (String coerced : new String[] {"0x1F2E3D", "0755", "1_000", "123456", "1e5", "true", "~", "null"}) {
            ConfigException e = error(MINIMAL.replace("password: s3cret", "password: " + coerced));
            assertTrue(e.getMessage().startsWith("upstream.password: YAML reads this value as "), coerced + ": "
                    + e.getMessage());
            assertTrue(e.getMessage().contains("quote it"), e.getMessage());
            if (coerced.matches(".*\\d.*")) { // the value itself never shows (the words null, true may)
                assertFalse(e.getMessage().contains(coerced), e.getMessage());
            }
        }
        assertEquals("0x1F2E3D", ProxyConfig.parse(MINIMAL.replace("password: s3cret", "password: '0x1F2E3D'"), null)
                .upstream().connection().password().reveal());
        assertEquals("", ProxyConfig.parse(MINIMAL.replace("password: s3cret", "password: ''"), null)
                .upstream().connection().password().reveal());
        // nothing written is read as the empty string: the characters written, none
        assertEquals("", ProxyConfig.parse(MINIMAL.replace("password: s3cret", "password:"), null)
                .upstream().connection().password().reveal());
        String candidate = MINIMAL + "failover:\n  mode: manual\n  candidates:\n"
                + "    - {host: a, user: u, password: 0755}\n";
        assertTrue(error(candidate).getMessage().startsWith("failover.candidates[0].password: YAML reads"));
    }

    @Test
    void archiveDirThatIsAFileAndTheNewKeys() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        assertEquals("archive.dir: " + file + " exists and is not a directory",
                error(MINIMAL.replace("/var/lib/binlog-proxy", file.toString())).getMessage());
        ProxyConfig c = ProxyConfig.parse(MINIMAL + "  minFreeSpace: 64MB\n", null);
        assertEquals(64L << 20, c.archive().minFreeSpace());
        assertEquals(256L << 20, ProxyConfig.parse(MINIMAL, null).archive().minFreeSpace());
        assertEquals(5, ProxyConfig.parse(MINIMAL, null).upstream().maxLoginFailures());
        assertEquals(0, ProxyConfig.parse(MINIMAL.replace("serverId: 1001", "serverId: 1001\n  maxLoginFailures: 0"),
                null).upstream().maxLoginFailures());
    }

    @Test
    void theExampleConfigurationIsValid() throws Exception {
        Path example = Files.copy(Path.of("..", "config", "binlog-proxy.example.yaml"), dir.resolve("example.yaml"));
        Files.writeString(dir.resolve("upstream.password"), "change-me\n");
        ProxyConfig c = ProxyConfig.load(example);
        assertEquals(256L << 20, c.archive().minFreeSpace());
        assertEquals(5, c.upstream().maxLoginFailures());
    }

    @Test
    void tieringSectionIsReadIntoItsSettings() throws Exception {
        Files.writeString(dir.resolve("secret"), "  s3-secret\n");
        ProxyConfig c = ProxyConfig.parse(MINIMAL + """
                tiering:
                  endpoint: http://127.0.0.1:9000
                  bucket: binlogs
                  prefix: db1/
                  accessKey: 'AKIA1'
                  secretKeyFile: secret
                  cacheHold: 30s
                  retry: {initialDelay: 2s, maxDelay: 1m}
                """, dir);
        var t = c.tiering();
        assertEquals(java.net.URI.create("http://127.0.0.1:9000"), t.endpoint());
        assertEquals("us-east-1", t.region());
        assertEquals("db1/mysql-bin.000042", t.keyOf("mysql-bin.000042"));
        assertEquals("AKIA1", t.accessKey());
        assertEquals("s3-secret", t.secretKey());
        assertTrue(t.pathStyle(), "path style by default with an endpoint");
        assertEquals(Duration.ofSeconds(30), t.cacheHold());
        assertEquals(Duration.ofSeconds(2), t.retryInitial());
        assertEquals(Duration.ofMinutes(1), t.retryMax());
        assertEquals(dir.resolve("archive/tier-cache"), t.cacheDirFor(dir.resolve("archive")));
        assertFalse(t.toString().contains("s3-secret"), t.toString());
        assertNull(ProxyConfig.parse(MINIMAL, null).tiering());
        assertNull(ProxyConfig.parse(MINIMAL + "tiering: {enabled: false, bucket: b}\n", null).tiering());
    }

    @Test
    void tieringErrorsNameTheKey() {
        assertEquals("tiering.bucket: missing (required with tiering enabled)",
                error(MINIMAL + "tiering: {endpoint: 'http://s3:9000'}\n").getMessage());
        assertTrue(error(MINIMAL + "tiering: {bucket: b, endpoint: 's3.example'}\n").getMessage()
                .startsWith("tiering.endpoint: s3.example (expected: http(s)://host[:port])"));
        assertTrue(error(MINIMAL + "tiering: {bucket: b, accessKey: 'a'}\n").getMessage()
                .startsWith("tiering.secretKey: missing"));
        assertTrue(error(MINIMAL + "tiering: {bucket: b, accessKey: 'a', secretKey: 0755}\n").getMessage()
                .startsWith("tiering.secretKey: YAML reads this value as a number"));
        assertEquals("tiering.bucketName: unknown key", error(MINIMAL + "tiering: {bucketName: b}\n").getMessage());
        assertEquals("tiering.retry.max: unknown key",
                error(MINIMAL + "tiering: {bucket: b, retry: {max: 1s}}\n").getMessage());
    }
}
