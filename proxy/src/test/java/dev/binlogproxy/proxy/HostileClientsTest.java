package dev.binlogproxy.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import com.github.shyiko.mysql.binlog.BinaryLogClient;

import dev.binlogproxy.protocol.Capabilities;
import dev.binlogproxy.protocol.Collations;
import dev.binlogproxy.protocol.NoLeaks;
import dev.binlogproxy.protocol.auth.MysqlNativePassword;
import dev.binlogproxy.protocol.packet.HandshakeResponse41;
import dev.binlogproxy.protocol.packet.HandshakeV10;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.ServerOptions;

import io.netty.buffer.Unpooled;

/**
 * Hostile and careless clients against the proxy's server while a real MariaDB replica streams through it:
 * generated malformed input (garbage handshakes, truncated and oversized packets, wrong sequence ids, random
 * commands and statements) never crashes the server nor disturbs the replica, leaks no buffer and leaves no
 * session behind; and a second dump with a running dump's server_id ends the older one, as on a real master.
 */
@ExtendWith(NoLeaks.class)
class HostileClientsTest {
    /** Generated malformed inputs (packets) per run. */
    private static final int INPUTS = Integer.getInteger("hostile.inputs", 100_000);

    @TempDir
    Path dir;

    private static final String[] WORDS = {"SELECT", "SET", "SHOW", "PURGE", "BINARY", "LOGS", "MASTER", "STATUS",
        "VARIABLES", "LIKE", "WHERE", "GLOBAL", "SESSION", "@@global.", "@@", "@", "version", "server_id", "x", "'a",
        "'b'", "\"", "`", "(", ")", ",", "=", ":=", ";", "/*", "*/", "--", "#", "1", "-1", "99999999999999999999",
        "NULL", "LIMIT", "FROM", "DUAL", "AS", "IN", "TO", "BEFORE", "NAMES", "REPLICAS", "SLAVE", "HOSTS", "\u00e9",
        "\\", "binlog_gtid_pos", "VERSION()", "\0"};

