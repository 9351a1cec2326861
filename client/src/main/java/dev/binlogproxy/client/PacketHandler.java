package dev.binlogproxy.client;

import dev.binlogproxy.protocol.Packet;

/**
 * Receives a stream's packets (a dump) on the connection's event loop thread: see
 * {@link ServerConnection#streamTo}. While it works nothing more is read from the socket, which is the stream's
 * backpressure.
 */
public interface PacketHandler {
    /** One packet; the connection releases it after this returns. */
    void packet(Packet packet) throws Exception;

    /** The end of one read from the socket: nothing more is buffered right now (a good moment to flush replies). */
    void readComplete() throws Exception;
}
