package dev.binlogproxy.upstream;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.protocol.MySqlProtocolException;
import dev.binlogproxy.client.ServerConnection;
import dev.binlogproxy.client.TlsMode;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The upstream TLS modes against real servers that have their own CA (certificates made here with openssl):
 * verify-ca accepts the right CA and refuses another, verify-identity refuses a certificate that does not name
 * the host and accepts one that does (and the dump then streams over it), and required / verify-ca against a
 * server without TLS fail with the reason.
 */
class UpstreamTlsTest {
    @TempDir
    Path dir;

    private EventLoopGroup group;

    @BeforeEach
    void startGroup() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterEach
    void stopGroup() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void mariadbVerifyModes() throws Exception {
        Certificates c = Certificates.make(dir);
        try (DbServer master = DbServer.start(ServerOptions.mariadb().extraFlag("--ssl-ca=" + c.ca,
                "--ssl-cert=" + c.serverCert, "--ssl-key=" + c.serverKey).build())) {
            master.createReplicationUser(MirrorHarness.USER, MirrorHarness.PASSWORD);
            UpstreamSettings base = MirrorHarness.settings(master, 9700, false);
            checkCaAndNameRefusals(base, c);

            // a certificate that names 127.0.0.1, loaded with FLUSH SSL: verify-identity now connects
            Files.copy(c.serverCertWithIp, c.serverCert, StandardCopyOption.REPLACE_EXISTING);
            master.execute("FLUSH SSL");
            UpstreamSettings identity = base.withTls(TlsMode.VERIFY_IDENTITY, c.ca);
            try (ServerConnection conn = ServerConnection.open(group, identity.connection())) {
                assertTlsOnServerSide(conn);
            }
            // and the mirror dumps over it
            master.execute("CREATE DATABASE s", "CREATE TABLE s.t (id INT PRIMARY KEY)", "INSERT INTO s.t VALUES (1)");
            try (BinlogArchive archive = BinlogArchive.open(dir.resolve("archive"), Durability.FSYNC);
                 MirrorService mirror = MirrorService.start(identity, archive, MirrorHarness.metrics())) {
                MirrorHarness.awaitCaughtUp(archive, master, mirror, Duration.ofSeconds(30));
                MirrorHarness.assertByteIdentical(master, dir.resolve("archive"));
            }
        }
    }

    @Test
    void mysqlVerifyModes() throws Exception {
        Certificates c = Certificates.make(dir);
        try (DbServer master = DbServer.start(ServerOptions.mysql().extraFlag("--ssl-ca=" + c.ca,
                "--ssl-cert=" + c.serverCert, "--ssl-key=" + c.serverKey).build())) {
            master.createReplicationUser(MirrorHarness.USER, MirrorHarness.PASSWORD);
            checkCaAndNameRefusals(MirrorHarness.settings(master, 9701, false), c);
        }
    }

    @Test
    void requiredAgainstAServerWithoutTlsFails() throws Exception {
        Certificates c = Certificates.make(dir);
        // MariaDB 10.11 has no TLS unless given certificates
        try (DbServer master = DbServer.start(ServerOptions.mariadb().build())) {
            master.createReplicationUser(MirrorHarness.USER, MirrorHarness.PASSWORD);
            UpstreamSettings base = MirrorHarness.settings(master, 9702, false);
            for (UpstreamSettings s : List.of(base.withTls(TlsMode.REQUIRED, null),
                    base.withTls(TlsMode.VERIFY_CA, c.ca))) {
                MySqlProtocolException e = assertThrows(MySqlProtocolException.class,
                        () -> ServerConnection.open(group, s.connection()).close(), s.connection().tlsMode().toString());
                assertTrue(e.getMessage().contains("SSL is required but the server"), e.getMessage());
                assertEquals(2026, e.errorCode(), e.getMessage()); // CR_SSL_CONNECTION_ERROR, as the mysql client
            }
            // preferred falls back to a plain connection
            try (ServerConnection conn = ServerConnection.open(group, base.withTls(TlsMode.PREFERRED, null).connection())) {
                assertTrue(!conn.usesTls());
            }
        }
    }

    /** verify-ca: right CA in, wrong CA out; verify-identity: a certificate for another name out. */
    private void checkCaAndNameRefusals(UpstreamSettings base, Certificates c) throws Exception {
        try (ServerConnection conn = ServerConnection.open(group, base.withTls(TlsMode.VERIFY_CA, c.ca).connection())) {
            assertTlsOnServerSide(conn);
        }
        IOException wrongCa = assertThrows(IOException.class,
                () -> ServerConnection.open(group, base.withTls(TlsMode.VERIFY_CA, c.otherCa).connection()).close());
        assertTrue(wrongCa.getMessage().startsWith("TLS mode verify-ca: the certificate of 127.0.0.1:"), wrongCa.getMessage());
        assertTrue(wrongCa.getMessage().contains("is not signed by the CA file " + c.otherCa), wrongCa.getMessage());
        IOException wrongName = assertThrows(IOException.class,
                () -> ServerConnection.open(group, base.withTls(TlsMode.VERIFY_IDENTITY, c.ca).connection()).close());
        assertTrue(wrongName.getMessage().startsWith("TLS mode verify-identity: the certificate of 127.0.0.1:"), wrongName.getMessage());
        assertTrue(wrongName.getMessage().contains("does not name 127.0.0.1"), wrongName.getMessage());
    }

    private static void assertTlsOnServerSide(ServerConnection conn) throws IOException {
        assertTrue(conn.usesTls());
        String version = conn.query("SHOW SESSION STATUS LIKE 'Ssl_version'").rows().get(0).get(1);
        assertTrue(version.startsWith("TLS"), "the server sees a TLS session: " + version);
    }

    /** A CA, another CA, and server certificates signed by the first: one for db.example.test, one for 127.0.0.1. */
    private record Certificates(Path ca, Path otherCa, Path serverCert, Path serverKey, Path serverCertWithIp) {
        static Certificates make(Path dir) throws Exception {
            Path d = Files.createDirectories(dir.resolve("tls"));
            caCert(d, "ca");
            caCert(d, "other-ca");
            openssl(d, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server-key.pem", "-out", "server.csr",
                    "-subj", "/CN=db.example.test");
            sign(d, "server-cert.pem", "subjectAltName=DNS:db.example.test");
            sign(d, "server-cert-ip.pem", "subjectAltName=IP:127.0.0.1");
            return new Certificates(d.resolve("ca.pem"), d.resolve("other-ca.pem"), d.resolve("server-cert.pem"),
                    d.resolve("server-key.pem"), d.resolve("server-cert-ip.pem"));
        }

        private static void caCert(Path d, String name) throws Exception {
            openssl(d, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", name + "-key.pem",
                    "-out", name + ".pem", "-subj", "/CN=binlog-proxy test " + name,
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        }

        private static void sign(Path d, String out, String san) throws Exception {
            Path ext = d.resolve(out + ".ext");
            Files.writeString(ext, san + "\nextendedKeyUsage=serverAuth\n");
            openssl(d, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                    "-CAcreateserial", "-days", "2", "-sha256", "-out", out, "-extfile", ext.toString());
        }

        private static void openssl(Path d, String... args) throws Exception {
            String[] cmd = new String[args.length + 1];
            cmd[0] = "openssl";
            System.arraycopy(args, 0, cmd, 1, args.length);
            Process p = new ProcessBuilder(cmd).directory(d.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), String.join(" ", cmd) + "\n" + out);
        }
    }
}
