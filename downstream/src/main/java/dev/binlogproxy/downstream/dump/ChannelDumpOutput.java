package dev.binlogproxy.downstream.dump;

import java.io.IOException;
import java.nio.channels.FileChannel;

import dev.binlogproxy.protocol.Framing;
import dev.binlogproxy.protocol.Packet;
import dev.binlogproxy.protocol.ServerStatus;
import dev.binlogproxy.protocol.packet.EofPacket;
import dev.binlogproxy.protocol.packet.ErrPacket;
import dev.binlogproxy.protocol.packet.EventPacket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.ssl.SslHandler;

/**
 * The dump's packets onto the session's channel, on its event loop (the sender steps there). Sequence ids
 * continue from the dump command (which came at 0) and, after an event that asked for a semi-sync ACK, restart at
 * 1: the master and the replica both reset their counters around the ACK exchange.
 *
 * <p>Batching: packets up to {@link #BATCH} bytes are framed straight into one pooled direct buffer, handed to
 * the channel when the next packet would take the flush past {@link #WRITE_LIMIT} (one loopback TCP segment),
 * when an event asks for an ACK, before a region or a large packet, and when the sender has read everything there
 * is ({@link #push()}). One write per ~64 KiB rather than one per event: with
 * ~8 KB events, per-event writes and composite buffers cost more than the bytes (bench ServeBench fan-out).
 * Events of a file mapping ({@link #eventInPlace}) are not copied: their header goes from the batch and the event
 * follows as its own buffer in the same gathering write.
 *
 * <p>Backpressure: nothing here waits. The sender stops when {@link #writable()} is false (the channel is above
 * its high water mark) and the session steps it again when the channel drains, so a slow replica holds its own
 * dump back and nothing piles up in memory.
 */
final class ChannelDumpOutput implements DumpOutput {

    /** Capacity of the buffer packets are framed into (the archive reader's read-ahead window is as large). */
    static final int BATCH = 64 * 1024;
    /**
     * The most one flush hands the socket when the dump can choose where to cut: one full TCP segment on the
     * loopback interface (MTU 65,536, MSS 65,483 with timestamps). The kernel cuts every write into segments of the
     * MSS and sends each at once (TCP_NODELAY), so a flush of 64 KiB went out as a full segment and a 53-byte one,
     * and a flush of 64 KiB plus an event as a full one and a few KB: twice the packets for the bytes. Measured
     * with a C sender pushing 1 GB of page-cached file over loopback to a reader that discards: 65,536-byte writes
     * cost the sender 0.44-0.64 CPU s/GB, 65,483-byte writes 0.26-0.31 (docs/results.md, session 11). On a NIC
     * the kernel's unit is a multiple of its MSS up to 64 KiB, so a flush below 64 KiB leaves at most one short
     * packet there too.
     */
    static final int WRITE_LIMIT = 65_483;
    /**
     * The most a capture keeps ({@link #capture()}): a tailing dump's run is a commit or a group-commit batch, far
     * below it; a longer run is a backlog, which dumps rarely share at the same position and moment.
     */
    static final int CAPTURE_LIMIT = 256 * 1024;

    private final Channel channel;
    private int sequenceId;
    private ChannelFuture last;
    /**
     * Framed packets not yet handed to the channel. Its bytes before {@code batchSent} went out already, as a
     * slice written ahead of an event passed in place ({@link #eventInPlace}).
     */
    private ByteBuf batch;
    private int batchSent;
    /** Bytes handed to the channel (batch slices, events in place) since the last flush. */
    private int unflushed;
    /** Events were written in place (void promises) after the last tracked write. */
    private boolean inPlaceUntracked;
    /** Runs were written (void promises, flushed) after the last tracked write. */
    private boolean replayUntracked;
    private volatile boolean failed;
    /** While capturing: a copy of every packet framed since {@link #capture()}, and the id of the first. */
    private ByteBuf capture;
    private int captureFirstSequenceId;
    /** Something since capture() did not go through the batch (so the copy misses it), or the copy is full. */
    private boolean captureBroken;
    /** Whether the captured packets carry the semi-sync header (a dump's packets all do, or none). */
    private boolean captureSemiSync;

