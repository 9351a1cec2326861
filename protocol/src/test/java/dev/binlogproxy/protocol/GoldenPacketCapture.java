package dev.binlogproxy.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import dev.binlogproxy.protocol.BlockingClient.Received;
import dev.binlogproxy.protocol.auth.Authenticator;
import dev.binlogproxy.protocol.packet.ComBinlogDump;
import dev.binlogproxy.protocol.packet.ComRegisterSlave;
import dev.binlogproxy.protocol.packet.EofPacket;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.Flavor;
import dev.binlogproxy.testkit.ServerOptions;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Regenerates the golden packets in {@code src/test/resources/protocol/} from fresh real servers:
 * {@code mvn -pl proxy test -Dtest=GoldenPacketCapture -Dprotocol.capture=true}. Skipped otherwise. See the
 * README there for what each file is; {@link GoldenPacketsTest} reads them.
 */
@EnabledIfSystemProperty(named = "protocol.capture", matches = "true")
class GoldenPacketCapture {

    static final String SELECT = "SELECT @@version, NULL AS n, 1 AS one";
    static final String[] SETUP = {"CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY)",
        "INSERT INTO d.t VALUES (1), (2)"};
    static final String UPDATE = "UPDATE d.t SET id = id + 10";
    private static final Path ROOT = Path.of("src/test/resources/protocol");

    @Test
    void mysql() throws Exception {
        Path dir = ROOT.resolve("mysql-8.0.15");
        Files.createDirectories(dir);
        try (DbServer server = DbServer.start(ServerOptions.mysql().build())) {
            server.createReplicationUser("repl", "repl-pw");
            server.createReplicationUser("old", "old-pw", "mysql_native_password");
            server.execute(SETUP);
            try (BlockingClient c = login(server, "repl", "repl-pw")) { // first login: full authentication
                List<Received> r = c.received();
                write(dir, "handshake-v10.bin", r.get(0));
                write(dir, "auth-more-data-perform-full-authentication.bin", r.get(1));
                write(dir, "auth-more-data-public-key.bin", r.get(2));
                write(dir, "ok-after-login.bin", r.get(3));
            }
            try (BlockingClient c = login(server, "repl", "repl-pw")) { // second login: fast path
                write(dir, "auth-more-data-fast-auth-success.bin", c.received().get(1));
            }
            try (BlockingClient c = login(server, "old", "old-pw")) {
                write(dir, "auth-switch-request.bin", c.received().get(1));
            }
            try (BlockingClient c = BlockingClient.connect(server.host(), server.port())) {
                try {
                    c.login(Authenticator.builder("old", "wrong").build(), null);
                    throw new AssertionError("login with a wrong password succeeded");
                } catch (MySqlProtocolException expected) {
                    List<Received> r = c.received();
                    write(dir, "err-access-denied.bin", r.get(r.size() - 1));
                }
            }
            captureQueriesAndDump(server, dir, Flavor.MYSQL);
            Files.write(dir.resolve("handshake-response-connector-j.bin"), connectorJResponse(server));
        }
    }

    @Test
    void mariadb() throws Exception {
        Path dir = ROOT.resolve("mariadb-10.11");
        Files.createDirectories(dir);
        try (DbServer server = DbServer.start(ServerOptions.mariadb().build())) {
            server.createReplicationUser("repl", "repl-pw");
            server.execute(SETUP);
            try (BlockingClient c = login(server, "repl", "repl-pw")) {
                write(dir, "handshake-v10.bin", c.received().get(0));
                write(dir, "ok-after-login.bin", c.received().get(1));
            }
            try (BlockingClient c = BlockingClient.connect(server.host(), server.port())) {
                try {
                    c.login(Authenticator.builder("repl", "wrong").build(), null);
                    throw new AssertionError("login with a wrong password succeeded");
                } catch (MySqlProtocolException expected) {
                    List<Received> r = c.received();
                    write(dir, "err-access-denied.bin", r.get(r.size() - 1));
                }
            }
            captureQueriesAndDump(server, dir, Flavor.MARIADB);
        }
    }

