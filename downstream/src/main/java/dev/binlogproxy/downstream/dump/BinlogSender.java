package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.archive.ArchiveReader;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.event.MariaGtidEvent;
import dev.binlogproxy.binlog.event.MySqlGtidEvent;
import dev.binlogproxy.binlog.event.Rotate;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.position.MySqlGtid;
import dev.binlogproxy.binlog.txn.EventRole;
import dev.binlogproxy.binlog.txn.TransactionTracker;
import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.MySqlProtocolException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.Unpooled;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
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
 * announced, afterwards as that FORMAT_DESCRIPTION declares.
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
    /** MariaDB @mariadb_slave_capability levels (MARIA_SLAVE_CAPABILITY_*). */
    private static final int MARIA_CAPABILITY_ANNOTATE = 1;
    private static final int MARIA_CAPABILITY_TOLERATE_HOLES = 2;
    private static final int MARIA_CAPABILITY_BINLOG_CHECKPOINT = 3;
    private static final int MARIA_CAPABILITY_GTID = 4;
    /** How long {@link #run()} waits between looks at stop(), when no heartbeat is due sooner. */
    private static final long IDLE_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    /**
     * Bytes one {@link #step()} sends before it yields ({@link Progress#MORE}), so dumps that share an event loop
     * take turns: one catching up on a backlog does not hold a tailing one back by more than this.
     */
    static final int STEP_BYTES = 1 << 20;
    /** MySQL sends HEARTBEAT_V2 from 8.0.26 on; older masters answer flag 0x02 with v1 heartbeats. */
    private static final int[] HEARTBEAT_V2_SINCE = {8, 0, 26};

    private final BinlogArchive archive;
    private final DumpRequest request;
    private final DumpOutput out;
    private final long masterServerId;
    private final Counter eventsSent;
    private final Counter bytesSent;
    private final Counter regionBytes;
    private final Counter inPlaceBytes;
    private final Counter heartbeats;
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
    private String currentFile;
    private long currentPos;
    private long lastSentNanos;
    private final TransactionTracker tracker = new TransactionTracker();
    private StartResolver.Start start;
    private MySqlSkip mysqlSkip;
    private MariaSkip mariaSkip;
    private boolean firstFileFde = true;
    private FileChannel regionChannel;
    private String regionFile;
    private boolean prepared;
    private DumpRefusedException refusal;
    private boolean streaming;
    private boolean finished;
    private boolean readSinceEnd;
    /** When IDLE: the archive generation the last look saw, and how long until a heartbeat is due. */
    private long idleGeneration;
    private long idleNanos;

    /**
     * @param masterServerId the server_id put into fake events (the upstream master's, which the archived events
     *                       carry too)
     */
    public BinlogSender(BinlogArchive archive, DumpRequest request, DumpOutput out, long masterServerId,
                        MeterRegistry meters) {
        this.archive = Objects.requireNonNull(archive, "archive");
        this.request = Objects.requireNonNull(request, "request");
        this.out = Objects.requireNonNull(out, "out");
        this.masterServerId = masterServerId;
        Objects.requireNonNull(meters, "meters");
        eventsSent = Counter.builder("binlog_proxy_downstream_events").description("event packets sent to replicas")
                .register(meters);
        bytesSent = Counter.builder("binlog_proxy_downstream_bytes").baseUnit("bytes")
                .description("event bytes sent to replicas").register(meters);
        regionBytes = Counter.builder("binlog_proxy_downstream_zero_copy_bytes").baseUnit("bytes")
                .description("event bytes sent to replicas straight from the files (no copy)").register(meters);
        inPlaceBytes = Counter.builder("binlog_proxy_downstream_mapped_bytes").baseUnit("bytes")
                .description("event bytes sent to replicas from file mappings without a copy").register(meters);
        heartbeats = Counter.builder("binlog_proxy_downstream_heartbeats").description("heartbeats sent to replicas")
                .register(meters);
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
            start = StartResolver.resolve(archive, request);
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
            finish();
            throw e;
        }
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
        send(FakeEvents.rotate(masterServerId, file, position, fakeChecksum));
        if (firstFde.checksumAlgorithm() == ChecksumAlgorithm.CRC32 && request.clientChecksum() == null) {
            long fdeEnd = BinlogPosition.FIRST_EVENT_OFFSET + firstFde.encode().length;
            String why = "Slave can not handle replication events with the checksum that master is configured to log; ";
            // The two masters word where they stopped differently: MySQL names the file the client asked for
            // (empty for a GTID dump) and the FDE's end; MariaDB the file it opened, 4, and the FDE's end.
            throw DumpRefusedException.fatal(why + (request.flavor() == BinlogFlavor.MYSQL
                    ? coordinates(requestedFile(), position, file, fdeEnd, fdeEnd)
                    : coordinates(file, 4, file, 4, fdeEnd)));
        }
        heartbeatV2 = request.flavor() == BinlogFlavor.MYSQL && (request.flags() & DumpRequest.FLAG_0X02) != 0
                && versionAtLeast(firstFde.serverVersion(), HEARTBEAT_V2_SINCE);
        if (position > BinlogPosition.FIRST_EVENT_OFFSET) {
            enterFormatDescription(firstFde);
            send(FakeEvents.formatDescription(firstFde, true, true));
            try {
                reader = archive.openReader(new BinlogPosition(file, position));
            } catch (ArchiveException notABoundary) {
                throw DumpRefusedException.fatal("bogus data in log event; " + coordinates(file, position, position,
                        position));
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
        if (start.mysqlExecuted() != null) {
            mysqlSkip = new MySqlSkip(start.mysqlExecuted());
        }
        if (start.mariaSkip() != null) {
            mariaSkip = start.mariaSkip();
        }
    }

    private Progress loop() throws IOException {
        long budget = STEP_BYTES;
        while (!stopped) {
            if (!out.isOpen()) {
                return Progress.DONE;
            }
            if (!out.writable()) {
                return Progress.BLOCKED;
            }
            long generation = reader.generation();
            ArchiveReader.Entry e = reader.nextEntry(REGION_THRESHOLD, BinlogSender::copyAnyway, DumpOutput.VIEW_LIMIT);
            if (e != null) {
                readSinceEnd = true;
                handle(e);
                budget -= e.size();
                if (budget <= 0) {
                    out.push();
                    return Progress.MORE;
                }
                continue;
            }
            if (readSinceEnd && mysqlSkip != null && mysqlSkip.excluding) {
                // MySQL ends a batch read inside a skipped group with a heartbeat at the position reached.
                sendHeartbeat();
            }
            readSinceEnd = false;
            out.push();
            if (request.nonBlocking()) {
                out.eof();
                return Progress.DONE;
            }
            idleGeneration = generation;
            idleNanos = Long.MAX_VALUE;
            long period = request.heartbeatPeriodNanos();
            if (period > 0) {
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
        return Progress.DONE;
    }

    private void handle(ArchiveReader.Entry e) throws IOException {
        if (!e.file().equals(entryFile)) {
            // Into the next file, after its predecessor's ROTATE (or its end, for a file its master left without).
            closeRegionChannel();
            entryFile = e.file();
            currentFile = e.file();
            currentPos = BinlogPosition.FIRST_EVENT_OFFSET;
            send(FakeEvents.rotate(masterServerId, e.file(), BinlogPosition.FIRST_EVENT_OFFSET, fakeChecksum));
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
            enterFormatDescription(f);
            currentPos = e.end();
            // Seen on both: a GTID dump that has transactions to skip clears create_timestamp of the first FDE,
            // as a dump from past 4 does (an empty MySQL set or a MariaDB state with nothing to skip keeps it).
            boolean gtidStart = firstFileFde && ((start.mysqlExecuted() != null && !start.mysqlExecuted().isEmpty())
                    || start.mariaSkip() != null);
            firstFileFde = false;
            send(FakeEvents.formatDescription(f, false, gtidStart));
            return;
        }
        EventRole role = role(e);
        currentPos = e.end();
        if (mysqlSkip != null && mysqlSkip.skip(e, type, fde.checksumAlgorithm())) {
            // MySQL 8.0.15 answers every skipped event with a heartbeat naming where it stands.
            sendHeartbeat();
            return;
        }
        if (mariaSkip != null) {
            MariaSkip.Verdict v = mariaSkip.accept(e, type, role, fde.checksumAlgorithm());
            if (v != MariaSkip.Verdict.SEND) {
                if (v == MariaSkip.Verdict.SKIP_THEN_GTID_LIST) {
                    send(FakeEvents.gtidList(masterServerId, e.end(), mariaSkip.binlogState(), fakeChecksum));
                    mariaSkip = null;
                }
                return;
            }
        }
        if (dropped(e, type)) {
            return;
        }
        byte[] replaced = request.flavor() == BinlogFlavor.MARIADB ? forOldMariaReplica(e, type) : null;
        if (replaced != null) {
            out.event(Unpooled.wrappedBuffer(replaced), request.semiSync(), false);
            eventsSent.increment();
            bytesSent.increment(replaced.length);
            lastSentNanos = System.nanoTime();
            return;
        }
        boolean ack = request.semiSync() && (role == EventRole.END || role == EventRole.COMPLETE)
                && reader.atVisibleEnd();
        if (e.isRegion()) {
            FileChannel ch = regionChannel(e.file());
            out.event(ch, e.offset(), e.size(), request.semiSync(), ack);
            regionBytes.increment(e.size());
        } else if (e.mapped()) {
            // a view of a file mapping, unmapped only once the output has written it (mappedViews): no copy
            out.eventInPlace(Unpooled.wrappedBuffer(e.view()), request.semiSync(), ack);
            inPlaceBytes.increment(e.size());
        } else if (e.view() != null) {
            // a view of the reader's window: the output frames it before it returns (DumpOutput.VIEW_LIMIT)
            out.event(Unpooled.wrappedBuffer(e.view()), request.semiSync(), ack);
        } else {
            // the reader's copy is the only one: a read-only view of it goes to the channel
            out.event(Unpooled.wrappedBuffer(e.event().bytes()), request.semiSync(), ack);
        }
        eventsSent.increment();
        bytesSent.increment(e.size());
        lastSentNanos = System.nanoTime();
        if (type == EventType.ROTATE.code()) {
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
            tracker.reset();
            return EventRole.INSIDE;
        }
    }

    /** Events a real master leaves out for this client. */
    private boolean dropped(ArchiveReader.Entry e, int type) {
        if (request.flavor() != BinlogFlavor.MARIADB) {
            return false;
        }
        if (request.skipReplication() && (e.flags() & EventFlags.MARIA_SKIP_REPLICATION) != 0) {
            return true;
        }
        int cap = request.mariadbSlaveCapability();
        if (type == EventType.MARIA_ANNOTATE_ROWS.code()) {
            // Seen on 10.11: asked for (flag 0x02) -> sent, whatever the capability; else dropped for a replica
            // that tolerates holes, sent as is to one that only knows the type, replaced for one that does not.
            return (request.flags() & DumpRequest.FLAG_0X02) == 0 && cap >= MARIA_CAPABILITY_TOLERATE_HOLES;
        }
        return cap >= MARIA_CAPABILITY_TOLERATE_HOLES && needsStandIn(e, type, cap);
    }

    /** Whether a replica of this capability cannot take the event as it is (GTID groups aside, see below). */
    private boolean needsStandIn(ArchiveReader.Entry e, int type, int cap) {
        if (type == EventType.MARIA_GTID_LIST.code()) {
            return cap < MARIA_CAPABILITY_GTID;
        }
        if (type == EventType.MARIA_BINLOG_CHECKPOINT.code()) {
            return cap < MARIA_CAPABILITY_BINLOG_CHECKPOINT;
        }
        if (type == EventType.MARIA_ANNOTATE_ROWS.code()) {
            return cap < MARIA_CAPABILITY_ANNOTATE && (request.flags() & DumpRequest.FLAG_0X02) == 0;
        }
        if (type == EventType.MARIA_GTID.code() && cap < MARIA_CAPABILITY_GTID) {
            return (MariaGtidEvent.flags2Of(e.event(), fde.checksumAlgorithm()) & MariaGtidEvent.FL_STANDALONE) != 0;
        }
        return false;
    }

    /**
     * What MariaDB sends a replica with a low @mariadb_slave_capability instead of events it cannot handle (same
     * size, so positions hold; seen on 10.11): a GTID that opens a BEGIN group becomes a BEGIN query; below
     * capability 2 (holes not tolerated) GTID_LIST, BINLOG_CHECKPOINT, standalone GTIDs and unasked ANNOTATE_ROWS
     * become dummy events (from 2 on they are left out, see {@link #dropped}). Null: send the event as it is.
     */
    private byte[] forOldMariaReplica(ArchiveReader.Entry e, int type) throws IOException {
        int cap = request.mariadbSlaveCapability();
        if (cap >= MARIA_CAPABILITY_GTID) {
            return null;
        }
        ChecksumAlgorithm alg = fde.checksumAlgorithm();
        if (needsStandIn(e, type, cap)) {
            EventHeader header = e.header() != null ? EventHeader.read(e.header()) : EventHeader.of(e.event());
            byte[] d = FakeEvents.dummy(header, e.size(), alg);
            if (d == null) {
                throw DumpRefusedException.fatal("Failed to replace binlog event with a dummy event: event too"
                        + " short.");
            }
            return d;
        }
        if (type == EventType.MARIA_GTID.code()) {
            byte[] begin = FakeEvents.beginInsteadOfGtid(e.event(), alg);
            if (begin == null) {
                throw DumpRefusedException.fatal("Failed to replace GTID event with backwards-compatible event:"
                        + " corrupt event.");
            }
            return begin;
        }
        return null;
    }

    private void enterFormatDescription(FormatDescription f) {
        fde = f;
        fakeChecksum = f.checksumAlgorithm();
        tracker.reset();
        tracker.accept(BinlogEvent.wrap(f.encode()));
    }

    private void sendHeartbeat() throws IOException {
        byte[] hb = heartbeatV2
                ? FakeEvents.heartbeatV2(masterServerId, currentFile, currentPos, fakeChecksum)
                : FakeEvents.heartbeat(masterServerId, currentFile, currentPos, fakeChecksum);
        send(hb);
        heartbeats.increment();
    }

    private void send(byte[] event) throws IOException {
        out.event(Unpooled.wrappedBuffer(event), request.semiSync(), false);
        lastSentNanos = System.nanoTime();
    }

    private FileChannel regionChannel(String file) throws IOException {
        if (regionChannel == null || !file.equals(regionFile)) {
            closeRegionChannel();
            regionChannel = FileChannel.open(archive.directory().resolve(file), StandardOpenOption.READ);
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

    /** The tail MySQL and MariaDB put on binlog read errors (file names without the directory). */
    static String coordinates(String file, long first, long lastEvent, long lastByte) {
        return coordinates(file, first, file, lastEvent, lastByte);
    }

    static String coordinates(String firstFile, long first, String file, long lastEvent, long lastByte) {
        return "the first event '" + firstFile + "' at " + first + ", the last event read from '" + file + "' at "
                + lastEvent + ", the last byte read from '" + file + "' at " + lastByte + ".";
    }

    private String requestedFile() {
        return request.start() instanceof StartPoint.FilePosition fp ? fp.file() : "";
    }

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
     * MySQL COM_BINLOG_DUMP_GTID skipping: a GTID event starts or ends an excluded group (its GTID is in the
     * replica's set); other events follow the group they are in; a ROTATE is never skipped. Anonymous GTIDs, like
     * any non-GTID event, stay in the current group (MySQL's rule).
     */
    private static final class MySqlSkip {
        private final dev.binlogproxy.binlog.position.MySqlGtidSet executed;
        boolean excluding;

        MySqlSkip(dev.binlogproxy.binlog.position.MySqlGtidSet executed) {
            this.executed = executed;
        }

        boolean skip(ArchiveReader.Entry e, int type, ChecksumAlgorithm checksum) throws IOException {
            if (type == EventType.ROTATE.code()) {
                excluding = false;
                return false;
            }
            if (type == EventType.GTID.code()) {
                MySqlGtid g;
                try {
                    g = MySqlGtidEvent.decode(e.event(), checksum).gtid();
                } catch (MalformedEventException bad) {
                    throw new IOException(e.file() + ":" + e.offset() + ": bad GTID event: " + bad.getMessage(), bad);
                }
                excluding = executed.contains(g);
            }
            return excluding;
        }
    }

    /** The MariaDB GTID of an entry (a GTID event is always copied). */
    static dev.binlogproxy.binlog.position.MariaGtid mariaGtid(ArchiveReader.Entry e, ChecksumAlgorithm checksum)
            throws IOException {
        try {
            return MariaGtidEvent.decode(e.event(), checksum).gtid();
        } catch (MalformedEventException bad) {
            throw new IOException(e.file() + ":" + e.offset() + ": bad GTID event: " + bad.getMessage(), bad);
        }
    }

}
