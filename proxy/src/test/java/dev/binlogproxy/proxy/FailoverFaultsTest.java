package dev.binlogproxy.proxy;

import dev.binlogproxy.failover.FailoverMode;
import dev.binlogproxy.failover.FailoverReport;
import dev.binlogproxy.failover.Step;
import dev.binlogproxy.testkit.AckedWriter;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.testkit.Flavor;
import dev.binlogproxy.upstream.MirrorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failover with a fault at a step, against real MariaDB servers: every step refused in turn (the server's refusal
 * injected at the step), a fencing hook that fails, a candidate whose account lacks RELOAD (its RESET SLAVE is
 * refused), a stale candidate, a candidate killed in the middle of its promotion. Each either rolls back to the
 * topology it found (the candidate a replica of the proxy again, at its coordinates, read-only, semi-sync master
 * as it was; the archive without a new epoch; the mirror back on the old master) and tries the next candidate, or
 * refuses with nothing changed; after all of them a failover still succeeds and loses no acknowledged commit.
 * And a master that only stalls is never replaced.
 */
class FailoverFaultsTest {
    @TempDir
    Path dir;

    @Test
    void aFaultAtEachStepRollsBackToTheTopologyItFound() throws Exception {
        try (FailoverHarness h = FailoverHarness.start(Flavor.MARIADB, dir, 1, FailoverMode.MANUAL,
                Duration.ofSeconds(1), null)) {
            DbServer candidate = h.candidates.get(0);
            AckedWriter writer = load(h, 300);
            h.master.kill9();
            writer.stop();
            var original = h.proxy.mirror().settings();
            for (Step fault : List.of(Step.CATCH_UP, Step.STOP_REPLICATION, Step.ALIGN_NUMBERING, Step.SEMI_SYNC,
                    Step.ADOPT, Step.REPOINT)) {
                // a refusal the way a server words one (the listener runs when the step begins)
                h.proxy.failover().onStep(step -> {
                    if (step == fault) {
                        throw new IllegalStateException("injected: the server refused " + step);
                    }
                });
                FailoverReport r = h.proxy.failover().failover(false);
                assertEquals(FailoverReport.Outcome.ROLLED_BACK, r.outcome(), fault + ": " + r.describe());
                assertTrue(r.steps().stream().anyMatch(l -> l.step().equals(fault.name())
                        && l.note().startsWith("FAILED: ")), r.describe());
                assertTrue(r.candidates().stream().anyMatch(c -> c.endsWith("(rolled back)")), r.describe());
                assertEquals(1, h.proxy.archive().epochs().size(), fault + ": the epoch stayed");
                assertStillAReplicaOfTheProxy(h, candidate);
                assertEquals("1", candidate.queryValue("SELECT @@GLOBAL.read_only"), fault.name());
                assertEquals("0", candidate.queryValue("SELECT @@GLOBAL.rpl_semi_sync_master_enabled"),
                        fault.name());
                assertEquals(original, h.proxy.mirror().settings(), fault + ": the mirror was not pointed back");
                assertTrue(h.proxy.mirror().state() != MirrorService.State.PAUSED, fault + ": the mirror stayed paused");
            }
            h.proxy.failover().onStep(step -> { });
            FailoverReport r = h.proxy.failover().failover(false);
            assertEquals(FailoverReport.Outcome.COMMITTED, r.outcome(), r.describe());
            for (DbServer s : List.of(candidate, h.byPosition, h.byGtid)) {
                if (s != candidate) {
                    s.waitForReplicaCaughtUp(candidate, Duration.ofSeconds(60));
                }
                FailoverHarness.assertHasEveryAcked(writer, s);
            }
        }
    }

    @Test
    void aFailingFencingHookAbortsWithNothingChanged() throws Exception {
        try (FailoverHarness h = FailoverHarness.start(Flavor.MARIADB, dir, 1, FailoverMode.MANUAL,
                Duration.ofSeconds(1), "echo fencing failed; exit 3")) {
            DbServer candidate = h.candidates.get(0);
            load(h, 200);
            h.master.kill9();
            FailoverReport r = h.proxy.failover().failover(false);
            assertEquals(FailoverReport.Outcome.REFUSED, r.outcome(), r.describe());
            assertTrue(r.detail().contains("execBefore exited with 3"), r.describe());
            assertEquals(1, h.proxy.archive().epochs().size());
            assertStillAReplicaOfTheProxy(h, candidate);
            assertEquals("1", candidate.queryValue("SELECT @@GLOBAL.read_only"));
        }
    }

    @Test
    void aCandidateMissingAPrivilegeIsRolledBackAndTheNextPromoted() throws Exception {
        try (FailoverHarness h = FailoverHarness.start(Flavor.MARIADB, dir, 2, FailoverMode.MANUAL,
                Duration.ofSeconds(1), null, Set.of(0))) {
            DbServer first = h.candidates.get(0);
            DbServer second = h.candidates.get(1);
            AckedWriter writer = load(h, 300);
            h.master.kill9();
            writer.stop();
            FailoverReport r = h.proxy.failover().failover(false);
            assertEquals(FailoverReport.Outcome.COMMITTED, r.outcome(), r.describe());
            assertEquals("127.0.0.1:" + second.port(), r.newMaster(), r.describe());
            assertTrue(r.candidates().stream().anyMatch(c -> c.startsWith("127.0.0.1:" + first.port()
                    + ": failed:") && c.contains("RELOAD") && c.endsWith("(rolled back)")), r.describe());
            // the first candidate is a replica of the proxy again: it follows the new master through it
            assertStillAReplicaOfTheProxy(h, first);
            assertEquals("1", first.queryValue("SELECT @@GLOBAL.read_only"));
            assertEquals(2, h.proxy.archive().epochs().size());
            second.execute("INSERT INTO " + AckedWriter.TABLE + " (id) VALUES (999999999)");
            for (DbServer s : List.of(first, h.byPosition, h.byGtid)) {
                s.waitForReplicaCaughtUp(second, Duration.ofSeconds(60));
                FailoverHarness.assertHasEveryAcked(writer, s);
                assertTrue(AckedWriter.idsOn(s).contains(999999999L), s + " lacks the new master's write");
            }
        }
    }

