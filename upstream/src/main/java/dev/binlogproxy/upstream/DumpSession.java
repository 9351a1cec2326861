package dev.binlogproxy.upstream;

import dev.binlogproxy.client.MasterInfo;
import dev.binlogproxy.client.ReplicaHandshake;
import dev.binlogproxy.client.ServerConnection;
import dev.binlogproxy.client.PacketHandler;
import dev.binlogproxy.archive.Appended;
import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.archive.EventRejectedException;
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
import dev.binlogproxy.protocol.MalformedPacketException;
import dev.binlogproxy.protocol.packet.EofPacket;
import dev.binlogproxy.protocol.packet.EventPacket;
import dev.binlogproxy.protocol.packet.ErrPacket;
import dev.binlogproxy.protocol.packet.SemiSyncAck;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
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

    private final UpstreamSettings settings;
    private final MirrorSink sink;
    private final MirrorMetrics metrics;
    private final Consumer<Progress> progress;
    /** Chained semi-sync, or null: acks go upstream once the archive has the transaction durable. */
    private final SemiSyncChain chain;
    private String currentFile;
    private long currentPosition;
    /** The open connection, for {@link #abort()} from another thread. */
    private volatile ServerConnection connection;
    private volatile boolean aborted;
    /** The running stream, for {@link #lastActive()}. */
    private volatile Streamer streamer;

    /** Where the dump stands, for the progress line and status. */
    record Progress(MasterInfo master, String file, long position, boolean caughtUp) {
    }

    DumpSession(UpstreamSettings settings, MirrorSink sink, MirrorMetrics metrics, Consumer<Progress> progress) {
        this(settings, sink, metrics, progress, null);
    }

    DumpSession(UpstreamSettings settings, MirrorSink sink, MirrorMetrics metrics, Consumer<Progress> progress,
                SemiSyncChain chain) {
        this.chain = chain;
        this.settings = settings;
        this.sink = sink;
        this.metrics = metrics;
        this.progress = progress;
    }

    void run(EventLoopGroup group, AtomicBoolean stop) throws Exception {
        try {
            dump(group, stop);
        } finally {
            // the connection is closed, so the event loop is done with the archive: write and start whatever it
            // held (the reconnect's discardPartialTransaction would, too; a stop would leave it to close)
            try {
                sink.releaseCommits();
            } catch (IOException e) {
                log.warn("archiving the transactions of the last read failed: {}", e.toString());
            }
        }
    }

    private void dump(EventLoopGroup group, AtomicBoolean stop) throws Exception {
        try (ServerConnection conn = ServerConnection.open(group, settings.connection())) {
            connection = conn;
            if (aborted) {
                throw new IOException("aborted");
            }
            MasterInfo master = negotiate(conn);
            try {
                sink.checkIdentity(master);
            } catch (UpstreamMismatchException e) {
                throw new UpstreamException("refusing master " + settings.address() + ": " + e.getMessage(), e);
            }
            Optional<BinlogPosition> resume = sink.resumePosition();
            BinlogPosition start = startPosition(group, master, resume);
            // Inside the archive's own data, the dump starts at its last transaction: the master must send it again
            // byte for byte before anything new is appended (a master that only looks the same is refused)
            Optional<BinlogPosition> recheck = resume.isPresent() ? sink.recheckPosition() : Optional.empty();
            if (recheck.isPresent()) {
                start = recheck.get();
            }
            // the resume position may include transactions a dying session wrote but never synced; the ack below
            // claims all of them durable
            sink.syncNow();
            conn.register(settings.serverId());
            // MariaDB leaves ANNOTATE_ROWS out of a dump unless asked with flag 0x02; the archive needs every
            // event of the file. On MySQL the same bit asks for HEARTBEAT_V2, which this client does not need.
            int flags = master.flavor() == BinlogFlavor.MARIADB ? ComBinlogDump.MARIADB_SEND_ANNOTATE_ROWS_EVENT : 0;
            currentFile = start.file();
            currentPosition = start.offset();
            // Inline from before the dump command, so no dump packet ever goes through the queue.
            Streamer streamer = new Streamer(conn, master, recheck.isPresent() ? resume.get() : null,
                    master.semiSync() && resume.isPresent());
            this.streamer = streamer;
            CompletableFuture<Void> ended = conn.streamTo(streamer);
            conn.dump(start.file(), start.offset(), flags, settings.serverId());
            if (master.semiSync() && resume.isPresent() && recheck.isEmpty()) {
                // Everything before the resume position is durable in the archive, but a previous session may have
                // died before acknowledging its last transaction: the master would never flag it again and its
                // committing client would wait out the semi-sync timeout. The ack releases every waiter at or before
                // this position. With a recheck, the Streamer sends it once the master proved its history.
                conn.sendAsync(new SemiSyncAck(start.offset(), start.file()));
            }
            log.info("dumping from {} at {} ({} {}, checksum {}, semi-sync {}, tls {})", settings.address(), start,
                    master.flavor(), master.version(), master.checksum().variableValue(),
                    master.semiSync() ? "on" : "off", conn.usesTls() ? "on" : "off");
            metrics.connected(true);
            Runnable wake = streamer::wake;
            if (chain != null && master.semiSync()) {
                chain.attach(wake);
            }
            try {
                await(ended, streamer, stop);
            } finally {
                if (chain != null) {
                    chain.detach(wake);
                }
                metrics.connected(false);
            }
        }
    }

    /** When the master last sent a packet of the dump (System.nanoTime()); 0 before the dump started. */
    long lastActive() {
        Streamer s = streamer;
        return s == null ? 0 : s.lastActive;
    }

    /**
     * Ends the session from another thread: closes its connection, so whatever it waits for (a reply, the next
     * packet) fails at once and {@link #run} returns by exception.
     */
    void abort() {
        aborted = true;
        ServerConnection c = connection;
        if (c != null) {
            // without waiting: the caller holds the mirror's lock, and a session beside the upstream on its loop
            // may be waiting for that lock (a status query); the session's own thread closes it fully
            c.abort();
        }
    }

    /** The queries a real replica sends before dumping (protocol-notes section 2), for either flavor. */
    private MasterInfo negotiate(ServerConnection conn) throws IOException, UpstreamException {
        MasterInfo master = ReplicaHandshake.negotiate(conn, settings.serverId(), settings.heartbeat(),
                settings.semiSync(), why -> log.warn("upstream.semiSync is on but {}: {}; mirroring asynchronously",
                        settings.address(), why));
        if (master.serverId() == settings.serverId()) {
            throw new UpstreamException("the master's server_id is " + master.serverId()
                    + ", the same as upstream.serverId: give the proxy a server_id of its own");
        }
        if (master.binlogs().isEmpty()) {
            throw new UpstreamException("the master " + settings.address() + " has binary logging off (no binlogs)");
        }
        return master;
    }

    private BinlogPosition startPosition(EventLoopGroup group, MasterInfo master, Optional<BinlogPosition> resume)
            throws IOException, UpstreamException {
        if (resume.isPresent()) {
            BinlogPosition p = resume.get();
            ResumeChecks.checkMasterHas(settings.address(), master, p);
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

    /**
     * Waits while the event loop streams: until the stream ends (its exception is the session's), the mirror is
     * stopped, or the master has been silent longer than the dead-master timeout.
     */
    private void await(CompletableFuture<Void> ended, Streamer streamer, AtomicBoolean stop) throws Exception {
        long silentLimit = settings.deadMasterTimeout().toNanos();
        while (!stop.get()) {
            try {
                ended.get(200, TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException e) {
                if (!streamer.processing && System.nanoTime() - streamer.lastActive > silentLimit) {
                    throw new IOException("nothing from the master for " + settings.deadMasterTimeout()
                            + " (heartbeat period " + settings.heartbeat() + "): presumed dead");
                }
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Exception ex) {
                    throw ex;
                }
                throw new IOException("the stream from the master failed: " + cause, cause);
            }
        }
    }

    /** A flagged transaction end, acknowledged after the read it came in (once the archive synced it). */
    private record PendingAck(String file, long position, long received) {
    }

    /** A durable transaction whose upstream ack waits for downstream replicas (chained semi-sync). */
    private record ChainedAck(PendingAck ack, BinlogPosition end, long durableAt) {
    }

    /**
     * The dump, one packet at a time on the connection's event loop thread: archive the event; for a flagged one
     * remember its ack; at the end of each socket read make the archive durable once (one fdatasync covers every
     * transaction of that read, in fsync mode) and write the acks. No other thread is on an ack's path.
     */
    private final class Streamer implements PacketHandler {
        private final ServerConnection conn;
        private final MasterInfo master;
        private final List<PendingAck> pendingAcks = new ArrayList<>();
        /** Chained semi-sync: durable, not yet acknowledged upstream, oldest first. Only on the event loop. */
        private final ArrayDeque<ChainedAck> chained = new ArrayDeque<>();
        /** The last position acknowledged to the master (for the chain switching back on). */
        private BinlogPosition lastAcked;
        private boolean caughtUp;
        private long lastProgress;
        /** The master flagged an event inside a transaction: the ack is owed at the transaction's end. */
        private boolean ackOwed;
        /** Commits are held from the first packet of a read to its acks (see ArchiveWriter.holdCommits). */
        private boolean holding;
        /**
         * While the dump re-sends the archive's last transaction (the identity recheck): the archive's end, where
         * new events begin; null once reached (or when there is no recheck). A difference before it is the master's
         * history differing, not damage.
         */
        private BinlogPosition recheckUntil;
        /** The reconnect ack (see dump) is owed at the archive's end, once the recheck passed. */
        private boolean resumeAckOwed;
        volatile long lastActive = System.nanoTime();
        volatile boolean processing;
        /**
         * When the current socket read's first packet came (System.nanoTime()), valid while {@link #inRead}: every
         * packet of a read arrived at once, and one clock read per read, not three per packet, is what their
         * times need (the clock was a sixth of a small-transaction catch-up's event loop).
         */
        private long readStart;
        private boolean inRead;

        /** Where the master's binlog ended when the dump connected: reaching it is being caught up. */
        private final BinlogPosition masterEnd;
        /** The file {@link #reached} last compared with {@link #masterEnd}'s, and how it compared. */
        private String comparedFile;
        private int comparedFileOrder;

        Streamer(ServerConnection conn, MasterInfo master, BinlogPosition recheckUntil, boolean resumeAck) {
            this.conn = conn;
            this.master = master;
            MasterInfo.MasterLog last = master.binlogs().get(master.binlogs().size() - 1);
            this.masterEnd = new BinlogPosition(last.name(), Math.max(BinlogPosition.FIRST_EVENT_OFFSET, last.size()));
            this.recheckUntil = recheckUntil;
            this.resumeAckOwed = recheckUntil != null && resumeAck;
        }

        /**
         * Whether the dump is at or past {@link #masterEnd}. Asked after every event until it is: file names are
         * compared once per file, not per event (a catch-up spent a fifth of its event loop building and comparing
         * positions here).
         */
        private boolean reached(String file, long position) {
            if (!file.equals(comparedFile)) {
                comparedFileOrder = BinlogPosition.compareFiles(file, masterEnd.file());
                comparedFile = file;
            }
            return comparedFileOrder > 0
                    || comparedFileOrder == 0 && Math.max(BinlogPosition.FIRST_EVENT_OFFSET, position) >= masterEnd.offset();
        }

        /** After each event: has the recheck reached the archive's end? Then the master is the archive's. */
        private void recheckProgress(long received) {
            if (recheckUntil == null || new BinlogPosition(currentFile, Math.max(BinlogPosition.FIRST_EVENT_OFFSET,
                    currentPosition)).compareTo(recheckUntil) < 0) {
                return;
            }
            log.info("{} sent the archive's last transaction again, byte for byte: mirroring on from {}",
                    settings.address(), recheckUntil);
            if (resumeAckOwed) {
                pendingAcks.add(new PendingAck(recheckUntil.file(), recheckUntil.offset(), received));
                resumeAckOwed = false;
            }
            recheckUntil = null;
        }

        @Override
        public void packet(Packet packet) throws Exception {
            if (!inRead) {
                inRead = true;
                readStart = System.nanoTime();
                processing = true; // until the read's acks are out (readComplete): the master is not silent
                lastActive = readStart;
            }
            if (!holding) {
                sink.holdCommits();
                holding = true;
            }
            try {
                receive(packet, readStart);
            } catch (Exception | Error e) {
                endRead();
                throw e;
            }
        }

        /** The read's packets are handled and acknowledged: the master's silence counts from here. */
        private void endRead() {
            if (inRead) {
                inRead = false;
                lastActive = System.nanoTime();
                processing = false;
            }
        }

        private void receive(Packet packet, long received) throws Exception {
            ByteBuf payload = packet.payload();
            int first = packet.firstByte();
            if (first == ErrPacket.HEADER) {
                MySqlProtocolException err = ErrPacket.decode(payload).toException();
                if (err.errorCode() == ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG && recheckUntil != null) {
                    // it cannot read its own file where the archive's last transaction starts
                    throw ResumeChecks.differs(settings.address(), new BinlogPosition(currentFile,
                            Math.max(BinlogPosition.FIRST_EVENT_OFFSET, currentPosition)),
                            "the master cannot send its events from there: " + err.getMessage());
                }
                if (err.errorCode() == ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG) {
                    throw new UpstreamException("the master refused the dump at " + currentFile + ":"
                            + currentPosition + ": " + err.getMessage(), err);
                }
                throw err;
            }
            if (first == EofPacket.HEADER && payload.readableBytes() < 9) {
                throw new IOException("the master ended the dump (EOF)");
            }
            // A view of the packet, not a copy: the archive checks and writes it before this returns, and the packet
            // is released only then. The few events whose decoded form outlives the call are copied (handle).
            EventPacket ep;
            try {
                ep = EventPacket.decode(payload, master.semiSync());
            } catch (MalformedPacketException e) {
                throw new IOException("unexpected packet in the dump: " + e.getMessage(), e);
            }
            BinlogEvent event = BinlogEvent.wrap(ep.event());
            boolean ackRequested = ep.ackRequired();
            boolean heartbeat;
            try {
                heartbeat = handle(event, master.checksum(), ackRequested, received);
            } catch (EventRejectedException e) {
                if (e.historyDiffers()) {
                    throw ResumeChecks.differs(settings.address(), e.at(), e.getMessage());
                }
                throw e;
            }
            recheckProgress(received);
            // caught up: the master had nothing newer (heartbeat), or the dump reached where its binlog ended
            // when we connected; from then on the dump is live
            caughtUp = caughtUp || heartbeat || reached(currentFile, currentPosition);
            if (received - lastProgress > 1_000_000_000L) {
                lastProgress = received;
                progress.accept(new Progress(master, currentFile, currentPosition, caughtUp));
            }
        }

        /** Returns true for a heartbeat: the master had nothing newer. */
        private boolean handle(BinlogEvent event, ChecksumAlgorithm checksum, boolean ackRequested, long received)
                throws IOException, ArchiveException {
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
                sink.formatDescription(BinlogEvent.wrap(event.toByteArray())); // rare; the writer may keep it
                return false;
            }
            if (event.hasFlag(EventFlags.ARTIFICIAL) || event.logPos() == 0) {
                // e.g. MariaDB's artificial GTID_LIST when a dump starts mid-file: generated, not in the file
                return false;
            }
            Appended appended;
            try {
                appended = sink.append(event);
            } catch (EventRejectedException e) {
                metrics.refused(); // the session ends; the next one refetches from the last whole transaction
                throw e;
            }
            metrics.event(event.eventSize());
            currentPosition = event.logPos();
            if (appended.completesTransaction()) {
                metrics.transaction(event.timestamp());
            }
            if (ackRequested || ackOwed) {
                if (appended.durable() == null) {
                    // Never acknowledge a partial transaction: the ack waits for the transaction's end.
                    ackOwed = true;
                } else {
                    ackOwed = false;
                    metrics.ackStage(MirrorMetrics.AckStage.APPEND, System.nanoTime() - received);
                    pendingAcks.add(new PendingAck(currentFile, event.logPos(), received));
                }
            }
            return false;
        }

        @Override
        public void readComplete() throws IOException, ArchiveException {
            try {
                acknowledgeRead();
            } finally {
                endRead();
            }
        }

        private void acknowledgeRead() throws IOException, ArchiveException {
            if (!pendingAcks.isEmpty() && chain != null && chain.on()) {
                readCompleteChained();
                return;
            }
            if (!pendingAcks.isEmpty()) {
                long t0 = System.nanoTime();
                sink.syncNow();
                long t1 = System.nanoTime();
                PendingAck last = pendingAcks.get(pendingAcks.size() - 1);
                lastAcked = new BinlogPosition(last.file(), last.position());
                for (PendingAck a : pendingAcks) {
                    conn.writeFromHandler(new SemiSyncAck(a.position(), a.file()));
                }
                conn.flushFromHandler();
                long t2 = System.nanoTime();
                metrics.ackStage(MirrorMetrics.AckStage.SYNC, t1 - t0);
                metrics.ackStage(MirrorMetrics.AckStage.SEND, t2 - t1);
                for (PendingAck a : pendingAcks) {
                    metrics.ackStage(MirrorMetrics.AckStage.READ_END, t0 - a.received());
                    metrics.ack(t2 - a.received());
                }
                pendingAcks.clear();
            }
            if (holding) {
                // after the acks: indexing and visibility must not delay them
                holding = false;
                sink.releaseCommits();
            }
        }

        /**
         * Chained: the transactions must reach the downstream replicas before the master may hear of them, so the
         * commits are released (the dump senders see them) right after the sync, and the acks wait in
         * {@link #chained} until enough downstream acks cover them or the chain's timeout passes.
         */
        private void readCompleteChained() throws IOException, ArchiveException {
            long t0 = System.nanoTime();
            sink.syncNow();
            long t1 = System.nanoTime();
            holding = false;
            sink.releaseCommits();
            metrics.ackStage(MirrorMetrics.AckStage.SYNC, t1 - t0);
            for (PendingAck a : pendingAcks) {
                metrics.ackStage(MirrorMetrics.AckStage.READ_END, t0 - a.received());
                chained.add(new ChainedAck(a, new BinlogPosition(a.file(), a.position()), t1));
            }
            pendingAcks.clear();
            drainChained();
            if (!chained.isEmpty()) {
                conn.eventLoop().schedule(this::drainChained, chain.timeoutNanos(), TimeUnit.NANOSECONDS);
            }
        }

        /** From a downstream server thread: look at the waiting acks on the event loop. */
        void wake() {
            try {
                conn.eventLoop().execute(this::drainChained);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the connection's loop is shutting down: the session is over, nothing is owed any more
            }
        }

        /**
         * Acks upstream what enough downstream replicas have acknowledged; on a wait past the timeout, everything
         * waiting (the chain switches off). Also switches the chain back on once the downstream acks have caught up
         * with what the master was told.
         */
        private void drainChained() {
            if (!conn.eventLoop().inEventLoop()) {
                throw new IllegalStateException("chained acks outside the event loop");
            }
            long now = System.nanoTime();
            boolean wrote = false;
            while (!chained.isEmpty()) {
                ChainedAck c = chained.peek();
                long waited = now - c.durableAt();
                if (chain.covered(c.end())) {
                    chain.waited(waited);
                } else if (waited >= chain.timeoutNanos()) {
                    chain.timedOut(c.end(), waited);
                    while (!chained.isEmpty()) {
                        ackUpstream(chained.poll(), now);
                    }
                    wrote = true;
                    break;
                } else {
                    break;
                }
                ackUpstream(chained.poll(), now);
                wrote = true;
            }
            if (wrote) {
                conn.flushFromHandler();
            }
            if (!chain.on() && chained.isEmpty() && lastAcked != null && chain.covered(lastAcked)) {
                chain.switchOn(lastAcked);
            }
        }

        private void ackUpstream(ChainedAck c, long now) {
            conn.writeFromHandler(new SemiSyncAck(c.ack().position(), c.ack().file()));
            lastAcked = c.end();
            metrics.ackStage(MirrorMetrics.AckStage.SEND, System.nanoTime() - now);
            metrics.ack(System.nanoTime() - c.ack().received());
        }
    }


    /** Bytes of the master's binlogs (as listed at connect) after the dump's position. */
    static long bytesToGo(Progress p) {
        long toGo = 0;
        boolean counting = false;
        for (MasterInfo.MasterLog l : p.master().binlogs()) {
            if (l.name().equals(p.file())) {
                counting = true;
                toGo += Math.max(0, l.size() - p.position());
            } else if (counting) {
                toGo += l.size();
            }
        }
        return toGo;
    }

    /** Bytes of the master's binlogs (as listed at connect) before the dump's position. */
    static long bytesDone(Progress p) {
        long done = 0;
        for (MasterInfo.MasterLog l : p.master().binlogs()) {
            if (l.name().equals(p.file())) {
                return done + p.position();
            }
            done += l.size();
        }
        return done;
    }

    static String describe(Progress p) {
        int files = 0;
        boolean counting = false;
        for (MasterInfo.MasterLog l : p.master().binlogs()) {
            counting = counting || l.name().equals(p.file());
            files += counting ? 1 : 0;
        }
        return p.caughtUp() ? String.format(Locale.ROOT, "caught up at %s:%d", p.file(), p.position())
                : String.format(Locale.ROOT, "catching up: at %s:%d, %d file(s) and %.1f MB to go (as of connect)",
                p.file(), p.position(), files, bytesToGo(p) / 1e6);
    }
}
