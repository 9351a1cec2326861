package dev.binlogproxy.upstream;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.protocol.Capabilities;
import dev.binlogproxy.protocol.Packet;
import dev.binlogproxy.protocol.PacketDecoder;
import dev.binlogproxy.protocol.PacketEncoder;
import dev.binlogproxy.protocol.auth.AuthStep;
import dev.binlogproxy.protocol.auth.Authenticator;
import dev.binlogproxy.protocol.packet.ComBinlogDump;
import dev.binlogproxy.protocol.packet.ComQuery;
import dev.binlogproxy.protocol.packet.ComRegisterSlave;
import dev.binlogproxy.protocol.packet.ErrPacket;
import dev.binlogproxy.protocol.packet.HandshakeV10;
import dev.binlogproxy.protocol.packet.ResultSetReader;
import dev.binlogproxy.protocol.packet.SemiSyncAck;
import dev.binlogproxy.protocol.packet.TextResultSet;
import dev.binlogproxy.protocol.packet.WireMessage;
import dev.binlogproxy.proxy.config.ProxyConfig;
import dev.binlogproxy.proxy.config.Secret;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioIoHandler;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
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
 * <p>Two transports, both with the project's protocol layer for login, framing and packets: {@link #netty} is the
 * proxy's own {@link MasterConnection} over Netty NIO (acks written on the event loop thread, as the proxy's
 * Streamer does), {@link #blocking} a plain blocking {@link Socket} read loop on one thread, with the same codec run
 * in an {@link EmbeddedChannel} on that thread, to show what the event loop itself costs.
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

    /** The floor over the proxy's own Netty connection code. */
    public static SemiSyncFloorAcker netty(String host, int port, String user, String password, long serverId)
            throws IOException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        UpstreamSettings s = new UpstreamSettings(host, port, user, new Secret(password), serverId, true,
                Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(50),
                Duration.ofSeconds(1), null, ProxyConfig.TlsMode.DISABLED, null);
        MasterConnection conn = null;
        try {
            conn = MasterConnection.open(group, s);
            MasterConnection c = conn;
            Dump dump = prepare(c::query);
            c.command(new ComRegisterSlave(serverId, "", "", "", 0, 0, 0));
            AtomicLong acks = new AtomicLong();
            Acker acker = new Acker(dump, acks);
            CompletableFuture<Void> ended = c.streamTo(new PacketChannel.Inbound() {
                @Override
                public void packet(Packet packet) throws IOException {
                    SemiSyncAck ack = acker.ackFor(packet);
                    if (ack != null) {
                        c.writeFromInbound(ack);
                        c.flushFromInbound(); // now, not at the end of the read
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

    /** The floor over a blocking socket: one thread reads, frames (the protocol layer's codec) and acks. */
    public static SemiSyncFloorAcker blocking(String host, int port, String user, String password, long serverId)
            throws IOException {
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(host, port), 5000);
        BlockingWire wire = new BlockingWire(socket);
        try {
            Packet first = wire.take();
            HandshakeV10 greeting = HandshakeV10.decode(first.payload().duplicate());
            Authenticator auth = Authenticator.builder(user, password)
                    .capabilities(Capabilities.REPLICA_CLIENT_DEFAULT).allowPublicKeyRetrieval(true).build();
            AuthStep step = auth.start(first.sequenceId(), greeting);
            first.release();
            while (!(step instanceof AuthStep.Success)) {
                if (step instanceof AuthStep.Send send) {
                    wire.send(send.sequenceId(), send.payload());
                    step = AuthStep.AWAIT;
                } else if (step instanceof AuthStep.StartTls) {
                    throw new IllegalStateException("the floor acker does not do TLS");
                } else {
                    Packet p = wire.take();
                    step = auth.handle(p.sequenceId(), p.payload());
                    p.release();
                }
            }
            long caps = auth.clientCapabilities();
            Dump dump = prepare(sql -> wire.query(sql, caps));
            wire.command(new ComRegisterSlave(serverId, "", "", "", 0, 0, 0));
            wire.send(0, dump.command(serverId).toByteArray());
            AtomicLong acks = new AtomicLong();
            Acker acker = new Acker(dump, acks);
            CompletableFuture<Void> ended = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    while (true) {
                        Packet p = wire.take();
                        try {
                            SemiSyncAck ack = acker.ackFor(p);
                            if (ack != null) {
                                wire.send(0, ack.toByteArray());
                            }
                        } finally {
                            p.release();
                        }
                    }
                } catch (Throwable e) {
                    ended.completeExceptionally(e);
                }
            }, "floor-acker");
            t.setDaemon(true);
            t.start();
            return new SemiSyncFloorAcker(() -> {
                socket.close();
                t.join(5000);
            }, acks, ended);
        } catch (IOException | RuntimeException e) {
            socket.close();
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
            if (b.getUnsignedByte(at + 1) != SemiSyncAck.MAGIC) {
                throw new IOException("semi-sync was not negotiated: an event packet lacks the 0xEF header");
            }
            boolean flagged = (b.getUnsignedByte(at + 2) & SemiSyncAck.ACK_REQUIRED) != 0;
            BinlogEvent event = BinlogEvent.wrap(b.nioBuffer(at + 3, b.readableBytes() - 3));
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

    /** The protocol layer's codec over a blocking socket: bytes in and out on the calling thread. */
    private static final class BlockingWire {
        private final InputStream in;
        private final OutputStream out;
        private final EmbeddedChannel codec = new EmbeddedChannel(new PacketDecoder(MasterConnection.MAX_PACKET),
                new PacketEncoder());
        private final byte[] buffer = new byte[64 * 1024];

        BlockingWire(Socket socket) throws IOException {
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        Packet take() throws IOException {
            Packet p;
            while ((p = codec.readInbound()) == null) {
                int n = in.read(buffer);
                if (n < 0) {
                    throw new IOException("the master closed the connection");
                }
                codec.writeInbound(Unpooled.copiedBuffer(buffer, 0, n));
            }
            return p;
        }

        /** One packet in one write(): header and payload in one segment, as a Netty gathering write sends them. */
        void send(int sequenceId, byte[] payload) throws IOException {
            codec.writeOutbound(new Packet(sequenceId, Unpooled.wrappedBuffer(payload)));
            ByteBuf all = Unpooled.buffer();
            ByteBuf piece;
            while ((piece = codec.readOutbound()) != null) {
                all.writeBytes(piece);
                piece.release();
            }
            out.write(all.array(), all.arrayOffset() + all.readerIndex(), all.readableBytes());
            out.flush();
            all.release();
        }

        TextResultSet query(String sql, long caps) throws IOException {
            send(0, new ComQuery(sql).toByteArray());
            ResultSetReader reader = new ResultSetReader(caps);
            while (true) {
                Packet p = take();
                try {
                    var done = reader.accept(p.payload());
                    if (done.isPresent()) {
                        return done.get();
                    }
                } finally {
                    p.release();
                }
            }
        }

        void command(WireMessage m) throws IOException {
            send(0, m.toByteArray());
            Packet p = take();
            try {
                if (p.firstByte() == ErrPacket.HEADER) {
                    throw ErrPacket.decode(p.payload()).toException();
                }
            } finally {
                p.release();
            }
        }
    }
}
