package dev.binlogproxy.bench;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.client.ConnectionSettings;
import dev.binlogproxy.client.PacketHandler;
import dev.binlogproxy.client.ServerConnection;
import dev.binlogproxy.protocol.Packet;
import dev.binlogproxy.protocol.net.Transports;
import dev.binlogproxy.protocol.packet.ComBinlogDump;
import dev.binlogproxy.protocol.packet.ComRegisterSlave;
import dev.binlogproxy.protocol.packet.ErrPacket;
import dev.binlogproxy.protocol.packet.EventPacket;
import dev.binlogproxy.protocol.packet.SemiSyncAck;
import dev.binlogproxy.protocol.packet.TextResultSet;
import dev.binlogproxy.protocol.packet.WireMessage;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bench only: the smallest semi-sync acker there can be, to measure the floor under the master's ack wait. It logs
 * in, negotiates semi-sync, dumps from the master's current end, and acknowledges every flagged event from the
 * thread that read it, as soon as it has read it: no archive, no validation, no batching to the end of a read. The
 * master's wait with this acker is what its own threads, the kernel and the client's wake-up cost; whatever a real
 * replica or the proxy takes above it is theirs.
 *
 * <p>It runs on the project's public client ({@link ServerConnection} over Netty NIO), with the acks written on the
 * event loop thread as the mirror writes them. (A blocking-socket variant measured 1.3-1.6x this one's wait in
 * docs/results.md, so the Netty one is the floor; it was dropped with its copy of the client's query loop.)
 */
public final class SemiSyncFloorAcker implements AutoCloseable {
    private final AutoCloseable resources;
    private final AtomicLong acks;
    private final CompletableFuture<Void> ended;

    private SemiSyncFloorAcker(AutoCloseable resources, AtomicLong acks, CompletableFuture<Void> ended) {
        this.resources = resources;
        this.acks = acks;
        this.ended = ended;
    }

    /** Acks sent so far. */
    public long acks() {
        return acks.get();
    }

    /** Fails if the dump ended with an error (the measurement would be of nothing). */
    public void check() {
        if (ended.isCompletedExceptionally()) {
            ended.join();
        }
    }

    @Override
    public void close() throws Exception {
        resources.close();
    }

    /**
     * The floor over the proxy's own Netty connection code, on the transport the proxy's loops use
     * ({@link Transports}: epoll on Linux), so the floor is not slower than the proxy's own I/O could be.
     */
    public static SemiSyncFloorAcker netty(String host, int port, String user, String password, long serverId)
            throws IOException {
        EventLoopGroup group = Transports.newGroup(1);
        ServerConnection conn = null;
        try {
            conn = ServerConnection.open(group, ConnectionSettings.plain(host, port, user, password));
            ServerConnection c = conn;
            Dump dump = prepare(c::query);
            c.command(new ComRegisterSlave(serverId, "", "", "", 0, 0, 0));
            AtomicLong acks = new AtomicLong();
            Acker acker = new Acker(dump, acks);
            CompletableFuture<Void> ended = c.streamTo(new PacketHandler() {
                @Override
                public void packet(Packet packet) throws IOException {
                    SemiSyncAck ack = acker.ackFor(packet);
                    if (ack != null) {
                        c.writeFromHandler(ack);
                        c.flushFromHandler(); // now, not at the end of the read
                    }
                }

                @Override
                public void readComplete() {
                }
            });
            c.send(dump.command(serverId));
            return new SemiSyncFloorAcker(() -> {
                c.close();
                group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly();
            }, acks, ended);
        } catch (IOException | RuntimeException e) {
            if (conn != null) {
                conn.close();
            }
            group.shutdownGracefully();
            throw e;
        }
    }

    private interface Query {
        TextResultSet run(String sql) throws IOException;
    }

    private record Dump(String file, long position, ChecksumAlgorithm checksum) {
        WireMessage command(long serverId) {
            // annotate rows asked for like the proxy does, so the master sends the same events to both
            return new ComBinlogDump(position, ComBinlogDump.MARIADB_SEND_ANNOTATE_ROWS_EVENT, serverId, file);
        }
    }

    /** The pre-dump settings a MariaDB replica makes, reduced to what semi-sync and the event layout need. */
    private static Dump prepare(Query q) throws IOException {
        q.run("SET @master_binlog_checksum = @@global.binlog_checksum");
        String checksum = q.run("SELECT @master_binlog_checksum").rows().get(0).get(0);
        q.run("SET @mariadb_slave_capability = 4");
        q.run("SET @rpl_semi_sync_slave = 1");
        List<String> end = q.run("SHOW MASTER STATUS").rows().get(0);
        return new Dump(end.get(0), Long.parseLong(end.get(1)), checksum == null ? ChecksumAlgorithm.OFF
                : ChecksumAlgorithm.ofVariable(checksum));
    }

    /** Reads the semi-sync header and the event's end position; tracks the file through rotates. */
    private static final class Acker {
        private final ChecksumAlgorithm checksum;
        private final AtomicLong acks;
        private String file;

        Acker(Dump dump, AtomicLong acks) {
            this.checksum = dump.checksum();
            this.acks = acks;
            this.file = dump.file();
        }

        /** The ack the packet asks for, or null; the master ending the dump or breaking semi-sync is an IOException. */
        SemiSyncAck ackFor(Packet packet) throws IOException {
            ByteBuf b = packet.payload();
            int at = b.readerIndex();
            if (packet.firstByte() != 0x00) {
                throw new IOException("the dump ended: packet 0x" + Integer.toHexString(packet.firstByte())
                        + (packet.firstByte() == ErrPacket.HEADER ? " " + ErrPacket.decode(b.duplicate()) : ""));
            }
            EventPacket ep = EventPacket.decode(b, true);
            boolean flagged = ep.ackRequired();
            BinlogEvent event = BinlogEvent.wrap(ep.event());
            if (event.type() == EventType.ROTATE) {
                file = Rotate.decode(event, checksum).nextFile();
            }
            if (!flagged) {
                return null;
            }
            acks.incrementAndGet();
            return new SemiSyncAck(event.logPos(), file);
        }
    }
}
