package dev.binlogproxy.protocol.net;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
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
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Iterator;
import java.util.Locale;

/**
 * Which Netty transport the proxy's event loops use: Linux's native epoll where its library loads, else the JDK's
 * NIO.
 *
 * <p>Why epoll: a commit reaches each tailing replica as one socket write, so with many replicas the per-write
 * overhead of the transport is paid once per replica and commit. The JDK channel takes a lock and goes through
 * its own buffer bookkeeping per write, and waking another event loop goes through the selector's interrupt lock
 * (the woken loop first waits on it until the waker's system call returns); Netty's native transport writes and
 * wakes with neither. With 1,000 tailing replicas on the 2-core machine measured this took ~12% off the proxy's
 * CPU per commit (medians of 10 alternating runs, 9.8 against 8.6 ms; docs/results.md, session 18); the tail
 * latency and the single-replica paths (ack, relay, fan-out of a backlog) did not move beyond their spread.
 *
 * <p>{@code -Dbinlogproxy.transport=nio} forces NIO (to compare, or where the native library misbehaves);
 * {@code epoll} requires it: if it cannot load, the first use of this class throws the loader's
 * {@code UnsatisfiedLinkError} ({@code binlog-proxy run} stops with it as one line). Every group and channel of the
 * process comes from here, so the two never mix: a channel class must match its event loop's I/O handler.
 */
public final class Transports {
    private static final Logger LOG = LoggerFactory.getLogger(Transports.class);
    /** The system property that chooses the transport: {@code auto} (the default), {@code epoll} or {@code nio}. */
    public static final String PROPERTY = "binlogproxy.transport";
    private static final boolean EPOLL = chooseEpoll(System.getProperty(PROPERTY, "auto"));

    private Transports() {
    }

    static boolean chooseEpoll(String setting) {
        String wanted = setting.trim().toLowerCase(Locale.ROOT);
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
                LOG.info("native epoll transport unavailable ({}), using NIO", Epoll.unavailabilityCause().toString());
                return false;
            default:
                throw new IllegalArgumentException("-D" + PROPERTY + "=" + setting + ": expected auto, epoll or nio");
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
        return isEpoll(group) ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /** The listening socket class that fits {@code group}'s loops. */
    public static Class<? extends ServerSocketChannel> serverChannel(EventLoopGroup group) {
        return isEpoll(group) ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /**
     * Looks at the group's first loop through its iterator (a single loop iterates over itself):
     * {@code IoEventLoopGroup.isIoType} would ask the group's chooser for {@code next()}, and a chooser that places
     * sessions (downstream.SessionLoops) would count a session that never comes. Every loop of a group has the same
     * I/O handler.
     */
    private static boolean isEpoll(EventLoopGroup group) {
        Iterator<EventExecutor> loops = group.iterator();
        return loops.hasNext() && loops.next() instanceof IoEventLoop first && first.isIoType(EpollIoHandler.class);
    }
}
