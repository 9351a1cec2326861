package dev.binlogproxy.upstream;

import dev.binlogproxy.archive.Appended;
import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.archive.UpstreamMismatchException;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.MySqlProtocolException;
import dev.binlogproxy.protocol.Packet;
import dev.binlogproxy.protocol.packet.ComBinlogDump;
import dev.binlogproxy.protocol.packet.ComRegisterSlave;
import dev.binlogproxy.protocol.packet.EofPacket;
import dev.binlogproxy.protocol.packet.ErrPacket;
import dev.binlogproxy.protocol.packet.SemiSyncAck;
import dev.binlogproxy.protocol.packet.TextResultSet;
import dev.binlogproxy.proxy.metrics.ProxyMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.EventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One connection's life as a replica of the master: login, the pre-dump queries a real replica sends, register,
 * dump from the archive's resume position, then archive every event and acknowledge flagged ones once the
 * archive says they are durable. Ends by exception: {@link UpstreamException} when reconnecting cannot help,
 * anything else when it can.
 */
final class DumpSession {
    private static final Logger log = LoggerFactory.getLogger(DumpSession.class);
    private static final int SEMI_SYNC_MAGIC = SemiSyncAck.MAGIC;

    private final UpstreamSettings settings;
    private final MirrorSink sink;
    private final ProxyMetrics metrics;
    private final Consumer<Progress> progress;
    private String currentFile;
    private long currentPosition;

    /** Where the dump stands, for the progress line and status. */
    record Progress(MasterInfo master, String file, long position, boolean caughtUp) {
    }

    DumpSession(UpstreamSettings settings, MirrorSink sink, ProxyMetrics metrics, Consumer<Progress> progress) {
        this.settings = settings;
        this.sink = sink;
        this.metrics = metrics;
        this.progress = progress;
    }

    void run(EventLoopGroup group, AtomicBoolean stop) throws Exception {
        try (MasterConnection conn = MasterConnection.open(group, settings)) {
            MasterInfo master = negotiate(conn);
            try {
                sink.checkIdentity(master);
            } catch (UpstreamMismatchException e) {
                throw new UpstreamException("refusing master " + settings.address() + ": " + e.getMessage(), e);
            }
            Optional<BinlogPosition> resume = sink.resumePosition();
            BinlogPosition start = startPosition(group, master, resume);
            conn.command(new ComRegisterSlave(settings.serverId(), "", "", "", 0, 0, 0));
            // MariaDB leaves ANNOTATE_ROWS out of a dump unless asked with flag 0x02; the archive needs every
            // event of the file. On MySQL the same bit asks for HEARTBEAT_V2, which this client does not need.
            int flags = master.flavor() == BinlogFlavor.MARIADB ? ComBinlogDump.MARIADB_SEND_ANNOTATE_ROWS_EVENT : 0;
            conn.send(new ComBinlogDump(start.offset(), flags, settings.serverId(), start.file()));
            if (master.semiSync() && resume.isPresent()) {
                // Everything before the resume position is durable in the archive, but a previous session may have
                // died before acknowledging its last transaction: the dump starts after it, so the master would
                // never flag it again and its committing client would wait out the semi-sync timeout. The ack
                // releases every waiter at or before this position.
                conn.sendAsync(new SemiSyncAck(start.offset(), start.file()));
            }
            log.info("dumping from {} at {} ({} {}, checksum {}, semi-sync {}, tls {})", settings.address(), start,
                    master.flavor(), master.version(), master.checksum().variableValue(),
                    master.semiSync() ? "on" : "off", conn.usesTls() ? "on" : "off");
            currentFile = start.file();
            currentPosition = start.offset();
            metrics.connected(true);
            try {
                stream(conn, master, stop);
            } finally {
                metrics.connected(false);
            }
        }
    }

