package dev.binlogproxy.failover;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.UpstreamIdentity;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.client.ConnectionSettings;
import dev.binlogproxy.failover.FailoverReport.Outcome;
import dev.binlogproxy.failover.UndoJournal.Undo;
import dev.binlogproxy.upstream.MirrorService;
import dev.binlogproxy.upstream.UpstreamSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One failover or switchover, step by step ({@link Step}), each step that changes something journaled with its
 * inverse first ({@link UndoJournal}). Candidates are tried in the configured order: one that is unusable is
 * skipped with the reason; one that fails before the point of no return is rolled back to a replica of the proxy
 * and the next one is tried. Nothing here waits forever: every wait has a timeout.
 */
final class Promotion {
    private static final Logger log = LoggerFactory.getLogger(Promotion.class);
    /** For the kill -9 tests: {@code STEP:before} or {@code STEP:after} halts the JVM there. */
    static final String CRASH_PROPERTY = "binlogproxy.failover.crashAt";
    private static final Duration MIRROR_TIMEOUT = Duration.ofSeconds(15);
    private static final int MAX_FLUSHES = 100_000;

    private final FailoverContext ctx;
    private final CandidateCheck check;
    /** Told of each step before it runs (tracing, and the tests' fault injection); may throw to fail it. */
    private volatile java.util.function.Consumer<Step> stepListener = s -> { };

    Promotion(FailoverContext ctx) {
        this.ctx = ctx;
        this.check = new CandidateCheck(ctx.proxyPort(), ctx.settings().maxCandidateLag());
    }

    /** Thrown by a step that cannot go on; the attempt rolls back. */
    private static final class StepFailed extends Exception {
        private static final long serialVersionUID = 1L;

        StepFailed(String message) {
            super(message);
        }
    }

    void onStep(java.util.function.Consumer<Step> listener) {
        stepListener = listener;
    }

    /** Replaces a dead master: the old master is not asked for anything. */
    FailoverReport failover(boolean dryRun) {
        return run("failover", ctx.settings().candidates(), null, false, dryRun);
    }

    /**
     * Replaces a live master by {@code target}: the old master is made read-only and drained first, and may
     * rejoin as a replica of the proxy.
     */
    FailoverReport switchover(ConnectionSettings target, boolean rejoin, boolean dryRun) {
        var master = ctx.mirror().settings().connection();
        return run("switchover", List.of(target), ctx.login(master.host(), master.port()), rejoin, dryRun);
    }

    private FailoverReport run(String kind, List<ConnectionSettings> candidates, ConnectionSettings liveOld,
                               boolean rejoin, boolean dryRun) {
        FailoverReport.Builder report = new FailoverReport.Builder(kind, dryRun);
        MirrorService mirror = ctx.mirror();
        UpstreamSettings original = mirror.settings();
        BinlogArchive archive = ctx.archive();
        UpstreamIdentity archived = archive.identity().orElse(null);
        if (archived == null || archive.files().isEmpty()) {
            return report.build(Outcome.REFUSED, null, "the archive holds nothing yet: there is nothing to keep");
        }
        if (liveOld == null && !dryRun) {
            String why = ctx.probe().probe(original.connection());
            if (why == null) {
                return report.build(Outcome.REFUSED, null, "the master " + original.address()
                        + " answers: a failover never replaces a live master (use switchover)");
            }
        }
        if (dryRun) {
            return plan(report, candidates, archived, liveOld != null);
        }
        Map<String, String> env = Map.of("BINLOG_PROXY_EVENT", kind, "BINLOG_PROXY_OLD_MASTER", original.address());
        if (ctx.settings().execBefore() != null) {
            long t = System.nanoTime();
            String why = Hooks.run("execBefore", ctx.settings().execBefore(), ctx.settings().hookTimeout(), env);
            report.step(Step.FENCE.name(), System.nanoTime() - t, why == null ? "exit 0" : why);
            if (why != null) {
                return report.build(Outcome.REFUSED, null, why + ": nothing was changed");
            }
        }
        ServerAdmin oldAdmin = null;
        String lastFailure = null; // why the last candidate was not promoted
        try {
            if (liveOld != null) {
                oldAdmin = ServerAdmin.connect(ctx.group(), liveOld);
            }
            for (ConnectionSettings c : candidates) {
                // a first look, before anything is journaled: an unusable candidate is skipped with the reason
                CandidateCheck.Verdict v = verdict(c, archived, CandidateCheck.end(ctx.archive().files()));
                if (!v.usable()) {
                    report.candidate(c.address() + ": skipped: " + v.reason());
                    lastFailure = v.reason();
                    continue;
                }
                String failed = attempt(kind, c, archived, original, oldAdmin, rejoin, report);
                if (failed == null) {
                    return report.build(Outcome.COMMITTED, c.address(), null);
                }
                lastFailure = failed;
            }
            return report.build(Outcome.ROLLED_BACK, null, "no candidate could be promoted; the topology is as"
                    + " it was" + (lastFailure == null ? "" : " (last: " + lastFailure + ")"));
        } catch (IOException e) {
            return report.build(Outcome.REFUSED, null, "cannot reach the old master " + liveOld.address() + ": "
                    + e.getMessage());
        } finally {
            if (oldAdmin != null) {
                oldAdmin.close();
            }
            resumeAsBefore(original);
        }
    }

