package dev.binlogproxy.proxy.cli;

import picocli.CommandLine.Option;

/** {@code --admin URL}: where a running proxy's admin routes are (its metrics port). A picocli mixin. */
final class AdminOption {
    @Option(names = "--admin", defaultValue = AdminClient.DEFAULT_URL, paramLabel = "URL",
            description = "The proxy's admin endpoint (its metrics port). Default: ${DEFAULT-VALUE}.")
    String url;
}
