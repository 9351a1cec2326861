package dev.binlogproxy.proxy.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code binlog-proxy} command. Exit codes: 0 ok, 1 damage found / failure, 2 usage error. */
@Command(name = "binlog-proxy", mixinStandardHelpOptions = true, version = "binlog-proxy 0.1.0-SNAPSHOT",
        description = "MySQL 8 / MariaDB binlog server.",
        subcommands = {RunCommand.class, VerifyCommand.class, ExportCommand.class, FindCommand.class, DemoCommand.class,
                HashPasswordCommand.class, StatusCommand.class, FailoverCommand.class,
                SwitchoverCommand.class})
public final class BinlogProxyCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Before any Chronicle class loads: no usage analytics, no banner.
        System.setProperty("chronicle.analytics.disable", "true");
        System.setProperty("chronicle.announcer.disable", "true");
        System.exit(run(args));
    }

    public static int run(String... args) {
        return new CommandLine(new BinlogProxyCli()).execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }
}