    /** After an attempt that did not commit: the mirror goes on with the master it had. */
    private void resumeAsBefore(UpstreamSettings original) {
        MirrorService m = ctx.mirror();
        if (m.state() == MirrorService.State.PAUSED) {
            if (!m.settings().equals(original)) {
                m.repoint(original);
            }
            m.resume();
        }
    }

    private FailoverReport plan(FailoverReport.Builder report, List<ConnectionSettings> candidates,
                                UpstreamIdentity archived, boolean switchover) {
        BinlogPosition end = CandidateCheck.end(ctx.archive().files());
        String chosen = null;
        for (ConnectionSettings c : candidates) {
            CandidateCheck.Verdict v = verdict(c, archived, end);
            report.candidate(c.address() + ": " + (v.usable() && chosen == null ? "would be chosen: " : v.usable()
                    ? "usable: " : "skipped: ") + v.reason());
            if (v.usable() && chosen == null) {
                chosen = c.address();
            }
        }
        for (Step s : Step.values()) {
            boolean applies = switch (s) {
                case DRAIN_OLD_MASTER, REJOIN_OLD_MASTER -> switchover;
                case FENCE -> ctx.settings().execBefore() != null;
                case ANNOUNCE -> ctx.settings().execAfter() != null;
                default -> true;
            };
            if (applies) {
                report.step(s.name(), 0, s.description());
            }
        }
        return report.build(Outcome.PLANNED, chosen, chosen == null ? "no usable candidate" : "the archive ends at "
                + end);
    }

    /** Every candidate's verdict against the archive's end now. */
    List<CandidateCheck.Verdict> verdicts() {
        UpstreamIdentity archived = ctx.archive().identity().orElse(null);
        if (archived == null || ctx.archive().files().isEmpty()) {
            return ctx.settings().candidates().stream().map(c -> CandidateCheck.Verdict.no(c,
                    "the archive holds nothing yet")).toList();
        }
        BinlogPosition end = CandidateCheck.end(ctx.archive().files());
        return ctx.settings().candidates().stream().map(c -> verdict(c, archived, end)).toList();
    }

    private CandidateCheck.Verdict verdict(ConnectionSettings c, UpstreamIdentity archived, BinlogPosition end) {
        try (ServerAdmin admin = ServerAdmin.connect(ctx.group(), c)) {
            return check.check(admin, c, archived, end);
        } catch (IOException | RuntimeException e) {
            return CandidateCheck.Verdict.no(c, "unreachable: " + e.getMessage());
        }
    }

