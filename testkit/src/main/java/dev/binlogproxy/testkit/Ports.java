package dev.binlogproxy.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Free TCP ports on 127.0.0.1. The kernel's "free now" is only a hint (another process may take the port before the
 * server binds it; {@link DbServer} retries on address-in-use), but within this JVM a port stays reserved for as
 * long as its instance lives, so two instances started together never get the same one, and a restart finds its
 * port unclaimed by the kit.
 */
public final class Ports {

    /** The address the servers bind; getLoopbackAddress() could be ::1 under java.net.preferIPv6Addresses. */
    private static final InetAddress LOOPBACK = loopback();

    private static final Set<Integer> RESERVED = ConcurrentHashMap.newKeySet();

    private Ports() {
    }

    /**
     * A free port for something a test starts itself (a proxy in a child JVM that must listen on a known port):
     * reserved for the rest of this JVM, so no kit server takes it.
     */
    public static int free() {
        return reserve();
    }

    static int reserve() {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port;
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(LOOPBACK, 0));
                port = socket.getLocalPort();
            } catch (IOException e) {
                throw new TestkitException("Cannot find a free port on 127.0.0.1: " + e, e);
            }
            if (RESERVED.add(port)) {
                return port;
            }
        }
        throw new TestkitException("No free port on 127.0.0.1 after 100 attempts");
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen for a 4-byte address
        }
    }

    static void release(int port) {
        RESERVED.remove(port);
    }
}