    ChannelDumpOutput(Channel channel, int firstSequenceId) {
        this.channel = channel;
        this.sequenceId = firstSequenceId & 0xFF;
    }

    @Override
    public boolean writable() {
        return channel.isWritable();
    }

    /** Bytes the next flush would send: handed to the channel since the last one, and framed but not handed. */
    private int pending() {
        return unflushed + (batch == null ? 0 : batch.writerIndex() - batchSent);
    }

    /**
     * Before a packet of {@code wire} bytes on the wire, {@code room} of them framed into the batch: what is
     * pending goes first if the batch has no room, or if the packet would take the flush past {@link #WRITE_LIMIT}.
     * Then there is a batch with room.
     */
    private void makeRoom(int room, int wire) throws IOException {
        int pending = pending();
        if (batch != null && batch.writableBytes() < room || pending > 0 && pending + wire > WRITE_LIMIT) {
            push();
        }
        if (batch == null) {
            batch = channel.alloc().directBuffer(BATCH, BATCH);
        }
    }

    /**
     * Frames the wire header and the event-packet prefix of one packet of {@code eventLength} event bytes into the
     * batch, after {@link #makeRoom} for {@code room} bytes of it.
     */
    private void frameIntoBatch(int room, int eventLength, boolean semiSyncHeader, boolean ackRequested)
            throws IOException {
        int prefixLength = EventPacket.prefixLength(semiSyncHeader);
        makeRoom(room, Framing.HEADER_LENGTH + prefixLength + eventLength);
        Framing.writeHeader(batch, prefixLength + eventLength, sequenceId);
        EventPacket.writePrefix(batch, semiSyncHeader, ackRequested);
    }

    @Override
    public void event(ByteBuf eventBytes, boolean semiSyncHeader, boolean ackRequested) throws IOException {
        int wire = Framing.HEADER_LENGTH + EventPacket.prefixLength(semiSyncHeader) + eventBytes.readableBytes();
        if (wire <= BATCH) {
            try {
                frameIntoBatch(wire, eventBytes.readableBytes(), semiSyncHeader, ackRequested);
                batch.writeBytes(eventBytes);
                if (capture != null) {
                    captureSemiSync = semiSyncHeader;
                    keep(batch.writerIndex() - wire, wire);
                }
            } finally {
                eventBytes.release();
            }
            advance((sequenceId + 1) & 0xFF, ackRequested);
            if (ackRequested) {
                push();
            }
            return;
        }
        push();
        captureBroken = true;
        // the packet encoder splits it into 16 MB pieces
        ByteBuf prefix = channel.alloc().buffer(EventPacket.prefixLength(semiSyncHeader));
        EventPacket.writePrefix(prefix, semiSyncHeader, ackRequested);
        CompositeByteBuf payload = channel.alloc().compositeBuffer(2);
        payload.addComponent(true, prefix);
        payload.addComponent(true, eventBytes);
        Packet packet = new Packet(sequenceId, payload);
        advance(packet.nextSequenceId(), ackRequested);
        track(channel.writeAndFlush(packet));
    }

    @Override
    public void event(FileChannel file, long offset, int length, boolean semiSyncHeader, boolean ackRequested)
            throws IOException {
        if (channel.pipeline().get(SslHandler.class) != null) {
            // TLS encrypts in user space: a region cannot bypass it, so read the bytes.
            ByteBuf bytes = channel.alloc().buffer(length);
            try {
                int n = 0;
                while (n < length) {
                    int r = bytes.writeBytes(file, offset + n, length - n);
                    if (r < 0) {
                        throw new IOException("end of file at " + (offset + n) + " reading an event of " + length
                                + " bytes");
                    }
                    n += r;
                }
            } catch (IOException | RuntimeException e) {
                bytes.release();
                throw e;
            }
            event(bytes, semiSyncHeader, ackRequested);
            return;
        }
        push();
        captureBroken = true;
        int prefixLength = EventPacket.prefixLength(semiSyncHeader);
        // Each piece: its header (the first with the event-packet prefix) from a small buffer, its bytes a region.
        int next = Framing.split((long) prefixLength + length, sequenceId, (at, piece, id) -> {
            boolean first = at == 0;
            ByteBuf header = channel.alloc().buffer(Framing.HEADER_LENGTH + (first ? prefixLength : 0));
            Framing.writeHeader(header, piece, id);
            if (first) {
                EventPacket.writePrefix(header, semiSyncHeader, ackRequested);
            }
            channel.write(header);
            int fromFile = first ? piece - prefixLength : piece;
            if (fromFile > 0) {
                channel.write(new FileSliceRegion(file, offset + (first ? 0 : at - prefixLength), fromFile));
            }
        });
        advance(next, ackRequested);
        track(channel.writeAndFlush(channel.alloc().buffer(0)));
    }

