package dev.binlogproxy.protocol;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.binlogproxy.protocol.auth.AuthStep;
import dev.binlogproxy.protocol.auth.Authenticator;
import dev.binlogproxy.protocol.packet.ComQuery;
import dev.binlogproxy.protocol.packet.OkPacket;
import dev.binlogproxy.protocol.packet.ResultSetReader;
import dev.binlogproxy.protocol.packet.TextResultSet;
import dev.binlogproxy.protocol.packet.WireMessage;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * A test-only blocking MySQL client on Netty: the production {@link PacketDecoder} and {@link PacketEncoder} in the
 * pipeline, a handler that queues whole packets, and the {@link Authenticator} and {@link ResultSetReader} driven
 * from the test thread. Received payloads are copied and released at once, so tests never hold buffers; every
 * server payload is kept in {@link #received()} for fixture capture.
 */
public final class BlockingClient implements AutoCloseable {

    private static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1,
            new DefaultThreadFactory("blocking-client", true), NioIoHandler.newFactory());
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Object CLOSED = new Object();

    /** A server packet, copied out of its buffer. */
    public record Received(int sequenceId, int lastSequenceId, byte[] payload) {
        ByteBuf buf() {
            return Unpooled.wrappedBuffer(payload);
        }

        int firstByte() {
            return payload.length == 0 ? -1 : payload[0] & 0xFF;
        }

        @Override
        public String toString() {
            return "Received(seq=" + sequenceId + ", " + payload.length + " bytes: "
                    + ByteBufUtil.hexDump(payload, 0, Math.min(payload.length, 32)) + ")";
        }
    }

    private final String host;
    private final int port;
    private final Channel channel;
    private final BlockingQueue<Object> inbound = new LinkedBlockingQueue<>();
    private final List<Received> received = Collections.synchronizedList(new ArrayList<>());
    private long capabilities;
    private int lastSequenceId;

    private BlockingClient(String host, int port, int maxPacketSize) throws InterruptedException {
        this.host = host;
        this.port = port;
        Bootstrap b = new Bootstrap().group(GROUP).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("decoder", new PacketDecoder(maxPacketSize));
                        ch.pipeline().addLast("encoder", new PacketEncoder());
                        ch.pipeline().addLast("queue", new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                Packet p = (Packet) msg;
                                try {
                                    inbound.add(new Received(p.sequenceId(), p.lastSequenceId(),
                                            ByteBufUtil.getBytes(p.content())));
                                } finally {
                                    p.release();
                                }
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                inbound.add(cause);
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                inbound.add(CLOSED);
                            }
                        });
                    }
                });
        this.channel = b.connect(new InetSocketAddress(host, port)).sync().channel();
    }

    public static BlockingClient connect(String host, int port) {
        return connect(host, port, PacketDecoder.DEFAULT_MAX_PACKET_SIZE);
    }

    public static BlockingClient connect(String host, int port, int maxPacketSize) {
        try {
            return new BlockingClient(host, port, maxPacketSize);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The next server packet; fails on timeout, a pipeline exception, or a closed connection. */
    public Received read() {
        Object o;
        try {
            o = inbound.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (o == null) {
            throw new IllegalStateException("no packet from " + host + ":" + port + " within " + TIMEOUT);
        }
        if (o == CLOSED) {
            inbound.add(CLOSED);
            throw new IllegalStateException("connection to " + host + ":" + port + " closed");
        }
        if (o instanceof Throwable t) {
            throw new IllegalStateException("pipeline failure: " + t, t);
        }
        Received r = (Received) o;
        received.add(r);
        lastSequenceId = r.lastSequenceId();
        return r;
    }

    /** The next server packet, or empty if none came within {@code timeout} (or the connection is closed). */
    public Optional<Received> poll(Duration timeout) {
        Object o;
        try {
            o = inbound.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (o == null) {
            return Optional.empty();
        }
        if (o == CLOSED) {
            inbound.add(CLOSED);
            return Optional.empty();
        }
        if (o instanceof Throwable t) {
            throw new IllegalStateException("pipeline failure: " + t, t);
        }
        Received r = (Received) o;
        received.add(r);
        lastSequenceId = r.lastSequenceId();
        return Optional.of(r);
    }

    /** True once the server closed the connection (waits a little for it). */
    public boolean awaitClosed(Duration timeout) {
        return channel.closeFuture().awaitUninterruptibly(timeout.toMillis());
    }

    public void write(int sequenceId, byte[] payload) {
        try {
            channel.writeAndFlush(new Packet(sequenceId, Unpooled.wrappedBuffer(payload))).sync();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Several commands, each at sequence id 0, framed into one buffer and one write: the server reads them in one go,
     * as from a client that does not wait for an answer before its next command.
     */
    public void commandsAtOnce(WireMessage... messages) {
        ByteBuf all = Unpooled.buffer();
        for (WireMessage m : messages) {
            byte[] payload = m.toByteArray();
            all.writeMediumLE(payload.length).writeByte(0).writeBytes(payload);
        }
        try {
            channel.writeAndFlush(all).sync(); // a ByteBuf passes the Packet encoder as it is
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts a new command exchange: sequence id 0. */
    public void command(WireMessage message) {
        write(0, message.toByteArray());
    }

    /** Authenticates; {@code ssl} is used if the authenticator asks for TLS. */
    public OkPacket login(Authenticator auth, SslContext ssl) {
        Received greeting = read();
        AuthStep step = auth.start(greeting.sequenceId(), greeting.buf());
        while (!(step instanceof AuthStep.Success)) {
            if (step instanceof AuthStep.StartTls t) {
                write(t.sequenceId(), t.payload());
                startTls(ssl);
                step = auth.tlsEstablished();
                continue;
            }
            if (step instanceof AuthStep.Send s) {
                write(s.sequenceId(), s.payload());
            }
            Received r = read();
            step = auth.handle(r.sequenceId(), r.buf());
        }
        capabilities = auth.clientCapabilities();
        return ((AuthStep.Success) step).ok();
    }

    private void startTls(SslContext ssl) {
        if (ssl == null) {
            throw new IllegalStateException("TLS requested without an SslContext");
        }
        SslHandler handler = ssl.newHandler(channel.alloc(), host, port);
        channel.pipeline().addFirst("tls", handler);
        try {
            handler.handshakeFuture().sync();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public boolean isTls() {
        return channel.pipeline().get(SslHandler.class) != null;
    }

    public Optional<SslHandler> tls() {
        return Optional.ofNullable(channel.pipeline().get(SslHandler.class));
    }

    public TextResultSet query(String sql) {
        command(new ComQuery(sql));
        ResultSetReader reader = new ResultSetReader(capabilities);
        while (true) {
            Received r = read();
            Optional<TextResultSet> done = reader.accept(r.buf());
            if (done.isPresent()) {
                return done.get();
            }
        }
    }

    public long capabilities() {
        return capabilities;
    }

    public int lastSequenceId() {
        return lastSequenceId;
    }

    /** Every server packet read so far, in order. */
    public List<Received> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
    }
}
