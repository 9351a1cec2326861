package dev.binlogproxy.protocol.net;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutorChooserFactory;
import io.netty.util.concurrent.ThreadPerTaskExecutor;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The transport choice: on Linux x86-64 (where the proxy is built and tested, and whose native library the build
 * ships) epoll loads and is the default; NIO can be forced; whatever a caller's group is, the channel classes fit
 * it, and the two transports talk to each other over a socket.
 */
class TransportsTest {

    private static boolean linuxX86() {
        return System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
                && System.getProperty("os.arch").matches("amd64|x86_64");
    }

    @Test
    void epollIsTheDefaultWhereItsNativeLibraryShips() {
        if (linuxX86()) {
            // a build that lost the native jar would fall back to NIO silently but for a log line: caught here
            assertTrue(Epoll.isAvailable(), () -> "epoll did not load: " + Epoll.unavailabilityCause());
            assertEquals("epoll", Transports.name());
            assertTrue(Transports.chooseEpoll("auto"));
            assertTrue(Transports.chooseEpoll(" EPOLL "));
        } else {
            assertEquals(Epoll.isAvailable() ? "epoll" : "nio", Transports.name());
        }
        assertFalse(Transports.chooseEpoll("nio"));
    }

    @Test
    void anUnknownTransportIsRefusedWithThePropertyName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Transports.chooseEpoll("uring"));
        assertTrue(e.getMessage().contains("-Dbinlogproxy.transport=uring"), e.getMessage());
        assertTrue(e.getMessage().contains("auto, epoll or nio"), e.getMessage());
    }

    @Test
    void channelClassesFollowTheGroupTheyAreGiven() throws Exception {
        assertClassesFit(NioIoHandler.newFactory(), NioSocketChannel.class, NioServerSocketChannel.class);
        if (Epoll.isAvailable()) {
            assertClassesFit(EpollIoHandler.newFactory(), EpollSocketChannel.class, EpollServerSocketChannel.class);
        }
    }

    private static void assertClassesFit(IoHandlerFactory handlers, Class<?> socket, Class<?> server)
            throws InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, handlers);
        try {
            assertEquals(socket, Transports.socketChannel(group));
            assertEquals(server, Transports.serverChannel(group));
            assertEquals(socket, Transports.socketChannel(group.next()), "a single loop as well as a group");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void choosingTheClassesNeverAsksTheGroupForALoop() throws Exception {
        // downstream.SessionLoops counts a session at each next(): asking the group for its type must not
        AtomicInteger asked = new AtomicInteger();
        EventExecutorChooserFactory counting = executors -> () -> {
            asked.incrementAndGet();
            return executors[0];
        };
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, new ThreadPerTaskExecutor(
                new DefaultThreadFactory("transports-test", true)), counting, Transports.ioHandlerFactory());
        try {
            Transports.serverChannel(group);
            Transports.socketChannel(group);
            Transports.socketChannel(group.next());
            assertEquals(1, asked.get(), "only the test's own next()");
            assertEquals(Transports.name().equals("epoll") ? EpollSocketChannel.class : NioSocketChannel.class,
                    Transports.socketChannel(group));
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void eachTransportServesTheOtherOverASocket() throws Exception {
        EventLoopGroup ofProcess = Transports.newGroup(1);
        EventLoopGroup nio = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            // the process's transport serving a NIO client (the tests' clients), and NIO serving the process's
            assertEquals("ping", echo(ofProcess, nio, "ping"));
            assertEquals("pong", echo(nio, ofProcess, "pong"));
            assertEquals("same", echo(ofProcess, ofProcess, "same"));
        } finally {
            ofProcess.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            nio.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** A server on {@code serverGroup} that echoes; a client on {@code clientGroup} sends {@code text}. */
    private static String echo(EventLoopGroup serverGroup, EventLoopGroup clientGroup, String text) throws Exception {
        Channel server = new ServerBootstrap().group(serverGroup).channel(Transports.serverChannel(serverGroup))
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ctx.writeAndFlush(msg);
                            }
                        });
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        CompletableFuture<String> got = new CompletableFuture<>();
        StringBuilder received = new StringBuilder();
        Channel client = null;
        try {
            client = new Bootstrap().group(clientGroup).channel(Transports.socketChannel(clientGroup))
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ByteBuf b = (ByteBuf) msg;
                            try {
                                received.append(b.toString(StandardCharsets.US_ASCII));
                            } finally {
                                b.release();
                            }
                            if (received.length() >= text.length()) {
                                got.complete(received.toString());
                            }
                        }
                    }).connect(server.localAddress()).sync().channel();
            client.writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII)).sync();
            return got.get(10, TimeUnit.SECONDS);
        } finally {
            if (client != null) {
                client.close().sync();
            }
            server.close().sync();
        }
    }
}