    private static BlockingClient login(DbServer server, String user, String password) {
        BlockingClient c = BlockingClient.connect(server.host(), server.port());
        c.login(Authenticator.builder(user, password).allowPublicKeyRetrieval(true).build(), null);
        return c;
    }

    private static void captureQueriesAndDump(DbServer server, Path dir, Flavor flavor) throws IOException {
        try (BlockingClient c = login(server, "root", "")) {
            int from = c.received().size();
            c.query(SELECT);
            writeWire(dir, "select-version.wire", c.received().subList(from, c.received().size()));
            from = c.received().size();
            c.query("SHOW BINARY LOGS");
            writeWire(dir, "show-binary-logs.wire", c.received().subList(from, c.received().size()));
            from = c.received().size();
            c.query(UPDATE);
            write(dir, "ok-with-info.bin", c.received().get(from));
        }
        try (BlockingClient c = login(server, "repl", "repl-pw")) {
            c.query("SET @master_binlog_checksum = @@global.binlog_checksum");
            if (flavor == Flavor.MARIADB) {
                c.query("SET @mariadb_slave_capability = 4");
            }
            c.command(new ComRegisterSlave(4242, "127.0.0.1", "", "", 0, 0, 0));
            c.read();
            c.command(new ComBinlogDump(4, ComBinlogDump.BINLOG_DUMP_NON_BLOCK, 4242,
                    server.showBinaryLogs().get(0).name()));
            List<Received> dump = new ArrayList<>();
            Received r;
            do {
                r = c.read();
                dump.add(r);
            } while (!EofPacket.isEof(r.buf()));
            writeWire(dir, "binlog-dump-non-block.wire", dump);
        }
    }

    private static void write(Path dir, String name, Received r) throws IOException {
        Files.write(dir.resolve(name), r.payload());
    }

    /** Packets with their 4-byte headers, as they came over the wire (all of these are far below 16 MB). */
    private static void writeWire(Path dir, String name, List<Received> packets) throws IOException {
        ByteBuf out = Unpooled.buffer();
        for (Received r : packets) {
            out.writeMediumLE(r.payload().length).writeByte(r.sequenceId()).writeBytes(r.payload());
        }
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        out.release();
        Files.write(dir.resolve(name), bytes);
    }

    /**
     * Connector/J's HandshakeResponse41, taken off the wire by a relay between it and the server: the second packet
     * the client sends (the first is the response itself; with sslMode=DISABLED there is no SSL request).
     */
    private static byte[] connectorJResponse(DbServer server) throws Exception {
        ByteArrayOutputStream fromClient = new ByteArrayOutputStream();
        try (ServerSocket relay = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try (Socket client = relay.accept(); Socket upstream = new Socket(server.host(), server.port())) {
                    Thread up = pump(client.getInputStream(), upstream.getOutputStream(), fromClient);
                    pump(upstream.getInputStream(), client.getOutputStream(), null).join();
                    up.join();
                } catch (IOException | InterruptedException e) {
                    // the test fails below on missing bytes
                }
            });
            acceptor.start();
            Properties p = new Properties();
            p.setProperty("user", "root");
            p.setProperty("password", "");
            String url = "jdbc:mysql://127.0.0.1:" + relay.getLocalPort()
                    + "/?sslMode=DISABLED&allowPublicKeyRetrieval=true&connectionAttributes=program_name:golden";
            try (Connection c = DriverManager.getConnection(url, p)) {
                c.isValid(5);
            }
            acceptor.join(10_000);
        }
        byte[] bytes;
        synchronized (fromClient) {
            bytes = fromClient.toByteArray();
        }
        int length = (bytes[0] & 0xFF) | (bytes[1] & 0xFF) << 8 | (bytes[2] & 0xFF) << 16;
        if (bytes[3] != 1) {
            throw new AssertionError("first client packet has sequence id " + bytes[3]);
        }
        byte[] payload = new byte[length];
        System.arraycopy(bytes, 4, payload, 0, length);
        return payload;
    }

    private static Thread pump(InputStream in, OutputStream out, ByteArrayOutputStream copy) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    if (copy != null) {
                        synchronized (copy) {
                            copy.write(buf, 0, n);
                        }
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
                out.close();
            } catch (IOException e) {
                // connection closed
            }
        });
        t.start();
        return t;
    }
}