    /** One candidate, all steps. Returns null when committed, else why it failed (rolled back). */
    private String attempt(String kind, ConnectionSettings c, UpstreamIdentity archived, UpstreamSettings original,
                           ServerAdmin oldAdmin, boolean rejoin, FailoverReport.Builder report) {
        String id = UUID.randomUUID().toString();
        UndoJournal journal = ctx.journal();
        List<Undo> undos = new ArrayList<>();
        StepRunner steps = new StepRunner(id, journal, undos, report, stepListener);
        boolean pastNoReturn = false;
        BinlogPosition cut = null;
        try {
            journal.begin(id, kind, original.address(), c.address());
            if (oldAdmin != null) {
                drainOldMaster(steps, oldAdmin);
            }
            steps.run(Step.PAUSE_MIRROR, new Undo.None("the mirror resumes when the failover ends"), () -> {
                if (ctx.mirror().state() != MirrorService.State.PAUSED) {
                    ctx.mirror().pause(MIRROR_TIMEOUT);
                }
                return "archive ends at " + CandidateCheck.end(ctx.archive().files());
            });
            BinlogPosition end = CandidateCheck.end(ctx.archive().files());
            cut = end;
            journal.cut(id, end.toString());
            try (ServerAdmin admin = ServerAdmin.connect(ctx.group(), c)) {
                // again, now that the archive's end is final
                CandidateCheck.Verdict v = check.check(admin, c, archived, end);
                if (!v.usable()) {
                    throw new StepFailed(c.address() + " " + v.reason());
                }
                report.candidate(c.address() + ": chosen: " + v.reason());
                steps.run(Step.CATCH_UP, new Undo.None("waiting changes nothing"), () -> {
                    if (!admin.awaitApplied(end.file(), end.offset(), ctx.settings().catchUpTimeout())) {
                        throw new StepFailed(c.address() + " did not apply up to " + end + " within "
                                + ctx.settings().catchUpTimeout());
                    }
                    return "applied up to " + end;
                });
                stopReplication(steps, admin, c);
                String firstFile = alignNumbering(steps, admin);
                semiSync(steps, admin, c);
                adopt(steps, admin, archived, firstFile);
                UpstreamSettings next = original.withConnection(original.connection().withAddress(c.host(),
                        c.port()));
                steps.run(Step.REPOINT, new Undo.PauseMirror(), () -> {
                    repoint(next, admin);
                    return "mirroring " + c.address() + " from " + firstFile + ":4";
                });
                pastNoReturn = true;
                String problems = finish(steps, admin, c, original.address(), id);
                if (oldAdmin != null && rejoin) {
                    rejoin(steps, oldAdmin, firstFile);
                }
                journal.commit(id, c.address(), end.toString());
                log.info("{}: {} is the new master (the archive continues in {}){}", kind, c.address(), firstFile,
                        problems == null ? "" : "; " + problems);
                return null;
            }
        } catch (Exception e) {
            String why = e instanceof StepFailed ? e.getMessage() : e.toString();
            // the mirror may have written the candidate's first file before the repoint step gave up: then the
            // candidate is the archive's master in fact, and only forward is consistent
            if (pastNoReturn || ctx.archive().newestEpochHoldsAFile()) {
                // forward only: record it as committed with the problem; a dead new master is the next failover
                log.error("{} past the point of no return: {}", kind, why, e);
                try {
                    journal.commit(id, c.address(), String.valueOf(cut));
                } catch (IOException io) {
                    log.error("cannot journal the commit: {}", io.toString());
                }
                return null;
            }
            log.warn("{} to {} failed: {}; rolling back", kind, c.address(), why);
            String rollback = rollBack(undos, original);
            try {
                journal.abort(id, why + (rollback == null ? "" : "; rollback: " + rollback));
            } catch (IOException io) {
                log.error("cannot journal the rollback: {}", io.toString());
            }
            report.candidate(c.address() + ": failed: " + why + (rollback == null ? " (rolled back)"
                    : " (rollback incomplete: " + rollback + ")"));
            return why;
        }
    }

    /** Switchover: the old master takes no more writes, and everything it committed is archived. */
    private void drainOldMaster(StepRunner steps, ServerAdmin old) throws Exception {
        boolean mysql = old.flavor() == BinlogFlavor.MYSQL;
        String before = old.variable("read_only").orElse("0");
        // MySQL's super_read_only stops admin sessions too; MariaDB has none, so an account with READ_ONLY ADMIN
        // (root) could still write: applications must not use one (the field's own advice)
        List<String> undo = mysql ? List.of("SET GLOBAL super_read_only = "
                + old.variable("super_read_only").orElse("0"), "SET GLOBAL read_only = " + before)
                : List.of("SET GLOBAL read_only = " + before);
        steps.run(Step.DRAIN_OLD_MASTER, new Undo.Sql(hostOf(old.address()), portOf(old.address()), undo), () -> {
            old.execute(mysql ? "SET GLOBAL super_read_only = ON" : "SET GLOBAL read_only = ON");
            // with read_only on, only commits already in flight can still reach the binlog; wait until the
            // archive has everything the master wrote
            long deadline = System.nanoTime() + ctx.settings().catchUpTimeout().toNanos();
            while (true) {
                var at = old.currentBinlog();
                BinlogPosition masterEnd = new BinlogPosition(at.name(), at.size());
                BinlogPosition archived = ctx.archive().resumePosition().orElse(null);
                if (archived != null && archived.compareTo(masterEnd) >= 0) {
                    return "old master read-only at " + masterEnd + ", archived";
                }
                if (System.nanoTime() > deadline) {
                    throw new StepFailed("the archive did not reach the old master's end " + masterEnd + " within "
                            + ctx.settings().catchUpTimeout() + " (at " + archived + ")");
                }
                Thread.sleep(5);
            }
        });
    }

