package dev.binlogproxy.protocol;

import dev.binlogproxy.protocol.BlockingClient.Received;
import dev.binlogproxy.protocol.auth.Authenticator;
import dev.binlogproxy.protocol.packet.EofPacket;
import dev.binlogproxy.protocol.packet.ErrPacket;
import dev.binlogproxy.protocol.packet.WireMessage;
import dev.binlogproxy.testkit.DbServer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Test helper for other packages: what a real master sends for one dump request, captured with the production
 * protocol layer acting as a raw replica client (login as a replication user, the given SET statements, then the
 * dump command, then every packet as it comes). The oracle the proxy's sender is compared with.
 */
public final class RealMasterDump {
    private RealMasterDump() {
    }

    /** One packet of a dump stream, decoded only as far as the dump framing goes. */
    public sealed interface Item permits Event, Eof, Err {
    }

    /** An event packet: the event bytes, and the semi-sync header if the stream has one. */
    public record Event(byte[] bytes, boolean semiSync, boolean ackRequested, int sequenceId) implements Item {
        @Override
        public boolean equals(Object o) {
            return o instanceof Event e && Arrays.equals(bytes, e.bytes) && semiSync == e.semiSync
                    && ackRequested == e.ackRequested;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "Event(" + bytes.length + " bytes, type " + (bytes.length > 4 ? bytes[4] & 0xFF : -1)
                    + (semiSync ? ", semi-sync" + (ackRequested ? " ack" : "") : "") + ")";
        }
    }

    public record Eof() implements Item {
    }

    public record Err(int code, String sqlState, String message) implements Item {
    }

    /**
     * Logs in as {@code user}, runs {@code setup}, sends {@code dump} and collects packets until an EOF or ERR, until
     * {@code maxItems} packets, or until nothing arrives for {@code idle} (a blocking dump at the end of the binlog).
     *
     * @param semiSync whether the stream carries the 0xEF header (the setup enabled semi-sync)
     */
    public static List<Item> capture(DbServer server, String user, String password, List<String> setup,
                                     WireMessage dump, boolean semiSync, int maxItems, Duration idle) {
        try (BlockingClient client = BlockingClient.connect("127.0.0.1", server.port(), 1 << 30)) {
            client.login(Authenticator.builder(user, password).allowPublicKeyRetrieval(true).build(), null);
            for (String sql : setup) {
                client.query(sql);
            }
            client.command(dump);
            List<Item> items = new ArrayList<>();
            while (items.size() < maxItems) {
                Optional<Received> next = client.poll(idle);
                if (next.isEmpty()) {
                    break;
                }
                byte[] p = next.get().payload();
                int first = p.length == 0 ? -1 : p[0] & 0xFF;
                if (first == ErrPacket.HEADER) {
                    ErrPacket err = ErrPacket.decode(next.get().buf());
                    items.add(new Err(err.errorCode(), err.sqlState(), err.message()));
                    break;
                }
                if (EofPacket.isEof(next.get().buf())) {
                    items.add(new Eof());
                    break;
                }
                if (first != 0) {
                    throw new IllegalStateException("not an event packet: " + next.get());
                }
                if (semiSync) {
                    if ((p[1] & 0xFF) != 0xEF) {
                        throw new IllegalStateException("semi-sync header missing: " + next.get());
                    }
                    items.add(new Event(Arrays.copyOfRange(p, 3, p.length), true, p[2] != 0,
                            next.get().sequenceId()));
                } else {
                    items.add(new Event(Arrays.copyOfRange(p, 1, p.length), false, false, next.get().sequenceId()));
                }
            }
            return items;
        }
    }
}
