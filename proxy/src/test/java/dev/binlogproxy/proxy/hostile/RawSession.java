package dev.binlogproxy.proxy.hostile;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;

import dev.binlogproxy.protocol.auth.AuthStep;
import dev.binlogproxy.protocol.auth.Authenticator;
import dev.binlogproxy.protocol.packet.HandshakeV10;

import io.netty.buffer.Unpooled;

/**
 * A blocking socket that speaks raw MySQL packets, for writing whatever bytes a test likes. Unlike the Netty test
 * client it frames nothing on its own: {@link #writeRaw} sends bytes as given, so headers can lie. Reads are whole
 * packets (a 16 MB continuation is joined); the end of the stream and a read timeout are results, not failures,
 * because telling them apart is what the hostile test checks.
 */
final class RawSession implements AutoCloseable {

    /** One server packet, or the end of the stream ({@code payload == null}), or a timeout. */
    record Reply(int sequenceId, byte[] payload, boolean timedOut) {
        static final Reply CLOSED = new Reply(-1, null, false);
        static final Reply TIMEOUT = new Reply(-1, null, true);

        boolean closed() {
            return payload == null && !timedOut;
        }

        int first() {
            return payload == null || payload.length == 0 ? -1 : payload[0] & 0xFF;
        }

        boolean isErr() {
            return first() == 0xFF;
        }

        boolean isOk() {
            return first() == 0x00;
        }

        /** ERR code, or -1. */
        int errCode() {
            return isErr() && payload.length >= 3 ? (payload[1] & 0xFF) | (payload[2] & 0xFF) << 8 : -1;
        }

        /** SQLSTATE of an ERR packet, or "" when it has none (pre-4.1 style, or the greeting phase). */
        String sqlState() {
            return isErr() && payload.length >= 9 && payload[3] == '#' ? new String(payload, 4, 5) : "";
        }

        String message() {
            if (!isErr()) {
                return "";
            }
            int from = payload.length >= 9 && payload[3] == '#' ? 9 : 3;
            return new String(payload, from, Math.max(0, payload.length - from));
        }

        @Override
        public String toString() {
            if (timedOut) {
                return "timeout";
            }
            if (payload == null) {
                return "closed";
            }
            if (isErr()) {
                return "ERR " + errCode() + " (" + sqlState() + ") " + message();
            }
            return "packet seq=" + sequenceId + " 0x" + Integer.toHexString(first()) + " len=" + payload.length;
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private HandshakeV10 greeting;

    RawSession(String host, int port, int readTimeoutMillis) throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.setSoLinger(true, 0); // abrupt closes are RSTs when the test wants them; no TIME_WAIT pile-up
        socket.connect(new InetSocketAddress(host, port), 10_000);
        socket.setSoTimeout(readTimeoutMillis);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    void timeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    /** Reads the first packet; {@link #greeting()} is set when it is a greeting. */
    Reply readGreeting() throws IOException {
        Reply r = read();
        if (r.payload() != null && r.first() == HandshakeV10.PROTOCOL_VERSION) {
            greeting = HandshakeV10.decode(Unpooled.wrappedBuffer(r.payload()));
        }
        return r;
    }

    HandshakeV10 greeting() {
        return greeting;
    }

    /** Logs in with the production client authenticator; throws with the server's answer on failure. */
    void login(String user, String password) throws IOException {
        Reply g = readGreeting();
        if (greeting == null) {
            throw new IOException("no greeting: " + g);
        }
        Authenticator auth = Authenticator.builder(user, password).build();
        AuthStep step = auth.start(g.sequenceId(), Unpooled.wrappedBuffer(g.payload()));
        while (!(step instanceof AuthStep.Success)) {
            if (step instanceof AuthStep.Send s) {
                writePacket(s.sequenceId(), s.payload());
            } else if (!(step instanceof AuthStep.Await)) {
                throw new IOException("unexpected auth step " + step);
            }
            Reply r = read();
            if (r.payload() == null) {
                throw new IOException("login: " + r);
            }
            step = auth.handle(r.sequenceId(), Unpooled.wrappedBuffer(r.payload()));
        }
    }

    void writePacket(int sequenceId, byte[] payload) throws IOException {
        byte[] framed = new byte[4 + payload.length];
        framed[0] = (byte) payload.length;
        framed[1] = (byte) (payload.length >>> 8);
        framed[2] = (byte) (payload.length >>> 16);
        framed[3] = (byte) sequenceId;
        System.arraycopy(payload, 0, framed, 4, payload.length);
        out.write(framed);
        out.flush();
    }

    void writeRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Next packet; CLOSED at the end of the stream or a reset, TIMEOUT when nothing came in time. */
    Reply read() throws IOException {
        try {
            ByteArrayOutputStream payload = null;
            int seq;
            int len;
            do {
                byte[] h = readFully(4);
                len = (h[0] & 0xFF) | (h[1] & 0xFF) << 8 | (h[2] & 0xFF) << 16;
                seq = h[3] & 0xFF;
                byte[] part = readFully(len);
                if (payload == null && len < 0xFFFFFF) {
                    return new Reply(seq, part, false);
                }
                if (payload == null) {
                    payload = new ByteArrayOutputStream();
                }
                payload.write(part);
            } while (len == 0xFFFFFF);
            return new Reply(seq, payload.toByteArray(), false);
        } catch (SocketTimeoutException e) {
            return Reply.TIMEOUT;
        } catch (EOFException e) {
            return Reply.CLOSED;
        } catch (IOException e) {
            // connection reset: the server closed with unread data on its side
            return Reply.CLOSED;
        }
    }

    private byte[] readFully(int n) throws IOException {
        byte[] b = new byte[n];
        int off = 0;
        while (off < n) {
            int r = in.read(b, off, n - off);
            if (r < 0) {
                throw new EOFException();
            }
            off += r;
        }
        return b;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing is all that is left to do
        }
    }
}