    private void stopReplication(StepRunner steps, ServerAdmin admin, ConnectionSettings c) throws Exception {
        Map<String, String> rs = admin.replicaStatus();
        boolean gtid = admin.flavor() == BinlogFlavor.MYSQL ? "1".equals(rs.get("Auto_Position"))
                : !"No".equalsIgnoreCase(rs.getOrDefault("Using_Gtid", "No"));
        String file = rs.get("Relay_Master_Log_File");
        String pos = rs.get("Exec_Master_Log_Pos");
        // RESET SLAVE keeps host, port and credentials: the rollback needs only the coordinates (GTID replicas
        // find theirs themselves)
        Undo undo = new Undo.RestartReplica(c.host(), c.port(), file, Long.parseLong(pos), gtid);
        steps.run(Step.STOP_REPLICATION, undo, () -> {
            admin.execute("STOP SLAVE", "RESET SLAVE");
            return "stopped at " + file + ":" + pos + (gtid ? " (GTID)" : "");
        });
    }

    /**
     * FLUSH BINARY LOGS until the candidate writes a fresh file numbered above the archive's last: the archive
     * continues with that file from position 4, and replicas go on into it from the old master's last file.
     */
    private String alignNumbering(StepRunner steps, ServerAdmin admin) throws Exception {
        String archiveLast = archiveLastFile();
        String[] first = new String[1];
        steps.run(Step.ALIGN_NUMBERING, new Undo.None("a few extra, empty binlog files on the candidate are harmless"),
                () -> {
                    BinlogPosition target = BinlogPosition.startOf(archiveLast);
                    String current = admin.currentBinlog().name();
                    int flushes = 0;
                    // at least once: the file the candidate writes now holds transactions it replicated (with
                    // log_slave_updates), which the archive has already; its next file starts empty
                    while (flushes == 0 || BinlogPosition.startOf(current).compareTo(target) <= 0) {
                        if (++flushes > MAX_FLUSHES) {
                            throw new StepFailed("the candidate's binlog is still at " + current + " after "
                                    + MAX_FLUSHES + " flushes; the archive's last file is " + archiveLast);
                        }
                        admin.execute("FLUSH BINARY LOGS");
                        current = admin.currentBinlog().name();
                    }
                    first[0] = current;
                    return flushes + " flush(es): writes " + current + ", the archive's last file is " + archiveLast;
                });
        return first[0];
    }

    /** The newest file the archive holds or was told of (a ROTATE's next file counts: it may not reuse that name). */
    private String archiveLastFile() {
        String last = ctx.archive().files().get(ctx.archive().files().size() - 1).name();
        BinlogPosition resume = ctx.archive().resumePosition().orElse(null);
        if (resume != null && BinlogPosition.startOf(resume.file()).compareTo(BinlogPosition.startOf(last)) > 0) {
            return resume.file();
        }
        return last;
    }

    private void semiSync(StepRunner steps, ServerAdmin admin, ConnectionSettings c) throws Exception {
        Map<String, String> old = ctx.masterVariables().get();
        String oldEnabled = old.getOrDefault("rpl_semi_sync_master_enabled",
                old.getOrDefault("rpl_semi_sync_source_enabled", "OFF"));
        boolean had = oldEnabled.equals("1") || oldEnabled.equalsIgnoreCase("ON");
        String name = admin.variable("rpl_semi_sync_master_enabled").isPresent() ? "rpl_semi_sync_master"
                : admin.variable("rpl_semi_sync_source_enabled").isPresent() ? "rpl_semi_sync_source" : null;
        if (!had || name == null) {
            steps.note(Step.SEMI_SYNC, !had ? "the old master had semi-sync off: left as it is"
                    : "the candidate has no semi-sync plugin: it will commit asynchronously (transactions it writes"
                    + " are acknowledged by nobody)");
            return;
        }
        List<String> undo = new ArrayList<>();
        List<String> apply = new ArrayList<>();
        undo.add("SET GLOBAL " + name + "_enabled = " + admin.variable(name + "_enabled").orElseThrow());
        apply.add("SET GLOBAL " + name + "_enabled = ON");
        for (String v : List.of("wait_point", "timeout")) {
            String theirs = old.get(name + "_" + v);
            if (theirs == null) {
                theirs = old.get("rpl_semi_sync_master_" + v);
            }
            String mine = admin.variable(name + "_" + v).orElse(null);
            if (theirs != null && mine != null) {
                undo.add("SET GLOBAL " + name + "_" + v + " = " + literal(mine));
                apply.add("SET GLOBAL " + name + "_" + v + " = " + literal(theirs));
            }
        }
        steps.run(Step.SEMI_SYNC, new Undo.Sql(c.host(), c.port(), undo), () -> {
            admin.execute(apply.toArray(String[]::new));
            return String.join("; ", apply);
        });
    }

