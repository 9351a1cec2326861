package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.archive.ArchiveReader;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.txn.EventRole;
import dev.binlogproxy.binlog.txn.TransactionTracker;
import io.netty.buffer.Unpooled;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs one dump: reads the archive from the request's start point and writes to the output exactly the packets a
 * real master of the request's flavor sends (MySQL 8.0.15 and MariaDB 10.11 were captured and compared event by
 * event; docs/architecture.md lists the rules), until the client goes away, {@link #stop()} is called, or an
 * ERR ends it.
 *
 * <p>Two ways to drive it. A server calls {@link #prepare()} (which may wait: for an empty archive's first file,
 * or for the archive to catch up with a replica that moved here from another proxy) off its event loop, then
 * {@link #step()} on the session's event loop whenever there may be something to do: it sends what it can without
 * ever blocking and says why it stopped ({@link Progress}). No thread per dump: a commit wakes each event loop
 * once, not one thread per tailing replica, and the bytes go from the archive to the socket on one thread.
 * {@link #run()} does both on the calling thread, waiting in between (tests, tools).
 *
 * <p>Per file: a fake ROTATE (timestamp 0, ARTIFICIAL, log_pos 0), the file's FORMAT_DESCRIPTION with IN_USE
 * cleared (and log_pos 0, create_timestamp 0 when the dump starts past 4), then the events; after the file's
 * ROTATE (or, for a file its master ended without one, once a newer file exists) the next file from 4.
 * Fake events carry a CRC only as the client can read them: before the first FORMAT_DESCRIPTION as the client
 * announced, afterwards as that FORMAT_DESCRIPTION declares. What the request's flavor does differently (start
 * rules and refusal texts, heartbeat version, events left out or replaced) is asked of its {@link DumpFlavor};
 * what a GTID dump leaves out, of its {@link GtidSkip}.
 */
public final class BinlogSender {
    /**
     * Events at least this large are passed on from their file without a copy (zero-copy region). Below it a
     * copied event is cheaper: it shares the reader's 64 KiB pread and the channel's writev with its neighbours,
     * where a region costs two system calls of its own. Measured by bench ZeroCopyDumpBenchmark (interleaved
     * rounds, loopback, two runs): region/copy 0.4-0.6 at 4 KiB, 1.0-1.3 at 16-64 KiB, 1.4-1.5 at 128 KiB, 1.85
     * at 256 KiB, 3-4 at 17 MiB (docs/results.md).
     */
    static final int REGION_THRESHOLD = 128 * 1024;
    /**
     * Events of a file mapping from this size on go to the socket in place (a view of the mapping in the gathering
     * write); smaller ones are copied into the output's batch like any other. For the ~8 KB row events of a
     * backlog the copy is the cheaper: the kernel then copies into the socket from a batch still in the CPU's
     * cache rather than from the mapping, and the channel carries one buffer per ~64 KiB instead of two per
     * event. Fan-out of 8 clients over 1 GB, warm rounds alternating (docs/results.md, session 11): 0.56-0.70 CPU
     * s/GB copied against 0.64-0.88 in place, the system part 0.26-0.30 against 0.30-0.38.
     */
    static final int IN_PLACE_FROM = 16 * 1024;
    /** How long {@link #run()} waits between looks at stop(), when no heartbeat is due sooner. */
    private static final long IDLE_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    /**
     * Bytes one {@link #step()} sends before it yields ({@link Progress#MORE}), so dumps that share an event loop
     * take turns: one catching up on a backlog does not hold a tailing one back by more than this.
     */
    static final int STEP_BYTES = 1 << 20;

    private final BinlogArchive archive;
    private final DumpRequest request;
    /** What the request's master does differently: chosen once, asked per event. */
    private final DumpFlavor flavor;
    private final DumpOutput out;
    private final long masterServerId;
    private final DumpMetrics metrics;
    /** The event loop's runs shared between its dumps (see {@link SharedRuns}); null: this dump reads for itself. */
    private final SharedRuns shared;
    private final SharedRuns.WireForm wireForm;
    private volatile boolean stopped;
    private volatile Thread runner;

    /** Why {@link #step()} returned. */
    public enum Progress {
        /** Sent its share; more is readable now: step again soon (after others had their turn). */
        MORE,
        /** The output is not writable: step again when it is. */
        BLOCKED,
        /**
         * Everything readable was sent: step again when the archive changes ({@link #whenArchiveChanges}) or
         * after {@link #idleNanos()} (a heartbeat may be due), whichever comes first.
         */
        IDLE,
        /** The dump is over (EOF, ERR, the client left, or stop()); the sender has released what it held. */
        DONE
    }

    // ---- state of the running dump (one thread at a time: the event loop stepping it, or run()'s) ----
    private ArchiveReader reader;
    private ChecksumAlgorithm fakeChecksum;
    private FormatDescription fde;
    private boolean heartbeatV2;
    /** The file the entries come from. */
    private String entryFile;
    /** Where the replica stands: what a heartbeat names. */
    // volatile: written on the dump's event loop, read by status (position())
    private volatile String currentFile;
    private volatile long currentPos;
    private long lastSentNanos;
    /**
     * Events sent since {@link #lastSentNanos} and the counters were last brought up to date ({@link #report()}):
     * once per step, not per event. A clock read and two shared counters per event were each dump's cost for
     * what a heartbeat due in seconds and a rate need.
     */
    private boolean sentUnreported;
    private long unreportedEvents;
    private long unreportedBytes;
    private final TransactionTracker tracker = new TransactionTracker();
    private StartResolver.Start start;
    /** What a GTID dump still leaves out; null when nothing (any more). */
    private GtidSkip skip;
    private final GtidSkip.StandIns standIns = new GtidSkip.StandIns() {
        @Override
        public void heartbeat() throws IOException {
            sendHeartbeat();
        }

        @Override
        public void gtidList(long logPos, List<MariaGtid> state) throws IOException {
            send(FakeEvents.gtidList(serverIdOf(currentFile), logPos, state, fakeChecksum));
        }
    };
    private boolean firstFileFde = true;
    private FileChannel regionChannel;
    private String regionFile;
    private boolean prepared;
    private DumpRefusedException refusal;
    private boolean streaming;
    private boolean finished;
    private boolean readSinceEnd;
    // ---- a run being captured for the other dumps (see SharedRuns) ----
    private boolean capturing;
    /** Something was read that a run must not hold (a new file, FORMAT_DESCRIPTION, ROTATE, a torn transaction). */
    private boolean captureSpoiled;
    private String captureFile;
    private long captureStart;
    private long captureGeneration;
    private int captureEvents;
    private long captureBytes;
    /** When IDLE: the archive generation the last look saw, and how long until a heartbeat is due. */
    private long idleGeneration;
    private long idleNanos;

    /**
     * @param masterServerId the server_id put into fake events (the upstream master's, which the archived events
     *                       carry too)
     */
    public BinlogSender(BinlogArchive archive, DumpRequest request, DumpOutput out, long masterServerId,
                        DumpMetrics metrics) {
        this(archive, request, out, masterServerId, metrics, null);
    }

    /**
     * @param shared the runs this dump shares with the other dumps stepped on the same thread (null: none); used
     *               only from that thread
     */
    BinlogSender(BinlogArchive archive, DumpRequest request, DumpOutput out, long masterServerId, DumpMetrics metrics,
                 SharedRuns shared) {
        this.shared = SharedRuns.ENABLED ? shared : null;
        this.wireForm = SharedRuns.WireForm.of(request);
        this.archive = Objects.requireNonNull(archive, "archive");
        this.request = Objects.requireNonNull(request, "request");
        this.flavor = DumpFlavor.of(request.flavor());
        this.out = Objects.requireNonNull(out, "out");
        this.masterServerId = masterServerId;
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /**
     * Streams on the calling thread until the client goes away, {@link #stop()} is called, or an ERR ends the
     * dump: {@link #prepare()}, then {@link #step()} with waits in between.
     */
    public void run() throws IOException, InterruptedException {
        runner = Thread.currentThread();
        try {
            if (stopped) {
                return;
            }
            prepare();
            while (true) {
                Progress p = step();
                if (p == Progress.DONE) {
                    return;
                }
                if (p == Progress.IDLE) {
                    long wait = Math.min(IDLE_CHECK_NANOS, idleNanos);
                    if (wait > 0 && !reader.await(idleGeneration, wait)) {
                        throw new IOException("archive closed");
                    }
                } else if (p == Progress.BLOCKED) {
                    throw new IllegalStateException("run() needs an output that is always writable (it writes"
                            + " synchronously); an asynchronous one is stepped by its event loop");
                }
            }
        } catch (InterruptedException | IOException e) {
            // stop() interrupts: whatever was blocked (the archive wait, a file read, the output's backpressure
            // wait) fails, and that is the stop, not an error
            if (!stopped) {
                throw e;
            }
            Thread.interrupted();
        } finally {
            runner = null;
            finish();
        }
    }

    /**
     * Decides where the dump starts. May wait (up to {@link StartResolver#CATCH_UP_NANOS}): for an empty archive's
     * first file, or for the archive to reach a position a replica asks for. Call it once, off any event loop,
     * before the first {@link #step()}; a refusal is sent by that step.
     */
    public void prepare() throws IOException, InterruptedException {
        if (prepared) {
            return;
        }
        try {
            start = StartResolver.resolve(archive, request, flavor);
        } catch (DumpRefusedException refused) {
            refusal = refused;
        }
        prepared = true;
    }

    /**
     * Sends what can be sent now without blocking, from one thread at a time (the session's event loop), after
     * {@link #prepare()}. A refusal goes out as the ERR a master sends, and the step returns DONE.
     *
     * @throws IOException if the archive cannot be read or the output failed; the sender has then released what
     *                     it held, as after DONE
     */
    public Progress step() throws IOException {
        if (finished) {
            return Progress.DONE;
        }
        if (!prepared) {
            throw new IllegalStateException("step() before prepare()");
        }
        Progress p;
        try {
            p = advance();
        } catch (IOException | RuntimeException | Error e) {
            report();
            finish();
            throw e;
        }
        report();
        if (p == Progress.DONE) {
            finish();
        }
        return p;
    }

    private Progress advance() throws IOException {
        try {
            if (refusal != null) {
                throw refusal;
            }
            if (!streaming && !stopped) {
                streaming = true;
                stream();
            }
            return stopped ? Progress.DONE : loop();
        } catch (DumpRefusedException refused) {
            if (out.isOpen()) {
                out.error(refused.errorCode(), refused.sqlState(), refused.serverMessage());
            }
            return Progress.DONE;
        }
    }

    /** When {@link #step()} returned IDLE: nanoseconds until it should be called even if nothing changes. */
    public long idleNanos() {
        return idleNanos;
    }

    /**
     * When {@link #step()} returned IDLE: runs {@code wake} once, on whichever thread changes the archive next
     * (at once if it already has). It must only hand over (e.g. schedule the next step); registering the same
     * object again before it ran is a no-op.
     */
    public void whenArchiveChanges(Runnable wake) {
        reader.whenChanged(idleGeneration, wake);
    }

    /** The archive generation at which the last {@link Progress#IDLE} step found nothing more to send. */
    long idleGeneration() {
        return idleGeneration;
    }

    /** Any thread; {@link #run()} returns promptly, and the next {@link #step()} ends the dump. */
    public void stop() {
        stopped = true;
        Thread t = runner;
        if (t != null) {
            t.interrupt();
        }
    }

    /** Releases the reader and the region file (once the output has written what it took from it). */
    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        closeRegionChannel();
        if (reader != null) {
            reader.close();
        }
        if (capturing) {
            capturing = false;
            DumpOutput.Framed f = out.captured();
            if (f != null) {
                f.bytes().release();
            }
        }
    }

    private void stream() throws IOException {
        String file = start.file();
        long position = start.position();
        fakeChecksum = request.clientChecksum() == ChecksumAlgorithm.CRC32 ? ChecksumAlgorithm.CRC32
                : ChecksumAlgorithm.OFF;
        FormatDescription firstFde;
        try (ArchiveReader head = archive.openReader(BinlogPosition.startOf(file))) {
            firstFde = head.formatDescription();
        } catch (ArchiveException e) {
            // purged between resolving and opening
            throw DumpRefusedException.fatal(StartResolver.NO_SUCH_FILE);
        }
        entryFile = file;
        currentFile = file;
        currentPos = position;
        send(FakeEvents.rotate(serverIdOf(file), file, position, fakeChecksum));
        if (firstFde.checksumAlgorithm() == ChecksumAlgorithm.CRC32 && request.clientChecksum() == null) {
            long fdeEnd = BinlogPosition.FIRST_EVENT_OFFSET + firstFde.encode().length;
            throw DumpRefusedException.fatal(flavor.checksumRefusal(requestedFile(), position, file, fdeEnd));
        }
        heartbeatV2 = flavor.heartbeatV2(request, firstFde);
        if (position > BinlogPosition.FIRST_EVENT_OFFSET) {
            enterFormatDescription(firstFde);
            send(FakeEvents.formatDescription(firstFde, true, true));
            try {
                reader = archive.openReader(new BinlogPosition(file, position));
            } catch (ArchiveException notABoundary) {
                throw DumpRefusedException.fatal("bogus data in log event; "
                        + DumpRefusedException.coordinates(file, position, position, position));
            }
        } else {
            try {
                reader = archive.openReader(BinlogPosition.startOf(file));
            } catch (ArchiveException e) {
                throw DumpRefusedException.fatal(StartResolver.NO_SUCH_FILE);
            }
        }
        // far behind, read through mappings; what was framed from one is written before it is unmapped
        reader.mappedViews(out::whenWritten);
        skip = start.skip();
    }

    private Progress loop() throws IOException {
        long budget = STEP_BYTES;
        while (!stopped) {
            if (!out.isOpen()) {
                endCapture(0, false);
                return Progress.DONE;
            }
            if (!out.writable()) {
                endCapture(0, false);
                return Progress.BLOCKED;
            }
            long generation = reader.generation();
            boolean mayCapture = false;
            if (shared != null && !capturing && shareable()) {
                SharedRuns.Run run = shared.find(archive, reader.file(), reader.offset(), wireForm, generation);
                if (run != null) {
                    replay(run);
                    budget -= run.end() - run.start();
                    if (budget <= 0) {
                        out.push();
                        return Progress.MORE;
                    }
                    if (generation == run.endGeneration()) {
                        // the archive is as it was when the reading dump found nothing past the run's end:
                        // nothing more to read here either (a look would cost this dump three lookups of the file)
                        return caughtUp(generation);
                    }
                    continue;
                }
                // a backlog is read by one dump at a time at any place: only a short way from the end is a run
                // worth keeping (and one that could end at the readable end within the capture's size)
                mayCapture = reader.readableInFile() <= ChannelDumpOutput.CAPTURE_LIMIT;
            }
            ArchiveReader.Entry e = reader.nextEntry(REGION_THRESHOLD, BinlogSender::copyAnyway, DumpOutput.VIEW_LIMIT);
            if (e != null) {
                if (mayCapture) {
                    startCapture(e, generation);
                }
                readSinceEnd = true;
                handle(e);
                budget -= e.size();
                if (budget <= 0) {
                    // a step's share ends a run before the end of what is readable: not shared
                    endCapture(generation, false);
                    out.push();
                    return Progress.MORE;
                }
                continue;
            }
            // everything readable is sent: what was captured on the way is a run for the others
            endCapture(generation, true);
            if (readSinceEnd && skip != null) {
                skip.batchEnded(standIns);
            }
            readSinceEnd = false;
            return caughtUp(generation);
        }
        endCapture(0, false);
        return Progress.DONE;
    }

    /** Everything readable at archive {@code generation} is sent: EOF (non-blocking), or IDLE with a heartbeat due. */
    private Progress caughtUp(long generation) throws IOException {
        out.push();
        if (request.nonBlocking()) {
            out.eof();
            return Progress.DONE;
        }
        idleGeneration = generation;
        idleNanos = Long.MAX_VALUE;
        long period = request.heartbeatPeriodNanos();
        if (period > 0) {
            report();
            long due = lastSentNanos + period - System.nanoTime();
            if (due <= 0) {
                // nothing sent for a period: a heartbeat says where the replica stands
                sendHeartbeat();
                out.push();
                due = period;
            }
            idleNanos = due;
        }
        return Progress.IDLE;
    }

    /**
     * Whether what this dump sends from here depends only on the events and its {@link SharedRuns.WireForm}: no
     * GTID skipping left, between transactions, in the file the reader is in.
     */
    private boolean shareable() {
        return skip == null && fde != null && !tracker.inTransaction() && reader.file().equals(entryFile);
    }

    /** Starts capturing what is framed from {@code first} on (not yet handled) for the other dumps. */
    private void startCapture(ArchiveReader.Entry first, long generation) {
        if (!out.capture()) {
            return;
        }
        capturing = true;
        // an entry of another file than the sender's (the reader moved on) spoils the run in handle()
        captureSpoiled = false;
        captureFile = first.file();
        captureStart = first.offset();
        captureGeneration = generation;
        captureEvents = 0;
        captureBytes = 0;
    }

    /**
     * Ends a capture; publishes it when the dump has read everything readable ({@code caughtUp}, at archive
     * {@code generation}) and the run holds only what another dump at its start would send the same way.
     */
    private void endCapture(long generation, boolean caughtUp) {
        if (!capturing) {
            return;
        }
        capturing = false;
        DumpOutput.Framed framed = out.captured();
        if (framed == null) {
            return;
        }
        long end = reader.offset();
        boolean ok = caughtUp && !captureSpoiled && end > captureStart && !tracker.inTransaction()
                && reader.file().equals(captureFile)
                // semi-sync: the ACK flags are where the readable end was; only a run read at one generation
                && (!request.semiSync() || generation == captureGeneration);
        if (!ok) {
            framed.bytes().release();
            return;
        }
        shared.publish(new SharedRuns.Run(archive, captureFile, captureStart, end, wireForm,
                request.semiSync() ? generation : -1, generation, captureEvents, captureBytes, framed));
    }

    /** Sends a run another dump of this loop read and framed, and goes on from its end (see {@link SharedRuns}). */
    private void replay(SharedRuns.Run run) throws IOException {
        reader.skipTo(run.end());
        out.replay(run.framed());
        currentPos = run.end();
        if (run.events() > 0) {
            sent(run.events(), run.eventBytes());
            metrics.sharedEvents.increment(run.events());
        }
    }

    private void handle(ArchiveReader.Entry e) throws IOException {
        if (!e.file().equals(entryFile)) {
            // Into the next file, after its predecessor's ROTATE (or its end, for a file its master left without).
            closeRegionChannel();
            captureSpoiled = true;
            entryFile = e.file();
            currentFile = e.file();
            currentPos = BinlogPosition.FIRST_EVENT_OFFSET;
            send(FakeEvents.rotate(serverIdOf(e.file()), e.file(), BinlogPosition.FIRST_EVENT_OFFSET, fakeChecksum));
        }
        int type = e.typeCode();
        if (type == EventType.FORMAT_DESCRIPTION.code()) {
            FormatDescription f;
            try {
                f = FormatDescription.decode(e.event());
            } catch (MalformedEventException bad) {
                throw new IOException(e.file() + ":" + e.offset() + ": bad FORMAT_DESCRIPTION: " + bad.getMessage(),
                        bad);
            }
            captureSpoiled = true;
            enterFormatDescription(f);
            currentPos = e.end();
            // Seen on both: a GTID dump that has transactions to skip clears create_timestamp of the first FDE,
            // as a dump from past 4 does (an empty MySQL set or a MariaDB state with nothing to skip keeps it).
            boolean gtidStart = firstFileFde && start.skip() != null && start.skip().clearsFirstCreateTimestamp();
            firstFileFde = false;
            send(FakeEvents.formatDescription(f, false, gtidStart));
            return;
        }
        EventRole role = role(e);
        currentPos = e.end();
        if (skip != null) {
            boolean leftOut = skip.leaveOut(e, type, role, fde.checksumAlgorithm(), standIns);
            if (skip.finished()) {
                skip = null;
            }
            if (leftOut) {
                return;
            }
        }
        if (flavor.leftOut(e, type, request, fde.checksumAlgorithm())) {
            return;
        }
        byte[] replaced = flavor.standIn(e, type, request, fde.checksumAlgorithm());
        if (replaced != null) {
            out.event(Unpooled.wrappedBuffer(replaced), request.semiSync(), false);
            sent(1, replaced.length);
            captureEvents++;
            captureBytes += replaced.length;
            return;
        }
        boolean ack = request.semiSync() && (role == EventRole.END || role == EventRole.COMPLETE)
                && reader.atVisibleEnd();
        if (e.mapped()) {
            metrics.mappedBytes.increment(e.size());
        }
        if (e.isRegion()) {
            FileChannel ch = regionChannel(e.file());
            out.event(ch, e.offset(), e.size(), request.semiSync(), ack);
            metrics.regionBytes.increment(e.size());
        } else if (e.mapped() && e.size() >= IN_PLACE_FROM) {
            // a large view of a file mapping, unmapped only once the output has written it (mappedViews): no copy
            out.eventInPlace(Unpooled.wrappedBuffer(e.view()), request.semiSync(), ack);
            metrics.inPlaceBytes.increment(e.size());
        } else if (e.view() != null) {
            // a view of the reader's window or a small one of a mapping: the output frames it before it returns
            // (DumpOutput.VIEW_LIMIT)
            out.event(Unpooled.wrappedBuffer(e.view()), request.semiSync(), ack);
        } else {
            // the reader's copy is the only one: a read-only view of it goes to the channel
            out.event(Unpooled.wrappedBuffer(e.event().bytes()), request.semiSync(), ack);
        }
        sent(1, e.size());
        captureEvents++;
        captureBytes += e.size();
        if (type == EventType.ROTATE.code()) {
            captureSpoiled = true;
            // The replica now stands at the start of the next file; a heartbeat naming the old one would be
            // "inconsistent heartbeat event content" to a MySQL replica, which stops on it.
            try {
                Rotate r = Rotate.decode(e.event(), fde.checksumAlgorithm());
                currentFile = r.nextFile();
                currentPos = r.position();
            } catch (MalformedEventException bad) {
                throw new IOException(e.file() + ":" + e.offset() + ": bad ROTATE: " + bad.getMessage(), bad);
            }
        }
    }

    /** Where the event stands in its transaction (for the semi-sync flag); a dump that starts mid-transaction is tolerated. */
    private EventRole role(ArchiveReader.Entry e) {
        try {
            return e.bodyUnread() ? tracker.acceptType(e.typeCode()) : tracker.accept(e.event());
        } catch (MalformedEventException midTransaction) {
            captureSpoiled = true;
            tracker.reset();
            return EventRole.INSIDE;
        }
    }

    private void enterFormatDescription(FormatDescription f) {
        fde = f;
        fakeChecksum = f.checksumAlgorithm();
        tracker.reset();
        tracker.accept(BinlogEvent.wrap(f.encode()));
    }

    private void sendHeartbeat() throws IOException {
        byte[] hb = heartbeatV2
                ? FakeEvents.heartbeatV2(serverIdOf(currentFile), currentFile, currentPos, fakeChecksum)
                : FakeEvents.heartbeat(serverIdOf(currentFile), currentFile, currentPos, fakeChecksum);
        send(hb);
        metrics.heartbeats.increment();
    }

    private void sent(long events, long bytes) {
        unreportedEvents += events;
        unreportedBytes += bytes;
        sentUnreported = true;
    }

    /** Counts what was sent since the last call, and takes its time as the last send's (see sentUnreported). */
    private void report() {
        if (!sentUnreported) {
            return;
        }
        sentUnreported = false;
        lastSentNanos = System.nanoTime();
        metrics.eventsSent.increment(unreportedEvents);
        metrics.bytesSent.increment(unreportedBytes);
        unreportedEvents = 0;
        unreportedBytes = 0;
    }

    private void send(byte[] event) throws IOException {
        out.event(Unpooled.wrappedBuffer(event), request.semiSync(), false);
        lastSentNanos = System.nanoTime();
    }

    private FileChannel regionChannel(String file) throws IOException {
        if (regionChannel == null || !file.equals(regionFile)) {
            closeRegionChannel();
            // a copy fetched back from object storage lives in the tier's cache, not in the archive directory
            regionChannel = FileChannel.open(archive.pathOf(file), StandardOpenOption.READ);
            regionFile = file;
        }
        return regionChannel;
    }

    /** The output may still be writing regions of the channel: it closes once the output is done with them. */
    private void closeRegionChannel() {
        if (regionChannel == null) {
            return;
        }
        FileChannel ch = regionChannel;
        regionChannel = null;
        regionFile = null;
        out.whenWritten(() -> {
            try {
                ch.close();
            } catch (IOException ignored) {
                // read-only: nothing to lose
            }
        });
    }

    /** Types whose body the sender (or the transaction tracker) reads: always copied, whatever their size. */
    private static boolean copyAnyway(int type) {
        return TransactionTracker.roleNeedsBody(type) || type == EventType.GTID.code()
                || type == EventType.ANONYMOUS_GTID.code() || type == EventType.GTID_TAGGED.code()
                || type == EventType.PREVIOUS_GTIDS.code() || type == EventType.MARIA_GTID_LIST.code();
    }

    private String requestedFile() {
        return request.start() instanceof StartPoint.FilePosition fp ? fp.file() : "";
    }

    /** Whether a server version ("8.0.26-log") is at least {@code min} (major, minor, patch). */
    static boolean versionAtLeast(String serverVersion, int[] min) {
        int[] v = new int[3];
        int part = 0;
        for (int i = 0; i < serverVersion.length() && part < 3; i++) {
            char c = serverVersion.charAt(i);
            if (Character.isDigit(c)) {
                v[part] = v[part] * 10 + (c - '0');
            } else if (c == '.') {
                part++;
            } else {
                break;
            }
        }
        for (int i = 0; i < 3; i++) {
            if (v[i] != min[i]) {
                return v[i] > min[i];
            }
        }
        return true;
    }

    /**
     * The server_id a real master puts in its fake events for {@code file}: the master that wrote the file (after a
     * failover, files of the old and the new master sit side by side in the archive).
     */
    private long serverIdOf(String file) {
        return file == null ? masterServerId
                : archive.epochOf(file).map(e -> e.master().serverId()).orElse(masterServerId);
    }

    /** Where the dump stands: the file and position of what it sent last; null before it started. */
    public BinlogPosition position() {
        String f = currentFile;
        return f == null ? null : new BinlogPosition(f, Math.max(BinlogPosition.FIRST_EVENT_OFFSET, currentPos));
    }
}
