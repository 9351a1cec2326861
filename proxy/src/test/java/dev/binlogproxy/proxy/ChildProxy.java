package dev.binlogproxy.proxy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** {@code binlog-proxy run} in a child JVM, as the kill -9 tests need it: its output appended to a log file. */
final class ChildProxy {
    private ChildProxy() {
    }

    /**
     * @param properties extra {@code -D} settings ({@code name=value}) for the child
     */
    static Process start(Path config, Path log, String... properties) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(Arrays.asList(System.getProperty("chronicle.jvm.flags", "").trim().split("\\s+")));
        for (String p : properties) {
            cmd.add("-D" + p);
        }
        cmd.add("-cp");
        // under Surefire java.class.path is only its manifest-only booter jar; this is the real test classpath
        cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        cmd.add("dev.binlogproxy.proxy.cli.BinlogProxyCli");
        cmd.add("run");
        cmd.add("--config");
        cmd.add(config.toString());
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** The last {@code n} lines of the child's log, for a failure message. */
    static String logTail(Path log, int n) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
