package dev.binlogproxy.failover;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.client.ConnectionSettings;
import dev.binlogproxy.failover.UndoJournal.Entry;
import dev.binlogproxy.failover.UndoJournal.StepUndo;
import dev.binlogproxy.protocol.net.Transports;
import dev.binlogproxy.upstream.MirrorService;
import dev.binlogproxy.upstream.UpstreamSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Owns the master's lifecycle above the mirror: watches the master (the dump, and a SQL probe of its own), decides
 * it is dead only when both fail for {@code detectTimeout}, and then (mode AUTO) promotes a candidate with
 * {@link Promotion}; runs failover and switchover on command; reports what an old master that came back has
 * beyond the archive. One per proxy.
 *
 * <p>Before the mirror starts, {@link #prepare} finishes or rolls back a failover that a killed proxy left
 * unfinished, and says which master the proxy follows now (a committed failover outlives restarts: the
 * configuration names the first master, the journal the current one).
 */
public final class Failover implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Failover.class);
    /** How often a returned old master is looked at. */
    private static final long OLD_MASTER_CHECK_NANOS = TimeUnit.SECONDS.toNanos(5);

    public enum State {
        /** Failover is off. */
        OFF,
        /** The master streams or answers its probe. */
        WATCHING,
        /** The dump is gone and the probe fails; not yet for detectTimeout. */
        SUSPECT,
        /** Dead for detectTimeout, mode MANUAL: waiting for {@code binlog-proxy failover}. */
        MASTER_DEAD,
        /** A failover or switchover is running. */
        PROMOTING
    }

    /** What status shows: the state, the master, the last failover, an old master's extra transactions. */
    public record Status(FailoverMode mode, State state, String master, FailoverReport last, String oldMaster) {
    }

    private final FailoverSettings settings;
    private final FailoverContext ctx;
    private final Promotion promotion;
    private final FailoverMetrics metrics;
    private final EventLoopGroup group;
    private final Thread watcher;
    private volatile boolean closing;
    private volatile State state;
    private volatile FailoverReport last;
    private volatile String oldMasterFinding;
    private long suspectSince;
    private long nextOldMasterCheck;

    private Failover(FailoverSettings settings, FailoverContext ctx, EventLoopGroup group, FailoverMetrics metrics) {
        this.settings = settings;
        this.ctx = ctx;
        this.group = group;
        this.metrics = metrics;
        this.promotion = new Promotion(ctx);
        this.state = settings.mode() == FailoverMode.OFF ? State.OFF : State.WATCHING;
        this.watcher = new Thread(this::watch, "failover-watch");
        this.watcher.setDaemon(true);
        metrics.state(() -> state.ordinal());
    }

    /**
     * Before the mirror starts: finishes (past the point of no return) or rolls back a failover a killed proxy left
     * unfinished, and returns the mirror's settings: {@code configured}, pointed at the master the newest
     * committed failover moved to, if any.
     */
    public static UpstreamSettings prepare(FailoverSettings settings, BinlogArchive archive,
                                           UpstreamSettings configured) throws IOException {
        UndoJournal journal = new UndoJournal(archive.directory());
        Optional<Entry> open = journal.unfinished();
        if (open.isPresent()) {
            EventLoopGroup group = Transports.newGroup(1);
            try {
                FailoverContext ctx = new FailoverContext(archive, null, settings, journal, group, null, 0, Map::of,
                        configured.connection());
                recover(ctx, open.get());
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
        }
        Optional<Entry> committed = journal.lastCommitted();
        if (committed.isEmpty()) {
            return configured;
        }
        String master = committed.get().detail();
        int colon = master.lastIndexOf(':');
        log.info("following {}, the master the failover of {} moved to (the configuration names {})", master,
                committed.get().id(), configured.address());
        return configured.withConnection(configured.connection().withAddress(master.substring(0, colon),
                Integer.parseInt(master.substring(colon + 1))));
    }

    /** A failover interrupted by a crash: past the point of no return it is finished, else rolled back. */
    private static void recover(FailoverContext ctx, Entry e) throws IOException {
        // killed while repointing, after the mirror had already written the candidate's first file: the candidate
        // is the archive's master in fact, and its epoch cannot be abandoned; finish forward
        boolean streamedFromCandidate = e.isDone(Step.ADOPT) && ctx.archive().newestEpochHoldsAFile();
        if (e.isDone(Step.REPOINT) || streamedFromCandidate) {
            log.warn("failover {} to {} was interrupted past the point of no return: finishing it", e.id(),
                    e.candidate());
            int colon = e.candidate().lastIndexOf(':');
            ConnectionSettings c = ctx.login(e.candidate().substring(0, colon),
                    Integer.parseInt(e.candidate().substring(colon + 1)));
            try (ServerAdmin admin = ServerAdmin.connect(ctx.group(), c)) {
                if (!e.isDone(Step.WRITABLE)) {
                    admin.execute(admin.flavor() == dev.binlogproxy.binlog.BinlogFlavor.MYSQL
                            ? new String[] {"SET GLOBAL super_read_only = OFF", "SET GLOBAL read_only = OFF"}
                            : new String[] {"SET GLOBAL read_only = OFF"});
                }
                if (!e.isDone(Step.FORGET_REPLICATION)) {
                    admin.execute("RESET SLAVE ALL");
                }
            } catch (IOException io) {
                log.error("finishing failover {}: {} is unreachable ({}); it stays the archive's master and the"
                        + " next failover replaces it", e.id(), e.candidate(), io.getMessage());
            }
            ctx.journal().commit(e.id(), e.candidate(), e.cut() == null ? "" : e.cut());
            return;
        }
        log.warn("failover {} to {} was interrupted before the point of no return: rolling it back", e.id(),
                e.candidate());
        List<String> failed = new ArrayList<>();
        List<StepUndo> undos = e.undos();
        for (int i = undos.size() - 1; i >= 0; i--) {
            String why = ctx.undo(undos.get(i).undo(), null);
            if (why != null) {
                failed.add(why);
            }
        }
        ctx.journal().abort(e.id(), "the proxy restarted mid-failover; rolled back"
                + (failed.isEmpty() ? "" : " (incomplete: " + String.join("; ", failed) + ")"));
    }

    /**
     * Starts watching the master (unless the mode is OFF).
     *
     * @param proxyHost the address the proxy's replicas use (an old master rejoining after a switchover uses it)
     * @param proxyPort the proxy's server port: candidates must replicate from it
     */
    public static Failover start(FailoverSettings settings, BinlogArchive archive, MirrorService mirror,
                                 String proxyHost, int proxyPort, Supplier<Map<String, String>> masterVariables,
                                 MeterRegistry registry) {
        EventLoopGroup group = Transports.newGroup(1);
        FailoverContext ctx = new FailoverContext(archive, mirror, settings, new UndoJournal(archive.directory()),
                group, proxyHost, proxyPort, masterVariables, mirror.settings().connection());
        Failover f = new Failover(settings, ctx, group, new FailoverMetrics(registry));
        try {
            if (ctx.journal().lastCommitted().isPresent()) {
                f.nextOldMasterCheck = System.nanoTime(); // an old master may come back at any time
            }
        } catch (IOException e) {
            log.warn("reading the failover journal: {}", e.toString());
        }
        if (settings.mode() != FailoverMode.OFF) {
            f.watcher.start();
            log.info("failover {}: watching {} (detect {} ms, probe every {} ms), candidates {}",
                    settings.mode().name().toLowerCase(java.util.Locale.ROOT), mirror.settings().address(),
                    settings.detectTimeout().toMillis(), settings.probeInterval().toMillis(),
                    settings.candidates().stream().map(ConnectionSettings::address).toList());
        }
        return f;
    }

    /**
     * Tells {@code listener} of each step before it runs: tracing, and fault injection in tests (a listener that
     * throws fails the step, which then rolls back like any failed step).
     */
    public void onStep(java.util.function.Consumer<Step> listener) {
        promotion.onStep(listener);
    }

    /** Promotes a candidate now (the master must not answer its probe); with {@code dryRun}, only the plan. */
    public synchronized FailoverReport failover(boolean dryRun) {
        return promote(() -> promotion.failover(dryRun), dryRun);
    }

    /** Replaces the live master by {@code host:port}; the old master rejoins as a replica when asked and able. */
    public synchronized FailoverReport switchover(String host, int port, boolean rejoin, boolean dryRun) {
        ConnectionSettings target = settings.candidate(host, port).orElse(null);
        if (target == null) {
            FailoverReport.Builder b = new FailoverReport.Builder("switchover", dryRun);
            return b.build(FailoverReport.Outcome.REFUSED, null, host + ":" + port + " is not among the failover"
                    + " candidates " + settings.candidates().stream().map(ConnectionSettings::address).toList());
        }
        return promote(() -> promotion.switchover(target, rejoin, dryRun), dryRun);
    }

    private FailoverReport promote(Supplier<FailoverReport> how, boolean dryRun) {
        State before = state;
        if (!dryRun) {
            state = State.PROMOTING;
        }
        try {
            FailoverReport r = how.get();
            log.info("{}", r.describe());
            if (!dryRun) {
                last = r;
                metrics.finished(r);
                if (r.outcome() == FailoverReport.Outcome.COMMITTED) {
                    oldMasterFinding = null;
                    nextOldMasterCheck = System.nanoTime();
                }
            }
            return r;
        } finally {
            if (!dryRun) {
                state = before == State.OFF ? State.OFF : State.WATCHING;
                suspectSince = 0;
            }
        }
    }

    /** One candidate as status shows it: checked now, as a failover would check it. */
    public record CandidateStatus(String address, boolean usable, String reason, String readPosition, long lagBytes) {
    }

    /** Checks every candidate now (connects to each). */
    public List<CandidateStatus> candidates() {
        return promotion.verdicts().stream().map(v -> new CandidateStatus(v.settings().address(), v.usable(),
                v.reason(), v.readPosition(), v.lagBytes())).toList();
    }

    public Status status() {
        return new Status(settings.mode(), state, ctx.mirror().settings().address(), last, oldMasterFinding);
    }

    private void watch() {
        while (!closing) {
            long t = System.nanoTime();
            try {
                watchOnce();
            } catch (RuntimeException e) {
                log.warn("failover watch: {}", e.toString());
            }
            long sleep = settings.probeInterval().toNanos() - (System.nanoTime() - t);
            if (sleep > 0) {
                // never interrupted: an interrupt during the archive's file I/O (an adopt) would close its files
                java.util.concurrent.locks.LockSupport.parkNanos(sleep);
            }
        }
    }

    private void watchOnce() {
        MirrorService mirror = ctx.mirror();
        if (state == State.PROMOTING) {
            return;
        }
        UpstreamSettings current = mirror.settings();
        boolean streaming = mirror.state() == MirrorService.State.STREAMING
                && mirror.silentNanos() < current.heartbeat().toNanos() * 2;
        if (streaming) {
            healthy();
            checkOldMaster();
            return;
        }
        if (mirror.state() == MirrorService.State.PAUSED) {
            return; // someone else holds the mirror (a repoint on command)
        }
        String why = ctx.probe().probe(current.connection());
        if (why == null) {
            healthy(); // a slow or restarting master that answers SQL is never replaced
            return;
        }
        metrics.probeFailed();
        long now = System.nanoTime();
        if (suspectSince == 0) {
            suspectSince = now;
            state = State.SUSPECT;
            log.warn("master {} suspect: dump {}, probe: {}; failover in {} ms unless it answers", current.address(),
                    mirror.state(), why, settings.detectTimeout().toMillis());
            return;
        }
        if (now - suspectSince < settings.detectTimeout().toNanos() || state == State.MASTER_DEAD) {
            return;
        }
        if (settings.mode() == FailoverMode.MANUAL) {
            state = State.MASTER_DEAD;
            log.error("master {} is dead (no dump and no SQL answer for {} ms): run `binlog-proxy failover` to"
                    + " promote a candidate", current.address(), (now - suspectSince) / 1_000_000);
            return;
        }
        log.error("master {} is dead (no dump and no SQL answer for {} ms): failing over", current.address(),
                (now - suspectSince) / 1_000_000);
        synchronized (this) {
            failover(false);
        }
    }

    private void healthy() {
        if (state == State.SUSPECT || state == State.MASTER_DEAD) {
            log.info("master {} answers again: no failover", ctx.mirror().settings().address());
        }
        if (state != State.OFF) {
            state = State.WATCHING;
        }
        suspectSince = 0;
    }

    /** After a failover: does the old master answer again, and what does it have that the archive does not? */
    private void checkOldMaster() {
        if (System.nanoTime() < nextOldMasterCheck || nextOldMasterCheck == 0) {
            return;
        }
        nextOldMasterCheck = System.nanoTime() + OLD_MASTER_CHECK_NANOS;
        try {
            Optional<Entry> committed = ctx.journal().lastCommitted();
            if (committed.isEmpty() || committed.get().end() == null || committed.get().end().isEmpty()
                    || committed.get().kind().equals("switchover")) {
                return; // a switchover drained the old master into the archive first: it has nothing beyond
            }
            String old = committed.get().oldMaster();
            int colon = old.lastIndexOf(':');
            ConnectionSettings login = ctx.mirror().settings().connection().withAddress(old.substring(0, colon),
                    Integer.parseInt(old.substring(colon + 1)));
            if (ctx.probe().probe(login) != null) {
                return;
            }
            try (ServerAdmin admin = ServerAdmin.connect(group, login)) {
                OldMasterCheck.Finding f = OldMasterCheck.check(admin, ctx.archive().directory(),
                        BinlogPosition.parse(committed.get().end()), CandidateCheck.end(ctx.archive().files()));
                String text = f.describe();
                if (!text.equals(oldMasterFinding)) {
                    log.warn("{}", text);
                }
                oldMasterFinding = text;
                metrics.oldMaster(f.errantTransactions(), f.extraBytes());
            }
        } catch (Exception e) {
            log.debug("checking the old master: {}", e.toString());
        }
    }

    @Override
    public void close() {
        closing = true;
        try {
            watcher.join(settings.probeInterval().toMillis() + 30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** For status lines: when the last failover started. */
    public Optional<Instant> lastStarted() {
        return Optional.ofNullable(last).map(FailoverReport::started);
    }

    /** The settings this controller runs with. */
    public FailoverSettings settings() {
        return settings;
    }

    /** For tests: the detection's own clock, so a test can tell a false alarm from a slow one. */
    Duration suspectFor() {
        return suspectSince == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - suspectSince);
    }
}