    @Test
    void aStaleCandidateIsSkippedWithTheReason() throws Exception {
        try (FailoverHarness h = FailoverHarness.start(Flavor.MARIADB, dir, 2, FailoverMode.MANUAL,
                Duration.ofSeconds(1), null)) {
            DbServer stale = h.candidates.get(0);
            DbServer good = h.candidates.get(1);
            stale.execute("STOP SLAVE IO_THREAD");
            AckedWriter writer = load(h, 200);
            h.master.kill9();
            writer.stop();
            FailoverReport dry = h.proxy.failover().failover(true);
            assertEquals(FailoverReport.Outcome.PLANNED, dry.outcome(), dry.describe());
            assertEquals("127.0.0.1:" + good.port(), dry.newMaster(), dry.describe());
            assertEquals(1, h.proxy.archive().epochs().size(), "a dry run changed the archive");
            FailoverReport r = h.proxy.failover().failover(false);
            assertEquals(FailoverReport.Outcome.COMMITTED, r.outcome(), r.describe());
            assertEquals("127.0.0.1:" + good.port(), r.newMaster());
            assertTrue(r.candidates().stream().anyMatch(c -> c.contains(stale.port() + ": skipped: stale:")
                    && c.contains("replication is not running")), r.describe());
            FailoverHarness.assertHasEveryAcked(writer, good);
        }
    }

    @Test
    void aCandidateKilledAfterTheAdoptIsRolledBackAndTheNextPromoted() throws Exception {
        try (FailoverHarness h = FailoverHarness.start(Flavor.MARIADB, dir, 2, FailoverMode.MANUAL,
                Duration.ofSeconds(1), null)) {
            DbServer doomed = h.candidates.get(0);
            DbServer next = h.candidates.get(1);
            AckedWriter writer = load(h, 300);
            h.master.kill9();
            writer.stop();
            h.proxy.failover().onStep(step -> {
                if (step == Step.REPOINT && doomed.isRunning()) {
                    doomed.kill9();
                }
            });
            FailoverReport r = h.proxy.failover().failover(false);
            assertEquals(FailoverReport.Outcome.COMMITTED, r.outcome(), r.describe());
            assertEquals("127.0.0.1:" + next.port(), r.newMaster(), r.describe());
            assertTrue(r.candidates().stream().anyMatch(c -> c.startsWith("127.0.0.1:" + doomed.port()
                    + ": failed:")), r.describe());
            // the dead candidate's epoch was abandoned before the next one was adopted
            assertEquals(2, h.proxy.archive().epochs().size(), h.proxy.archive().epochs().toString());
            assertEquals(String.valueOf(next.serverId()), String.valueOf(h.proxy.archive().epochs().get(1).master()
                    .serverId()));
            for (DbServer s : List.of(next, h.byPosition, h.byGtid)) {
                if (s != next) {
                    s.waitForReplicaCaughtUp(next, Duration.ofSeconds(60));
                }
                FailoverHarness.assertHasEveryAcked(writer, s);
            }
        }
    }

    @Test
    void aStalledMasterShorterThanTheDetectTimeoutIsNotReplaced() throws Exception {
        try (FailoverHarness h = FailoverHarness.start(Flavor.MARIADB, dir, 1, FailoverMode.AUTO,
                Duration.ofSeconds(3), null)) {
            AckedWriter writer = load(h, 200);
            ProcessBuilder stop = new ProcessBuilder("kill", "-STOP", Long.toString(h.master.pid()));
            assertEquals(0, stop.start().waitFor());
            Thread.sleep(1500);
            assertEquals(0, new ProcessBuilder("kill", "-CONT", Long.toString(h.master.pid())).start().waitFor());
            writer.awaitMore(200);
            writer.stop();
            Thread.sleep(3000); // longer than the detect timeout: a failover decided during the stall would show
            assertNull(h.proxy.failover().status().last(), "a stalled master was replaced");
            assertEquals(1, h.proxy.archive().epochs().size());
            assertEquals(MirrorService.State.STREAMING, h.proxy.mirror().state());
            assertStillAReplicaOfTheProxy(h, h.candidates.get(0));
        }
    }

    /** Starts the acked writer on the master and waits for {@code n} acknowledged commits. */
    private static AckedWriter load(FailoverHarness h, int n) throws Exception {
        AckedWriter writer = AckedWriter.start(h.master, 0);
        writer.awaitMore(n);
        return writer;
    }

    private static void assertStillAReplicaOfTheProxy(FailoverHarness h, DbServer s) throws InterruptedException {
        Map<String, String> st = Map.of();
        for (int i = 0; i < 100; i++) {
            st = s.replicaStatus();
            if ("Yes".equals(st.get("Slave_IO_Running")) && "Yes".equals(st.get("Slave_SQL_Running"))) {
                break;
            }
            Thread.sleep(50);
        }
        assertEquals(String.valueOf(h.proxyPort()), st.get("Master_Port"), st.toString());
        assertEquals("Yes", st.get("Slave_IO_Running"), st.toString());
        assertEquals("Yes", st.get("Slave_SQL_Running"), st.toString());
    }
}