    private static String literal(String value) {
        return value.matches("-?\\d+") ? value : "'" + value.replace("'", "''") + "'";
    }

    private void adopt(StepRunner steps, ServerAdmin admin, UpstreamIdentity archived, String firstFile)
            throws Exception {
        long serverId = Long.parseLong(admin.variable("server_id").orElseThrow());
        UpstreamIdentity next = admin.flavor() == BinlogFlavor.MYSQL
                ? UpstreamIdentity.mysql(UUID.fromString(admin.variable("server_uuid").orElseThrow()), serverId,
                archived.basename())
                : UpstreamIdentity.mariadb(serverId, archived.basename());
        int epoch = ctx.archive().epochs().size() + 1;
        steps.run(Step.ADOPT, new Undo.AbandonEpoch(epoch), () -> {
            ctx.archive().adopt(next, firstFile);
            return "epoch " + epoch + ": " + next + " from " + firstFile;
        });
    }

    /** The mirror follows the candidate; done once it streams (and, with semi-sync, the candidate counts it). */
    private void repoint(UpstreamSettings next, ServerAdmin admin) throws Exception {
        MirrorService m = ctx.mirror();
        m.repoint(next);
        m.resume();
        long deadline = System.nanoTime() + MIRROR_TIMEOUT.toNanos();
        while (m.state() != MirrorService.State.STREAMING) {
            if (m.state() == MirrorService.State.FAILED) {
                throw new StepFailed("the mirror refused the candidate: " + m.failure().orElse("?"));
            }
            if (m.state() == MirrorService.State.RECONNECTING) {
                throw new StepFailed("the mirror could not stream from the candidate: " + m.status());
            }
            if (System.nanoTime() > deadline) {
                throw new StepFailed("the mirror did not stream from the candidate within " + MIRROR_TIMEOUT + ": "
                        + m.status());
            }
            Thread.sleep(2);
        }
        boolean semiSync = admin.flag("rpl_semi_sync_master_enabled") || admin.flag("rpl_semi_sync_source_enabled");
        if (semiSync) {
            // the first write must already be acknowledged by the proxy: wait until the candidate counts it
            while (status(admin, "Rpl_semi_sync_master_clients", "Rpl_semi_sync_source_clients") < 1) {
                if (System.nanoTime() > deadline) {
                    throw new StepFailed("the candidate does not count the proxy as a semi-sync replica");
                }
                Thread.sleep(2);
            }
        }
    }

    private static long status(ServerAdmin admin, String... names) throws IOException {
        for (String n : names) {
            var rs = admin.query("SHOW GLOBAL STATUS LIKE '" + n + "'");
            if (!rs.rows().isEmpty()) {
                return Long.parseLong(rs.rows().get(0).get(1));
            }
        }
        return 0;
    }

    /** Past the point of no return: writable, forget the old replication, announce. Returns problems, or null. */
    private String finish(StepRunner steps, ServerAdmin admin, ConnectionSettings c, String oldMaster, String id)
            throws Exception {
        List<String> problems = new ArrayList<>();
        steps.run(Step.WRITABLE, new Undo.None("past the point of no return"), () -> {
            if (admin.flavor() == BinlogFlavor.MYSQL) {
                admin.execute("SET GLOBAL super_read_only = OFF", "SET GLOBAL read_only = OFF");
            } else {
                admin.execute("SET GLOBAL read_only = OFF");
            }
            return "read_only OFF";
        });
        steps.run(Step.FORGET_REPLICATION, new Undo.None("past the point of no return"), () -> {
            admin.execute("RESET SLAVE ALL");
            return "RESET SLAVE ALL";
        });
        if (ctx.settings().execAfter() != null) {
            steps.run(Step.ANNOUNCE, new Undo.None("past the point of no return"), () -> {
                String why = Hooks.run("execAfter", ctx.settings().execAfter(), ctx.settings().hookTimeout(),
                        Map.of("BINLOG_PROXY_EVENT", "failover", "BINLOG_PROXY_OLD_MASTER", oldMaster,
                                "BINLOG_PROXY_NEW_MASTER", c.address()));
                if (why != null) {
                    problems.add(why);
                }
                return why == null ? "exit 0" : why;
            });
        }
        return problems.isEmpty() ? null : String.join("; ", problems);
    }

