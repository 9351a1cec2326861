package dev.binlogproxy.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts a server under a small /bin/sh parent that ties the server's life to this JVM's.
 *
 * <p>The JVM keeps the write end of the watchdog's stdin pipe and never writes to it. The kernel closes that end
 * however the JVM ends, kill -9 included, and a reader then sees end-of-file: the watchdog's guard takes that as
 * the signal to SIGKILL the server. The watchdog itself waits for the server and exits with it, taking the guard
 * along, so a server stopped by the kit leaves no shell behind.
 */
final class Watchdog {

    /**
     * $1 is the file for the server's stdout and stderr, the rest is the server command. The script prints the
     * server's pid as its only output line.
     */
    private static final String SCRIPT = """
            out=$1
            shift
            # A non-interactive shell starts background jobs with stdin from /dev/null, so the JVM's pipe is kept on
            # fd 3 for the guard, and the server gets /dev/null.
            exec 3<&0 </dev/null
            "$@" >>"$out" 2>&1 3<&- &
            server=$!
            echo "$server"
            (
              # Returns only at end-of-file: the JVM closed the pipe or died.
              while read -r line <&3; do :; done
              kill -9 "$server" 2>/dev/null
            ) &
            guard=$!
            exec 3<&-
            wait "$server"
            status=$?
            kill "$guard" 2>/dev/null
            exit "$status"
            """;

    private Watchdog() {
    }

    /** A started watchdog and the pid of the server it runs. */
    record Launched(Process watchdog, long serverPid) {
    }

    static Launched launch(List<String> serverCommand, Map<String, String> environment, Path consoleLog)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", SCRIPT, "binlog-proxy-watchdog",
                consoleLog.toString()));
        cmd.addAll(serverCommand);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .redirectOutput(ProcessBuilder.Redirect.PIPE)
                .redirectError(ProcessBuilder.Redirect.appendTo(consoleLog.toFile()));
        pb.environment().putAll(environment);
        Process watchdog = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(watchdog.getInputStream(),
                StandardCharsets.US_ASCII));
        String line = out.readLine();
        if (line == null || !line.trim().matches("[0-9]+")) {
            watchdog.destroyForcibly();
            throw new IOException("watchdog did not report a server pid (got " + line + "); see " + consoleLog);
        }
        return new Launched(watchdog, Long.parseLong(line.trim()));
    }
}