    private void advance(int next, boolean ackRequested) {
        // After an event the replica must ACK, the master's net layer restarts its count: the next packet is 1.
        sequenceId = ackRequested ? 1 : next;
    }

    private void track(ChannelFuture f) {
        // writes complete in order: this one covers every write before it
        inPlaceUntracked = false;
        replayUntracked = false;
        f.addListener((ChannelFutureListener) done -> {
            if (!done.isSuccess()) {
                failed = true;
                done.channel().close();
            }
        });
        // the newest tracked write: whenWritten waits for it
        last = f;
    }

    /** Copies the packet just framed at {@code from} in the batch into the capture, while it has room. */
    private void keep(int from, int wire) {
        if (captureBroken) {
            return;
        }
        if (capture.writerIndex() + wire > CAPTURE_LIMIT) {
            captureBroken = true;
            return;
        }
        capture.writeBytes(batch, from, wire);
    }

    @Override
    public boolean capture() {
        dropCapture();
        capture = channel.alloc().directBuffer(1024, CAPTURE_LIMIT);
        captureFirstSequenceId = sequenceId;
        captureBroken = false;
        return true;
    }

    @Override
    public Framed captured() {
        ByteBuf c = capture;
        capture = null;
        if (c == null) {
            return null;
        }
        if (captureBroken) {
            c.release();
            return null;
        }
        // Not wrapped read-only: nothing writes into it once captured (replay only writes duplicates of it, or
        // copies out of it), and a wrapper would be one more object per dump and commit.
        return new Framed(c, captureFirstSequenceId, sequenceId, captureSemiSync);
    }

    private void dropCapture() {
        if (capture != null) {
            capture.release();
            capture = null;
        }
    }

    @Override
    public void replay(Framed run) throws IOException {
        ByteBuf src = run.bytes();
        if (!src.isReadable()) {
            return;
        }
        if (capture != null) {
            // what this output captures must be what it framed itself, packet by packet
            captureBroken = true;
        }
        if (run.firstSequenceId() == sequenceId) {
            // Byte for byte what this output would frame: the same buffer goes to this channel too (no copy).
            // What is pending goes first, in order. A void promise, as for events written in place: no promise
            // and listener per dump and commit (a failed write fires exceptionCaught, which closes the session);
            // whenWritten covers it with a tracked write when something waits for it.
            push();
            channel.writeAndFlush(src.retainedDuplicate(), channel.voidPromise());
            replayUntracked = true;
            sequenceId = run.nextSequenceId();
            return;
        }
        // Another sequence id: copied into the batch packet by packet, each with this output's id.
        int at = src.readerIndex();
        int end = src.writerIndex();
        while (at < end) {
            int wire = Framing.HEADER_LENGTH + src.getUnsignedMediumLE(at);
            boolean ack = run.semiSync() && src.getByte(at + Framing.HEADER_LENGTH + 2) != 0;
            makeRoom(wire, wire);
            int w = batch.writerIndex();
            batch.writeBytes(src, at, wire);
            batch.setByte(w + Framing.HEADER_LENGTH - 1, sequenceId);
            advance((sequenceId + 1) & 0xFF, ack);
            if (ack) {
                push();
            }
            at += wire;
        }
    }

    /** The dump has ended (its last act on the event loop): drops what it framed but did not hand over. */
    void discardPending() {
        dropCapture();
        if (batch != null) {
            batch.release();
            batch = null;
            batchSent = 0;
        }
    }

