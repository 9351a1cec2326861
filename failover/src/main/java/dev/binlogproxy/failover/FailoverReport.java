package dev.binlogproxy.failover;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What a failover or switchover did (or, for a dry run, would do): the candidates and why each was taken or
 * skipped, every step with its duration, and how it ended. Printed by the CLI, kept for status.
 */
public record FailoverReport(String kind, boolean dryRun, Instant started, Duration took, Outcome outcome,
                             String newMaster, List<String> candidates, List<StepLine> steps, String detail) {

    public enum Outcome { COMMITTED, ROLLED_BACK, REFUSED, PLANNED }

    /** One step: what it was, how long it took, and what it said. */
    public record StepLine(String step, Duration took, String note) {
    }

    public FailoverReport {
        candidates = List.copyOf(candidates);
        steps = List.copyOf(steps);
    }

    /** A multi-line text for a terminal. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(kind).append(dryRun ? " (dry run)" : "").append(": ").append(outcome);
        if (newMaster != null) {
            sb.append(", new master ").append(newMaster);
        }
        sb.append(" in ").append(took.toMillis()).append(" ms");
        if (detail != null && !detail.isEmpty()) {
            sb.append("\n  ").append(detail);
        }
        sb.append("\ncandidates:");
        candidates.forEach(c -> sb.append("\n  ").append(c));
        sb.append("\nsteps:");
        for (StepLine s : steps) {
            sb.append(String.format(java.util.Locale.ROOT, "%n  %-22s %7d ms  %s", s.step(), s.took().toMillis(),
                    s.note()));
        }
        return sb.toString();
    }

    /** Collects a report while the failover runs. */
    static final class Builder {
        final String kind;
        final boolean dryRun;
        final Instant started = Instant.now();
        final long startNanos = System.nanoTime();
        final List<String> candidates = new ArrayList<>();
        final List<StepLine> steps = new ArrayList<>();

        Builder(String kind, boolean dryRun) {
            this.kind = kind;
            this.dryRun = dryRun;
        }

        void candidate(String line) {
            candidates.add(line);
        }

        void step(String step, long nanos, String note) {
            steps.add(new StepLine(step, Duration.ofNanos(nanos), note));
        }

        FailoverReport build(Outcome outcome, String newMaster, String detail) {
            return new FailoverReport(kind, dryRun, started, Duration.ofNanos(System.nanoTime() - startNanos),
                    outcome, newMaster, candidates, steps, detail);
        }
    }
}
