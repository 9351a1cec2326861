package dev.binlogproxy.client;

import dev.binlogproxy.protocol.Packet;
import dev.binlogproxy.protocol.PacketDecoder;
import dev.binlogproxy.protocol.PacketEncoder;
import dev.binlogproxy.protocol.net.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One TCP connection to the master, framed into logical packets by the protocol layer's codec.
 *
 * <p>Two phases. While logging in and querying, the event loop only does I/O and framing and queues whole packets;
 * the session thread takes them in order ({@link #take}). Above {@link #HIGH_WATER} queued packets reading stops
 * until the session has caught up to {@link #LOW_WATER}. For the dump, {@link #streamTo} hands every packet to an
 * {@link PacketHandler} on the event loop thread itself: the event loop belongs to this one connection (one per
 * mirror), so archiving the event there blocks nobody else, and a semi-sync ack written there goes
 * straight to the socket. That takes two thread hand-offs (event loop to session thread, and the ack's way back)
 * off every ack. Backpressure stays natural: while the handler works, nothing more is read from the socket.
 */
final class PacketChannel implements AutoCloseable {
    static final int HIGH_WATER = 1024;
    static final int LOW_WATER = 256;

    /** Queued after the last packet when the connection ends. */
    private record Closed(Throwable cause) {
    }

    private final Channel channel;
    private final LinkedBlockingQueue<Object> inbound;

    private PacketChannel(Channel channel, LinkedBlockingQueue<Object> inbound) {
        this.channel = channel;
        this.inbound = inbound;
    }

    static PacketChannel connect(EventLoopGroup group, String host, int port, Duration timeout, int maxPacket)
            throws IOException {
        LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        Bootstrap b = new Bootstrap().group(group).channel(Transports.socketChannel(group))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("decoder", new PacketDecoder(maxPacket));
                        ch.pipeline().addLast("encoder", new PacketEncoder());
                        ch.pipeline().addLast("queue", new Enqueue(queue));
                    }
                });
        ChannelFuture f = b.connect(new InetSocketAddress(host, port));
        try {
            if (!f.await(timeout.toMillis() + 1000)) {
                f.cancel(true);
                throw new IOException("connect to " + host + ":" + port + " timed out after " + timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new IOException("interrupted while connecting to " + host + ":" + port, e);
        }
        if (!f.isSuccess()) {
            throw new IOException("cannot connect to " + host + ":" + port + ": " + f.cause().getMessage(), f.cause());
        }
        return new PacketChannel(f.channel(), queue);
    }

    /**
     * The next packet; the caller releases it.
     *
     * @throws IOException the connection ended (with its cause) or nothing came within the timeout
     */
    Packet take(Duration timeout) throws IOException, TimeoutException {
        Object o;
        try {
            o = inbound.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (o == null) {
            throw new TimeoutException("no packet from the master for " + timeout);
        }
        if (o instanceof Closed c) {
            inbound.add(c); // every later take fails the same way
            throw new IOException("connection to the master closed" + (c.cause() == null ? "" : ": "
                    + c.cause().getMessage()), c.cause());
        }
        if (inbound.size() <= LOW_WATER && !channel.config().isAutoRead()) {
            channel.config().setAutoRead(true);
        }
        return (Packet) o;
    }

    /**
     * From now on every packet goes to {@code inbound} on the event loop thread (packets queued before this are
     * handed over first, in order). The returned future completes exceptionally when the stream ends: with what
     * {@code inbound} threw, with the connection's error, or with an IOException when the master closed it.
     */
    CompletableFuture<Void> streamTo(PacketHandler inbound) throws IOException {
        CompletableFuture<Void> ended = new CompletableFuture<>();
        Future<?> switched = channel.eventLoop().submit(() -> {
            Inline handler = new Inline(inbound, ended);
            channel.pipeline().replace("queue", "inline", handler);
            Object o;
            while ((o = this.inbound.poll()) != null) {
                if (o instanceof Closed c) {
                    handler.end(c.cause());
                } else {
                    handler.deliver((Packet) o);
                }
            }
            if (!channel.isActive()) {
                handler.end(null);
            }
            if (!ended.isDone()) {
                handler.complete(channel.pipeline().context(handler));
                channel.config().setAutoRead(true);
            }
        });
        switched.awaitUninterruptibly();
        if (!switched.isSuccess()) {
            throw new IOException("cannot start streaming from the master: " + switched.cause(), switched.cause());
        }
        return ended;
    }

    /**
     * Queues a packet for the socket without flushing; only on the event loop, from an {@link PacketHandler} (whose
     * readComplete is followed by a flush).
     */
    void writeFromHandler(int sequenceId, byte[] payload) {
        if (!channel.eventLoop().inEventLoop()) {
            throw new IllegalStateException("writeFromHandler outside the event loop");
        }
        channel.write(new Packet(sequenceId, Unpooled.wrappedBuffer(payload)), channel.voidPromise());
    }

    /** The connection's event loop: the inbound handler's thread, where writeFromHandler may be called. */
    io.netty.channel.EventLoop eventLoop() {
        return channel.eventLoop();
    }

    /** Flushes what {@link #writeFromHandler} queued; only on the event loop. */
    void flushFromHandler() {
        if (!channel.eventLoop().inEventLoop()) {
            throw new IllegalStateException("flushFromHandler outside the event loop");
        }
        channel.flush();
    }

    /** Sends one packet; returns when it is handed to the kernel (or fails). */
    void send(int sequenceId, byte[] payload) throws IOException {
        ChannelFuture f = channel.writeAndFlush(new Packet(sequenceId, Unpooled.wrappedBuffer(payload)));
        try {
            f.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while sending to the master", e);
        }
        if (!f.isSuccess()) {
            throw new IOException("send to the master failed: " + f.cause().getMessage(), f.cause());
        }
    }

    /** Sends without waiting: semi-sync acks go out from the archive's sync thread. */
    void sendAsync(int sequenceId, byte[] payload) {
        channel.writeAndFlush(new Packet(sequenceId, Unpooled.wrappedBuffer(payload)));
    }

    /** Puts TLS under the packet codec (after the SSL request went out) and waits for the handshake. */
    void startTls(SslContext context, String host, int port, Duration timeout) throws IOException {
        SslHandler ssl = context.newHandler(channel.alloc(), host, port);
        channel.pipeline().addFirst("tls", ssl);
        try {
            if (!ssl.handshakeFuture().await(timeout.toMillis())) {
                throw new IOException("TLS handshake with " + host + ":" + port + " timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during the TLS handshake", e);
        }
        if (!ssl.handshakeFuture().isSuccess()) {
            Throwable c = ssl.handshakeFuture().cause();
            throw new IOException("TLS handshake with " + host + ":" + port + " failed: " + c.getMessage(), c);
        }
    }

    boolean isOpen() {
        return channel.isActive();
    }

    /** Starts closing without waiting for it ({@link #close} still cleans up afterwards). */
    void closeAsync() {
        channel.close();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5000);
        Object o;
        while ((o = inbound.poll()) != null) {
            if (o instanceof Packet p) {
                p.release();
            }
        }
    }

    private static final class Inline extends ChannelInboundHandlerAdapter {
        private final PacketHandler inbound;
        private final CompletableFuture<Void> ended;

        Inline(PacketHandler inbound, CompletableFuture<Void> ended) {
            this.inbound = inbound;
            this.ended = ended;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Packet p = (Packet) msg;
            if (ended.isDone()) {
                p.release();
                return;
            }
            deliver(p);
            if (ended.isDone()) {
                ctx.close();
            }
        }

        void deliver(Packet p) {
            try {
                inbound.packet(p);
            } catch (Throwable t) {
                ended.completeExceptionally(t);
            } finally {
                p.release();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            complete(ctx);
        }

        void complete(ChannelHandlerContext ctx) {
            if (!ended.isDone()) {
                try {
                    inbound.readComplete();
                } catch (Throwable t) {
                    ended.completeExceptionally(t);
                }
            }
            ctx.flush();
            if (ended.isDone()) {
                ctx.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            end(cause);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            end(null);
        }

        void end(Throwable cause) {
            ended.completeExceptionally(cause != null ? cause : new IOException("connection to the master closed"));
        }
    }

    private static final class Enqueue extends ChannelInboundHandlerAdapter {
        private final LinkedBlockingQueue<Object> queue;
        private boolean closed;

        Enqueue(LinkedBlockingQueue<Object> queue) {
            this.queue = queue;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            queue.add(msg);
            if (queue.size() >= HIGH_WATER) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            end(cause);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            end(null);
        }

        private void end(Throwable cause) {
            if (!closed) {
                closed = true;
                queue.add(new Closed(cause));
            }
        }
    }
}