    /** The queries a real replica sends before dumping (protocol-notes section 2), for either flavor. */
    private MasterInfo negotiate(MasterConnection conn) throws IOException, UpstreamException {
        BinlogFlavor flavor = conn.greeting().isMariaDb() ? BinlogFlavor.MARIADB : BinlogFlavor.MYSQL;
        String version = conn.greeting().displayVersion();
        long serverId = Long.parseLong(conn.queryValueOrNull("SELECT @@GLOBAL.server_id"));
        if (serverId == settings.serverId()) {
            throw new UpstreamException("the master's server_id is " + serverId
                    + ", the same as upstream.serverId: give the proxy a server_id of its own");
        }
        UUID uuid = null;
        if (flavor == BinlogFlavor.MYSQL) {
            String u = conn.queryValueOrNull("SELECT @@GLOBAL.server_uuid");
            uuid = u == null ? null : UUID.fromString(u);
            UUID ours = UUID.nameUUIDFromBytes(("binlog-proxy:" + settings.serverId()).getBytes());
            conn.query("SET @slave_uuid = '" + ours + "', @replica_uuid = '" + ours + "'");
        }
        long heartbeatNanos = settings.heartbeat().toNanos();
        conn.query("SET @master_heartbeat_period = " + heartbeatNanos + ", @source_heartbeat_period = "
                + heartbeatNanos);
        conn.query("SET @master_binlog_checksum = @@global.binlog_checksum, "
                + "@source_binlog_checksum = @@global.binlog_checksum");
        String checksumValue = conn.queryValueOrNull("SELECT @master_binlog_checksum");
        ChecksumAlgorithm checksum = checksumValue == null ? ChecksumAlgorithm.OFF
                : ChecksumAlgorithm.ofVariable(checksumValue);
        if (flavor == BinlogFlavor.MARIADB) {
            // 4 = MARIA_SLAVE_CAPABILITY_GTID: GTID events, GTID_LIST and BINLOG_CHECKPOINT as they are in the file
            conn.query("SET @mariadb_slave_capability = 4");
        }
        boolean semiSync = false;
        if (settings.semiSync()) {
            String enabled = conn.queryValueOrNull("SELECT @@global.rpl_semi_sync_master_enabled");
            if (enabled == null) {
                enabled = conn.queryValueOrNull("SELECT @@global.rpl_semi_sync_source_enabled");
            }
            if (enabled == null) {
                log.warn("upstream.semiSync is on but {} has no semi-sync master; mirroring asynchronously",
                        settings.address());
            } else {
                // the master negotiates per dump: after this every event packet carries the 0xEF header
                conn.query("SET @rpl_semi_sync_slave = 1, @rpl_semi_sync_replica = 1");
                semiSync = true;
                if (!"1".equals(enabled) && !"ON".equalsIgnoreCase(enabled)) {
                    log.warn("semi-sync is installed but disabled on the master ({}); acks are sent anyway", enabled);
                }
            }
        }
        List<MasterInfo.MasterLog> logs = new ArrayList<>();
        TextResultSet rs = conn.query("SHOW BINARY LOGS");
        for (List<String> row : rs.rows()) {
            logs.add(new MasterInfo.MasterLog(row.get(0), Long.parseLong(row.get(1))));
        }
        if (logs.isEmpty()) {
            throw new UpstreamException("the master " + settings.address() + " has binary logging off (no binlogs)");
        }
        return new MasterInfo(flavor, version, serverId, uuid, checksum, semiSync, logs);
    }

    private BinlogPosition startPosition(EventLoopGroup group, MasterInfo master, Optional<BinlogPosition> resume)
            throws IOException, UpstreamException {
        if (resume.isPresent()) {
            BinlogPosition p = resume.get();
            if (!master.hasBinlog(p.file())) {
                throw new UpstreamException("the master " + settings.address() + " no longer has " + p.file()
                        + ", where the archive resumes (its oldest is " + master.binlogs().get(0).name()
                        + "): transactions after " + p + " cannot be mirrored");
            }
            return p;
        }
        if (settings.startGtid() != null) {
            return BinlogPosition.startOf(GtidStart.firstFile(group, settings, master));
        }
        String file = settings.startFile() != null ? settings.startFile() : master.binlogs().get(0).name();
        if (!master.hasBinlog(file)) {
            throw new UpstreamException("upstream.start.file " + file + " is not among the master's binlogs "
                    + master.binlogs().get(0).name() + " .. " + master.binlogs().get(master.binlogs().size() - 1).name());
        }
        return BinlogPosition.startOf(file);
    }