    @Override
    public void eventInPlace(ByteBuf eventBytes, boolean semiSyncHeader, boolean ackRequested) throws IOException {
        int prefixLength = EventPacket.prefixLength(semiSyncHeader);
        int length = eventBytes.readableBytes();
        if (length + prefixLength >= Packet.MAX_CHUNK || !channel.isActive()) {
            event(eventBytes, semiSyncHeader, ackRequested);
            return;
        }
        // The header goes into the batch, which is written up to it; the event follows as its own buffer, so the
        // socket's gathering write takes its bytes where they are (a file mapping) without a copy.
        int header = Framing.HEADER_LENGTH + prefixLength;
        captureBroken = true;
        frameIntoBatch(header, length, semiSyncHeader, ackRequested);
        // Void promises: no promise or listener per event. A failed write fires exceptionCaught, which closes the
        // session; push() ends the run with a tracked write, which whenWritten (the mapping's release) waits for.
        int framed = batch.writerIndex() - batchSent;
        channel.write(batch.retainedSlice(batchSent, framed), channel.voidPromise());
        batchSent = batch.writerIndex();
        channel.write(eventBytes, channel.voidPromise());
        inPlaceUntracked = true;
        unflushed += framed + length;
        advance((sequenceId + 1) & 0xFF, ackRequested);
        // makeRoom flushed before this event if it would have taken the flush past the limit; only an event
        // larger than the limit on its own gets here above it
        if (ackRequested || unflushed >= WRITE_LIMIT) {
            push();
        }
    }

    @Override
    public void push() throws IOException {
        ByteBuf b = batch;
        batch = null;
        int from = batchSent;
        batchSent = 0;
        unflushed = 0;
        if (b != null) {
            if (b.writerIndex() == from || !channel.isActive()) {
                b.release();
            } else {
                if (from > 0) {
                    b.readerIndex(from);
                }
                track(channel.writeAndFlush(b));
                return;
            }
        }
        coverInPlaceWrites();
    }

    /**
     * After events written in place (void promises, maybe not flushed): a tracked empty write, flushed, that
     * completes only after every write before it (writes complete in order).
     */
    private void coverInPlaceWrites() {
        if (inPlaceUntracked && channel.isActive()) {
            track(channel.writeAndFlush(Unpooled.EMPTY_BUFFER));
        }
    }

    @Override
    public void whenWritten(Runnable action) {
        // the bytes the action releases may be in writes no promise covers yet: cover (and send) them first
        coverInPlaceWrites();
        if (replayUntracked && channel.isActive()) {
            track(channel.writeAndFlush(Unpooled.EMPTY_BUFFER));
        }
        ChannelFuture f = last;
        if (f == null || f.isDone()) {
            action.run();
        } else {
            f.addListener(done -> action.run());
        }
    }

    @Override
    public void eof() throws IOException {
        push();
        captureBroken = true;
        ByteBuf payload = channel.alloc().buffer(EofPacket.LENGTH);
        new EofPacket(0, ServerStatus.SERVER_STATUS_AUTOCOMMIT).encode(payload);
        Packet p = new Packet(sequenceId, payload);
        sequenceId = p.nextSequenceId();
        track(channel.writeAndFlush(p));
    }

    @Override
    public void error(int code, String sqlState, String message) throws IOException {
        captureBroken = true;
        if (batch != null) {
            // what was framed before the error goes first, without waiting for a slow client
            ByteBuf b = batch;
            batch = null;
            if (channel.isActive() && b.writerIndex() > batchSent) {
                channel.write(b.readerIndex(batchSent));
            } else {
                b.release();
            }
            batchSent = 0;
        }
        if (!channel.isActive()) {
            return;
        }
        ByteBuf payload = channel.alloc().buffer();
        new ErrPacket(code, sqlState, message).encode(payload);
        channel.writeAndFlush(new Packet(sequenceId, payload)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public boolean isOpen() {
        return channel.isActive() && !failed;
    }

    /** The id the next packet of this exchange would carry (the session continues from it after an EOF). */
    int sequenceId() {
        return sequenceId;
    }
}
