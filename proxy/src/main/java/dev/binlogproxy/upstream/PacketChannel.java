package dev.binlogproxy.upstream;

import dev.binlogproxy.protocol.Packet;
import dev.binlogproxy.protocol.PacketDecoder;
import dev.binlogproxy.protocol.PacketEncoder;
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
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One TCP connection to the master, framed into logical packets by the protocol layer's codec. The event loop
 * only does I/O and framing and queues whole packets; the session thread takes them in order. That keeps disk
 * writes and fsync waits off the event loop, and gives backpressure for free: above {@link #HIGH_WATER} queued
 * packets reading from the socket stops until the session has caught up to {@link #LOW_WATER}, so a slow archive
 * slows the master's dump thread instead of filling the heap.
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
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
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