    private void stream(MasterConnection conn, MasterInfo master, AtomicBoolean stop) throws Exception {
        boolean caughtUp = false;
        long lastProgress = 0;
        while (!stop.get()) {
            Packet packet;
            try {
                packet = conn.next(settings.deadMasterTimeout());
            } catch (TimeoutException e) {
                throw new IOException("nothing from the master for " + settings.deadMasterTimeout()
                        + " (heartbeat period " + settings.heartbeat() + "): presumed dead", e);
            }
            long received = System.nanoTime();
            try {
                ByteBuf payload = packet.payload();
                int first = packet.firstByte();
                if (first == ErrPacket.HEADER) {
                    MySqlProtocolException err = ErrPacket.decode(payload).toException();
                    if (err.errorCode() == ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG) {
                        throw new UpstreamException("the master refused the dump at " + currentFile + ":"
                                + currentPosition + ": " + err.getMessage(), err);
                    }
                    throw err;
                }
                if (first == EofPacket.HEADER && payload.readableBytes() < 9) {
                    throw new IOException("the master ended the dump (EOF)");
                }
                if (first != 0x00) {
                    throw new IOException("unexpected packet 0x" + Integer.toHexString(first) + " in the dump");
                }
                int offset = 1;
                boolean ackRequested = false;
                if (master.semiSync()) {
                    if (payload.readableBytes() < 3 || payload.getUnsignedByte(payload.readerIndex() + 1) != SEMI_SYNC_MAGIC) {
                        throw new IOException("semi-sync was negotiated but an event packet lacks the 0xEF header");
                    }
                    ackRequested = (payload.getUnsignedByte(payload.readerIndex() + 2) & SemiSyncAck.ACK_REQUIRED) != 0;
                    offset = 3;
                }
                byte[] bytes = ByteBufUtil.getBytes(payload, payload.readerIndex() + offset,
                        payload.readableBytes() - offset);
                BinlogEvent event = BinlogEvent.wrap(bytes);
                boolean heartbeat = handle(conn, event, master.checksum(), ackRequested, received);
                // caught up: the master had nothing newer (heartbeat), or the dump reached where its binlog ended
                // when we connected; from then on the dump is live
                caughtUp = caughtUp || heartbeat || reached(master, currentFile, currentPosition);
            } finally {
                packet.release();
            }
            long now = System.nanoTime();
            if (now - lastProgress > 1_000_000_000L) {
                lastProgress = now;
                progress.accept(new Progress(master, currentFile, currentPosition, caughtUp));
            }
        }
    }

    /** Returns true for a heartbeat: the master had nothing newer. */
    private boolean handle(MasterConnection conn, BinlogEvent event, ChecksumAlgorithm checksum, boolean ackRequested,
                           long received) throws IOException, ArchiveException {
        EventType type = event.type();
        if (type == EventType.HEARTBEAT || type == EventType.HEARTBEAT_V2) {
            metrics.caughtUp();
            return true;
        }
        if (type == EventType.ROTATE && (event.hasFlag(EventFlags.ARTIFICIAL) || event.logPos() == 0)) {
            // the fake rotate at the start of every file of a dump: not in the master's file, not archived
            // it carries a CRC exactly when we asked for checksums, which we do whenever the master has them
            Rotate r = Rotate.decode(event, checksum);
            currentFile = r.nextFile();
            currentPosition = r.position();
            sink.startFile(r.nextFile(), r.position());
            return false;
        }
        if (type == EventType.FORMAT_DESCRIPTION) {
            sink.formatDescription(event);
            return false;
        }
        if (event.hasFlag(EventFlags.ARTIFICIAL) || event.logPos() == 0) {
            // e.g. MariaDB's artificial GTID_LIST when a dump starts mid-file: generated, not in the file
            return false;
        }
        Appended appended = sink.append(event);
        metrics.event(event.eventSize());
        currentPosition = event.logPos();
        if (appended.completesTransaction()) {
            metrics.transaction(event.timestamp());
        }
        if (ackRequested) {
            String file = currentFile;
            long position = event.logPos();
            appended.durable().whenComplete((p, error) -> {
                if (error == null && conn.isOpen()) {
                    conn.sendAsync(new SemiSyncAck(position, file));
                    metrics.ack(System.nanoTime() - received);
                } else if (error != null) {
                    log.warn("not acknowledging {}:{}: {}", file, position, error.toString());
                }
            });
        }
        return false;
    }

    private static boolean reached(MasterInfo master, String file, long position) {
        MasterInfo.MasterLog last = master.binlogs().get(master.binlogs().size() - 1);
        BinlogPosition here = new BinlogPosition(file, Math.max(BinlogPosition.FIRST_EVENT_OFFSET, position));
        return here.compareTo(new BinlogPosition(last.name(), Math.max(BinlogPosition.FIRST_EVENT_OFFSET,
                last.size()))) >= 0;
    }

    static String describe(Progress p) {
        long toGo = 0;
        int files = 0;
        boolean counting = false;
        for (MasterInfo.MasterLog l : p.master().binlogs()) {
            if (l.name().equals(p.file())) {
                counting = true;
                toGo += Math.max(0, l.size() - p.position());
                files++;
            } else if (counting) {
                toGo += l.size();
                files++;
            }
        }
        return p.caughtUp() ? String.format(Locale.ROOT, "caught up at %s:%d", p.file(), p.position())
                : String.format(Locale.ROOT, "catching up: at %s:%d, %d file(s) and %.1f MB to go (as of connect)",
                p.file(), p.position(), files, toGo / 1e6);
    }
}
