package dev.binlogproxy.proxy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.Map;
import java.util.concurrent.Callable;

/** {@code binlog-proxy status}: the health table of a running proxy (master, candidates, replicas, failover). */
@Command(name = "status", description = "Show a running proxy's master, failover candidates and replicas.")
final class StatusCommand implements Callable<Integer> {
    @Mixin
    AdminOption admin;

    @Override
    public Integer call() {
        return AdminClient.call(admin.url, "GET", "/status", Map.of());
    }
}
