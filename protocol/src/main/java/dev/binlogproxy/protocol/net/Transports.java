package dev.binlogproxy.protocol.net;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;

/**
 * Which Netty transport the proxy's event loops use: Linux's native epoll where it loads, else the JDK's NIO.
 *
 * <p>Why epoll: with NIO, waking another event loop (a commit waking the dump senders, on the relay path) goes
 * through the JDK selector's {@code wakeup()}, which writes its eventfd while holding the selector's interrupt
 * lock; the woken loop's first act is to take that lock, so it sleeps again on a futex until the waker's system
 * call returns (tens of microseconds per commit on the relay path, seen with {@code perf trace} and JFR's
 * {@code jdk.JavaMonitorEnter} in {@code EPollSelectorImpl.clearInterrupt}). Netty's native transport wakes a loop
 * with a lock-free flag and one eventfd write, and writes and reads without the JDK channel's locks.
 *
 * <p>{@code -Dbinlogproxy.transport=nio} forces NIO (for comparison, or a platform where the native library
 * misbehaves); {@code epoll} requires it and fails if it cannot load. Every group and channel of the process
 * comes from here, so the two never mix: a channel class must match its event loop's I/O handler.
 */
public final class Transports {
    private static final Logger LOG = LoggerFactory.getLogger(Transports.class);
    /** The system property that chooses the transport: {@code auto} (default), {@code epoll} or {@code nio}. */
    public static final String PROPERTY = "binlogproxy.transport";
    private static final boolean EPOLL = chooseEpoll();

    private Transports() {
    }

    private static boolean chooseEpoll() {
        String wanted = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        switch (wanted) {
            case "nio":
                return false;
            case "epoll":
                Epoll.ensureAvailability(); // throws with the reason the native library did not load
                return true;
            case "auto":
                if (Epoll.isAvailable()) {
                    return true;
                }
                LOG.debug("native epoll transport unavailable, using NIO", Epoll.unavailabilityCause());
                return false;
            default:
                throw new IllegalArgumentException("-D" + PROPERTY + "=" + wanted + ": expected auto, epoll or nio");
        }
    }

    /** The transport in use: {@code epoll} or {@code nio}. */
    public static String name() {
        return EPOLL ? "epoll" : "nio";
    }

    /** I/O handlers for a new event loop group of this transport. */
    public static IoHandlerFactory ioHandlerFactory() {
        return EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    /** A new event loop group of {@code threads} loops on this transport. */
    public static EventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory());
    }

    /**
     * The client socket class that fits {@code group}'s loops: callers (tests among them) may bring a group of
     * either transport.
     */
    public static Class<? extends SocketChannel> socketChannel(EventLoopGroup group) {
        if (group instanceof IoEventLoopGroup g && g.isIoType(EpollIoHandler.class)) {
            return EpollSocketChannel.class;
        }
        return NioSocketChannel.class;
    }

    /** The listening socket class that fits {@code group}'s loops. */
    public static Class<? extends ServerSocketChannel> serverChannel(EventLoopGroup group) {
        if (group instanceof IoEventLoopGroup g && g.isIoType(EpollIoHandler.class)) {
            return EpollServerSocketChannel.class;
        }
        return NioServerSocketChannel.class;
    }
}
