package dev.binlogproxy.proxy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code binlog-proxy failover}: a running proxy promotes a candidate now, as its automatic failover would (it
 * refuses while the master answers). {@code --dry-run} prints each step, the candidate it would choose and why.
 */
@Command(name = "failover", description = "Promote a failover candidate of a running proxy (the master is dead).")
final class FailoverCommand implements Callable<Integer> {
    @Mixin
    AdminOption admin;

    @Option(names = "--dry-run", description = "Print the plan; change nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
        return AdminClient.call(admin.url, "POST", "/failover", Map.of("dryRun", Boolean.toString(dryRun)));
    }
}
