package dev.binlogproxy.protocol.auth;

import dev.binlogproxy.protocol.packet.OkPacket;

/** What the caller of an {@link Authenticator} does next. */
public sealed interface AuthStep {

    /** Nothing to send: wait for the server's next packet and pass it to {@link Authenticator#handle}. */
    AuthStep AWAIT = new Await();

    /** Send {@code payload} as a packet with {@code sequenceId}, then wait for the server's next packet. */
    record Send(int sequenceId, byte[] payload) implements AuthStep {
        public Send {
            payload = payload.clone();
        }

        @Override
        public byte[] payload() {
            return payload.clone();
        }

        @Override
        public String toString() {
            return "Send(seq=" + sequenceId + ", " + payload.length + " bytes)";
        }
    }

    /**
     * Send this SSL request packet, then run the TLS client handshake on the connection (in Netty: put an
     * SslHandler in front of the packet decoder once the request is flushed), then call {@link
     * Authenticator#tlsEstablished()}.
     */
    record StartTls(int sequenceId, byte[] payload) implements AuthStep {
        public StartTls {
            payload = payload.clone();
        }

        @Override
        public byte[] payload() {
            return payload.clone();
        }

        @Override
        public String toString() {
            return "StartTls(seq=" + sequenceId + ", " + payload.length + " bytes)";
        }
    }

    /** See {@link #AWAIT}. */
    record Await() implements AuthStep {
    }

    /** The server accepted the login; the connection is ready for commands (sequence ids restart at 0). */
    record Success(OkPacket ok) implements AuthStep {
    }
}