    @Test
    void malformedInputClosesOnlyItsSession() throws Exception {
        try (DbServer master = DbServer.start(ServerOptions.mariadb().build())) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            master.execute("CREATE DATABASE h", "CREATE TABLE h.t (id INT PRIMARY KEY, v INT)");
            try (ServeHarness proxy = ServeHarness.start(master, dir, 9901, false);
                 DbServer replica = DbServer.start(ServerOptions.mariadb().build())) {
                replica.replicateFrom("127.0.0.1", proxy.port(), ServeHarness.REPL, ServeHarness.REPL_PW, true);
                replica.waitForReplicaCaughtUp(master, Duration.ofSeconds(60));
                int baseline = proxy.server.sessionCount();

                SplittableRandom rnd = new SplittableRandom(4242);
                int sent = 0;
                int connections = 0;
                int row = 0;
                while (sent < INPUTS) {
                    sent += rnd.nextInt(4) == 0 ? garbageHandshake(proxy.port(), rnd) : junkSession(proxy.port(), rnd);
                    connections++;
                    if (connections % 200 == 0) {
                        // the replica keeps streaming while this goes on
                        master.execute("INSERT INTO h.t VALUES (" + (++row) + ", " + sent + ")");
                    }
                }
                master.execute("INSERT INTO h.t VALUES (" + (++row) + ", 0)");
                replica.waitForReplicaCaughtUp(master, Duration.ofSeconds(60));
                assertEquals(master.query("CHECKSUM TABLE h.t"), replica.query("CHECKSUM TABLE h.t"));
                Map<String, String> status = replica.replicaStatus();
                assertEquals("0", status.get("Last_IO_Errno"), status.toString());
                // every hostile session is gone (closing is asynchronous: give it a moment)
                for (int i = 0; i < 100 && proxy.server.sessionCount() > baseline; i++) {
                    Thread.sleep(50);
                }
                assertEquals(baseline, proxy.server.sessionCount(), "sessions left behind");
                assertTrue(connections > 1000, connections + " connections");
            }
        }
    }

    /** A connection that reads the greeting and sends garbage instead of a handshake response: one input. */
    private static int garbageHandshake(int port, SplittableRandom rnd) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            readPacket(in);
            OutputStream out = s.getOutputStream();
            byte[] garbage = new byte[rnd.nextInt(120)];
            rnd.nextBytes(garbage);
            switch (rnd.nextInt(4)) {
                case 0 -> out.write(garbage); // raw bytes, any header
                case 1 -> out.write(packet(1, garbage)); // a framed but meaningless response
                case 2 -> out.write(packet(rnd.nextInt(256), garbage)); // any sequence id
                default -> { // announces far more than the server accepts
                    out.write(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0x7F, 1});
                    out.write(garbage);
                }
            }
            s.shutdownOutput();
            drainUntilClosed(in);
        }
        return 1;
    }

    /** Logs in properly, then sends random commands and statements; returns how many packets it sent. */
    private static int junkSession(int port, SplittableRandom rnd) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            HandshakeV10 greeting = HandshakeV10.decode(Unpooled.wrappedBuffer(readPacket(in)));
            long caps = Capabilities.CLIENT_LONG_PASSWORD | Capabilities.CLIENT_PROTOCOL_41
                    | Capabilities.CLIENT_SECURE_CONNECTION | Capabilities.CLIENT_PLUGIN_AUTH
                    | Capabilities.CLIENT_TRANSACTIONS;
            byte[] token = MysqlNativePassword.scramble(ServeHarness.REPL_PW.getBytes(StandardCharsets.UTF_8),
                    greeting.scramble());
            out.write(packet(1, new HandshakeResponse41(caps, 1 << 24, Collations.UTF8MB4_GENERAL_CI, ServeHarness.REPL,
                    token, null, MysqlNativePassword.PLUGIN_NAME, null).toByteArray()));
            byte[] ok = readPacket(in);
            assertEquals(0, ok[0], "login");
            int sent = 1;
            int commands = 20 + rnd.nextInt(60);
            for (int i = 0; i < commands; i++) {
                int kind = rnd.nextInt(100);
                sent++;
                if (kind < 70) {
                    out.write(packet(0, query(randomStatement(rnd))));
                    if (!readResponse(in)) {
                        return sent;
                    }
                } else if (kind < 85) {
                    // unknown command bytes: ERR 1047, the session stays
                    byte[] p = new byte[1 + rnd.nextInt(20)];
                    rnd.nextBytes(p);
                    p[0] = (byte) (0x20 + rnd.nextInt(0xC0));
                    if ((p[0] & 0xFF) == 0xEF) {
                        p[0] = 0x40;
                    }
                    out.write(packet(0, p));
                    if (!readResponse(in)) {
                        return sent;
                    }
                } else {
                    // the session ends: a truncated COM_REGISTER_SLAVE or dump, a wrong sequence id, an empty packet
                    byte[] p;
                    int seq = 0;
                    switch (rnd.nextInt(4)) {
                        case 0 -> p = new byte[] {0x15, 1, 2};
                        case 1 -> p = new byte[] {0x1E, 0, 0, 1};
                        case 2 -> {
                            p = query("SELECT 1");
                            seq = 1 + rnd.nextInt(255);
                        }
                        default -> p = new byte[0];
                    }
                    out.write(packet(seq, p));
                    drainUntilClosed(in);
                    return sent;
                }
            }
            out.write(packet(0, new byte[] {0x01})); // COM_QUIT
            drainUntilClosed(in);
            return sent;
        }
    }

    private static String randomStatement(SplittableRandom rnd) {
        StringBuilder b = new StringBuilder();
        int n = 1 + rnd.nextInt(8);
        for (int i = 0; i < n; i++) {
            b.append(WORDS[rnd.nextInt(WORDS.length)]).append(rnd.nextInt(3) == 0 ? "" : " ");
        }
        return b.toString();
    }

    private static byte[] query(String sql) {
        byte[] text = sql.getBytes(StandardCharsets.UTF_8);
        byte[] p = new byte[text.length + 1];
        p[0] = 0x03;
        System.arraycopy(text, 0, p, 1, text.length);
        return p;
    }

    private static byte[] packet(int seq, byte[] payload) {
        byte[] p = new byte[payload.length + 4];
        p[0] = (byte) payload.length;
        p[1] = (byte) (payload.length >> 8);
        p[2] = (byte) (payload.length >> 16);
        p[3] = (byte) seq;
        System.arraycopy(payload, 0, p, 4, payload.length);
        return p;
    }

    private static byte[] readPacket(InputStream in) throws IOException {
        byte[] h = in.readNBytes(4);
        if (h.length < 4) {
            throw new EOFException("closed");
        }
        int len = (h[0] & 0xFF) | (h[1] & 0xFF) << 8 | (h[2] & 0xFF) << 16;
        byte[] payload = in.readNBytes(len);
        if (payload.length < len) {
            throw new EOFException("closed mid-packet");
        }
        return payload;
    }

    /**
     * One command's answer: OK, ERR, or a text result set (without DEPRECATE_EOF: columns, EOF, rows, EOF).
     * False when the server closed the session instead.
     */
    private static boolean readResponse(InputStream in) throws IOException {
        byte[] first;
        try {
            first = readPacket(in);
        } catch (EOFException e) {
            return false;
        }
        int b = first[0] & 0xFF;
        if (b == 0x00 || b == 0xFF) {
            return true;
        }
        int eofs = 0;
        while (eofs < 2) {
            byte[] p;
            try {
                p = readPacket(in);
            } catch (EOFException e) {
                return false;
            }
            if ((p[0] & 0xFF) == 0xFE && p.length < 9) {
                eofs++;
            }
        }
        return true;
    }

    private static void drainUntilClosed(InputStream in) throws IOException {
        byte[] buf = new byte[4096];
        try {
            while (in.read(buf) >= 0) {
                // an ERR packet, then the close
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server did not close a hostile session within 10 s", e);
        } catch (java.net.SocketException e) {
            // reset by the server: closed as well
        }
    }

    @Test
    void aNewDumpWithTheSameServerIdEndsTheOlder() throws Exception {
        try (DbServer master = DbServer.start(ServerOptions.mysql().gtid(true).build())) {
            master.createReplicationUser(ServeHarness.REPL, ServeHarness.REPL_PW);
            master.execute("CREATE DATABASE d");
            try (ServeHarness proxy = ServeHarness.start(master, dir, 9902, false)) {
                CountDownLatch firstGone = new CountDownLatch(1);
                BinaryLogClient first = client(proxy);
                first.registerLifecycleListener(new BinaryLogClient.AbstractLifecycleListener() {
                    @Override
                    public void onDisconnect(BinaryLogClient c) {
                        firstGone.countDown();
                    }
                });
                first.connect(30_000);
                BinaryLogClient second = client(proxy);
                second.connect(30_000);
                try {
                    assertTrue(firstGone.await(20, TimeUnit.SECONDS), "the older dump with server_id 7777 still runs");
                    assertTrue(second.isConnected());
                    for (int i = 0; i < 100 && proxy.server.runningDumps() != 1; i++) {
                        Thread.sleep(50);
                    }
                    assertEquals(1, proxy.server.runningDumps());
                } finally {
                    second.disconnect();
                    first.disconnect();
                }
            }
        }
    }

    private static BinaryLogClient client(ServeHarness proxy) {
        BinaryLogClient c = new BinaryLogClient("127.0.0.1", proxy.port(), ServeHarness.REPL, ServeHarness.REPL_PW);
        c.setServerId(7777);
        c.setKeepAlive(false);
        return c;
    }
}
