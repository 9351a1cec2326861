package dev.binlogproxy.downstream.dump;

import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * Where a sender writes its packets. Implemented by the session on top of its channel; every call comes from the
 * sender's one thread.
 */
public interface DumpOutput {

    /**
     * Events up to this size may come to {@link #event(ByteBuf, boolean, boolean)} as a view of the archive
     * reader's window, whose bytes change once the call returns: an implementation must have copied or written
     * them by then (releasing the buffer is still its job).
     */
    int VIEW_LIMIT = 60 * 1024;

    /**
     * One event packet. The implementation adds the 0x00 OK byte and, if {@code semiSyncHeader}, the 0xEF header
     * with {@code ackRequested} as its flag, and splits packets of 16 MB and more. Blocks while the channel is not
     * writable (backpressure). Takes ownership of {@code eventBytes} and releases it.
     */
    void event(ByteBuf eventBytes, boolean semiSyncHeader, boolean ackRequested) throws IOException;

    /**
     * The same, with the event bytes taken straight from a file (zero-copy): {@code length} bytes at
     * {@code offset}, one whole event. The channel stays the sender's: the implementation must not close it
     * (beware Netty's DefaultFileRegion, which closes its channel when released). The sender keeps it open until
     * {@link #flush()} has returned, so an implementation that writes asynchronously must make flush wait.
     */
    void event(FileChannel file, long offset, int length, boolean semiSyncHeader, boolean ackRequested)
            throws IOException;

    /**
     * Waits until everything handed over so far has been written to the socket (or failed). The sender calls it
     * before it closes a file whose regions it passed to {@link #event(FileChannel, long, int, boolean, boolean)}.
     * The default suits implementations that write synchronously or copy the region.
     */
    default void flush() throws IOException {
    }

    /**
     * Hands over whatever the implementation holds back to batch small packets, without waiting for it to be
     * written. The sender calls it when it has read everything there is, before it waits for more.
     */
    default void push() throws IOException {
    }

    /** EOF packet: the end of a non-blocking dump. */
    void eof() throws IOException;

    /** ERR packet; the session closes after it. */
    void error(int code, String sqlState, String message) throws IOException;

    /** False once the client is gone; the sender stops. */
    boolean isOpen();
}