    /** Switchover: the old master replicates from the proxy at the new master's first file. */
    private void rejoin(StepRunner steps, ServerAdmin old, String firstFile) throws Exception {
        ConnectionSettings repl = ctx.settings().replication();
        if (repl == null) {
            steps.note(Step.REJOIN_OLD_MASTER, "failover.replication is not set: the old master stays read-only,"
                    + " outside the topology");
            return;
        }
        steps.run(Step.REJOIN_OLD_MASTER, new Undo.None("past the point of no return"), () -> {
            // a replica is no semi-sync master: its replicated commits would wait out the timeout for an ack
            // that nobody sends (log_slave_updates writes them to its binlog)
            for (String v : List.of("rpl_semi_sync_master_enabled", "rpl_semi_sync_source_enabled")) {
                if (old.variable(v).isPresent()) {
                    old.execute("SET GLOBAL " + v + " = OFF");
                }
            }
            old.execute("STOP SLAVE", "CHANGE MASTER TO MASTER_HOST = '" + ctx.proxyHost() + "', MASTER_PORT = "
                    + ctx.proxyPort() + ", MASTER_USER = '" + repl.user().replace("'", "''")
                    + "', MASTER_PASSWORD = '" + repl.password().reveal().replace("'", "''")
                    + "', MASTER_LOG_FILE = '" + firstFile + "', MASTER_LOG_POS = 4", "START SLAVE");
            return "replicates from the proxy at " + firstFile + ":4";
        });
    }

    /**
     * Undoes, newest first, what the attempt did. Each inverse is attempted even when an earlier one failed;
     * returns what could not be undone, or null.
     */
    private String rollBack(List<Undo> undos, UpstreamSettings original) {
        List<String> failed = new ArrayList<>();
        for (int i = undos.size() - 1; i >= 0; i--) {
            String why = ctx.undo(undos.get(i), original);
            if (why != null) {
                failed.add(why);
            }
        }
        return failed.isEmpty() ? null : String.join("; ", failed);
    }

    private static String hostOf(String address) {
        return address.substring(0, address.lastIndexOf(':'));
    }

    private static int portOf(String address) {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    /** What a step does; returns a note for the report. */
    @FunctionalInterface
    interface Action {
        String run() throws Exception;
    }

    /** Journals, runs and times the steps of one attempt; keeps their inverses for an in-process rollback. */
    private static final class StepRunner {
        private final String id;
        private final UndoJournal journal;
        private final List<Undo> undos;
        private final FailoverReport.Builder report;
        private final java.util.function.Consumer<Step> listener;

        StepRunner(String id, UndoJournal journal, List<Undo> undos, FailoverReport.Builder report,
                   java.util.function.Consumer<Step> listener) {
            this.listener = listener;
            this.id = id;
            this.journal = journal;
            this.undos = undos;
            this.report = report;
        }

        void run(Step step, Undo undo, Action action) throws Exception {
            long t = System.nanoTime();
            journal.willDo(id, step, undo);
            undos.add(undo);
            crashPoint(step, "before");
            String note;
            try {
                listener.accept(step);
                note = action.run();
            } catch (Exception e) {
                report.step(step.name(), System.nanoTime() - t, "FAILED: " + (e instanceof StepFailed
                        ? e.getMessage() : e.toString()));
                throw e;
            }
            journal.done(id, step);
            crashPoint(step, "after");
            report.step(step.name(), System.nanoTime() - t, note);
        }

        void note(Step step, String note) {
            report.step(step.name(), 0, note);
        }

        private static void crashPoint(Step step, String when) {
            String at = System.getProperty(CRASH_PROPERTY);
            if (at != null && at.equals(step.name() + ":" + when)) {
                log.error("{} set: halting at {} {}", CRASH_PROPERTY, when, step);
                Runtime.getRuntime().halt(137);
            }
        }
    }
}
