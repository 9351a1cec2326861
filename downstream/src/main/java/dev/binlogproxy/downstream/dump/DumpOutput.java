package dev.binlogproxy.downstream.dump;

import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * Where a sender writes its packets. Implemented by the session on top of its channel; every call comes from the
 * sender's one thread (the session's event loop). Nothing here may block: the sender asks {@link #writable()}
 * between events and comes back when the output has room again.
 */
public interface DumpOutput {

    /**
     * Events up to this size may come to {@link #event(ByteBuf, boolean, boolean)} as a view of the archive
     * reader's window, whose bytes change once the call returns: an implementation must have copied or written
     * them by then (releasing the buffer is still its job).
     */
    int VIEW_LIMIT = 60 * 1024;

    /**
     * One event packet. The implementation adds the {@link dev.binlogproxy.protocol.packet.EventPacket} prefix (the
     * OK byte and, if {@code semiSyncHeader}, the semi-sync header with {@code ackRequested} as its flag) and
     * splits packets of 16 MB and more. Takes the packet even when the
     * output is not {@link #writable()} (one event past the mark is bounded by the event's size). Takes ownership
     * of {@code eventBytes} and releases it.
     */
    void event(ByteBuf eventBytes, boolean semiSyncHeader, boolean ackRequested) throws IOException;

    /**
     * Like {@link #event(ByteBuf, boolean, boolean)}, for bytes that stay valid until the actions given to
     * {@link #whenWritten} after this call have run (a view of a file mapping): an implementation may hand them
     * to the socket as they are instead of copying them. The default copies.
     */
    default void eventInPlace(ByteBuf eventBytes, boolean semiSyncHeader, boolean ackRequested) throws IOException {
        event(eventBytes, semiSyncHeader, ackRequested);
    }

    /**
     * The same, with the event bytes taken straight from a file (zero-copy): {@code length} bytes at
     * {@code offset}, one whole event. The channel stays the sender's: the implementation must not close it
     * (beware Netty's DefaultFileRegion, which closes its channel when released). The sender closes it only
     * through {@link #whenWritten}, so an implementation that writes asynchronously must run that after the write.
     */
    void event(FileChannel file, long offset, int length, boolean semiSyncHeader, boolean ackRequested)
            throws IOException;

    /**
     * Whether the output has room for more (below its high water mark). The sender stops at false and is stepped
     * again once it has room.
     */
    default boolean writable() {
        return true;
    }

    /**
     * Runs {@code action} once everything handed over so far has been written to the socket (or failed); at once
     * for an implementation that writes synchronously. The sender closes region files this way.
     */
    default void whenWritten(Runnable action) {
        action.run();
    }

    /**
     * Hands over whatever the implementation holds back to batch small packets, without waiting for it to be
     * written. The sender calls it when it has read everything there is, before it waits for more.
     */
    default void push() throws IOException {
    }

    /**
     * Packets one output framed for a stretch of events, to be written again by outputs of dumps that would send
     * the very same bytes there (see {@link SharedRuns}).
     *
     * @param bytes           whole wire packets (header, event-packet prefix, event), as framed with the sequence
     *                        ids starting at {@code firstSequenceId}; read only, never modified
     * @param firstSequenceId the id of the first packet
     * @param nextSequenceId  the id of the packet after the last (after a semi-sync ACK request: 1)
     * @param semiSync        whether the packets carry the semi-sync header
     */
    record Framed(ByteBuf bytes, int firstSequenceId, int nextSequenceId, boolean semiSync) {
    }

    /**
     * Starts keeping a copy of every packet framed from now on, for {@link #captured()}. False if this output
     * cannot (the default): the sender then shares nothing it reads.
     */
    default boolean capture() {
        return false;
    }

    /**
     * Ends the capture {@link #capture()} started: the packets framed since, or null if one of them was not kept
     * (a file region, an event written in place, a packet too large for one batch, too much in all). The caller
     * owns (releases) the result.
     */
    default Framed captured() {
        return null;
    }

    /**
     * Writes packets another output captured for a dump that, from here, sends exactly what this one would, with
     * this output's sequence ids (the one byte of the packets that differs between such dumps).
     */
    default void replay(Framed run) throws IOException {
        throw new UnsupportedOperationException("this output cannot replay what another framed");
    }

    /** EOF packet: the end of a non-blocking dump. */
    void eof() throws IOException;

    /** ERR packet; the session closes after it. */
    void error(int code, String sqlState, String message) throws IOException;

    /** False once the client is gone; the sender stops. */
    boolean isOpen();
}
