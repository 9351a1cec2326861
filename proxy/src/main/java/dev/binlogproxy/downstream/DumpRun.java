package dev.binlogproxy.downstream;

import java.io.IOException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.binlogproxy.downstream.dump.BinlogSender;
import dev.binlogproxy.downstream.dump.DumpRequest;
import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.Packet;
import dev.binlogproxy.protocol.packet.ErrPacket;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;

/**
 * One dump on a thread of its own: the sender blocks on the archive and on backpressure, which must never happen
 * on an event loop. When it ends, the session goes back to commands (a non-blocking dump's EOF) or closes.
 */
final class DumpRun {
    private static final Logger log = LoggerFactory.getLogger(DumpRun.class);

    private final DownstreamServer server;
    private final Session session;
    private final DumpRequest request;
    private final ChannelDumpOutput output;
    private final BinlogSender sender;
    private final Thread thread;
    private volatile ErrPacket abortWith;

    DumpRun(DownstreamServer server, Session session, DumpRequest request, ChannelDumpOutput output) {
        this.server = server;
        this.session = session;
        this.request = request;
        this.output = output;
        this.sender = new BinlogSender(server.archiveState().archive(), request, output,
                session.master().serverId(), server.metrics().registry());
        this.thread = new Thread(this::run, "dump-" + session.connectionId() + "-sid" + request.serverId());
        thread.setDaemon(true);
    }

    DumpRequest request() {
        return request;
    }

    ChannelDumpOutput output() {
        return output;
    }

    void start() {
        server.metrics().dumpStarted();
        thread.start();
    }

    /** Any thread: the sender returns promptly. */
    void stop() {
        sender.stop();
        output.wake();
    }

    /** Ends the dump with this ERR (sent once the sender has stopped writing), then the session closes. */
    void abort(ErrPacket err) {
        abortWith = err;
        stop();
    }

    boolean isAlive() {
        return thread.isAlive();
    }

    void join(long millis) throws InterruptedException {
        thread.join(millis);
    }

    private void run() {
        boolean clean = false;
        try {
            sender.run();
            clean = true;
        } catch (IOException e) {
            log.debug("dump {}: {}", thread.getName(), e.toString());
        } catch (InterruptedException e) {
            log.debug("dump {}: interrupted", thread.getName());
        } catch (RuntimeException e) {
            log.warn("dump {} failed", thread.getName(), e);
            try {
                output.error(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, ErrorCodes.SQLSTATE_GENERAL,
                        "binlog-proxy: " + e);
            } catch (IOException ignored) {
                // the client is gone anyway
            }
        } finally {
            output.discardPending();
            server.metrics().dumpEnded();
            server.dumpEnded(session, this);
            ErrPacket err = abortWith;
            boolean back = clean && err == null && request.nonBlocking() && output.isOpen();
            io.netty.channel.Channel ch = session.context().channel();
            if (err != null && ch.isActive()) {
                ByteBuf payload = err.encode(ch.alloc());
                ch.writeAndFlush(new Packet(output.sequenceId(), payload)).addListener(ChannelFutureListener.CLOSE);
            }
            int next = output.sequenceId();
            ch.eventLoop().execute(() -> session.dumpEnded(this, back, next));
        }
    }
}
