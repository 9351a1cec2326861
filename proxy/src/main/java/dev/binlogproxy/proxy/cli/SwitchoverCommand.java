package dev.binlogproxy.proxy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code binlog-proxy switchover --to HOST:PORT}: a planned change of master on a running proxy. The old master goes
 * read-only, its in-flight commits are archived, the candidate catches up and is promoted; replicas keep their
 * coordinates. {@code --rejoin}: the old master then replicates from the proxy.
 */
@Command(name = "switchover", description = "Replace a live master by one of the proxy's failover candidates.")
final class SwitchoverCommand implements Callable<Integer> {
    @Option(names = "--to", required = true, paramLabel = "HOST:PORT", description = "The candidate to promote.")
    String to;

    @Option(names = "--rejoin", description = "The old master replicates from the proxy afterwards"
            + " (needs failover.replication).")
    boolean rejoin;

    @Mixin
    AdminOption admin;

    @Option(names = "--dry-run", description = "Print the plan; change nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
        return AdminClient.call(admin.url, "POST", "/switchover", Map.of("to", to, "rejoin", Boolean.toString(rejoin),
                "dryRun", Boolean.toString(dryRun)));
    }
}
