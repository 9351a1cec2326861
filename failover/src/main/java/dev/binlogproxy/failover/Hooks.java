package dev.binlogproxy.failover;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the operator's hooks (execBefore, execAfter) through {@code /bin/sh -c}, with what the failover is about in
 * the environment: {@code BINLOG_PROXY_EVENT} (failover or switchover), {@code BINLOG_PROXY_OLD_MASTER} and
 * {@code BINLOG_PROXY_NEW_MASTER} (host:port). Its output goes to the log; a hook that runs past the timeout is
 * killed and counts as failed.
 */
final class Hooks {
    private static final Logger log = LoggerFactory.getLogger(Hooks.class);

    private Hooks() {
    }

    /** Runs {@code command}; returns null on exit 0, else why it failed. */
    static String run(String name, String command, Duration timeout, Map<String, String> env) {
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return name + " could not start: " + e.getMessage();
        }
        StringBuilder out = new StringBuilder();
        Thread reader = new Thread(() -> {
            try {
                out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the process was killed: what it printed so far is in out
            }
        }, "hook-output");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return name + " did not finish within " + timeout + " and was killed";
            }
            reader.join(1000);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return name + " interrupted";
        }
        String text = out.toString().strip();
        if (!text.isEmpty()) {
            log.info("{} ({}): {}", name, command, text);
        }
        return p.exitValue() == 0 ? null : name + " exited with " + p.exitValue()
                + (text.isEmpty() ? "" : ": " + text.lines().reduce((a, b) -> b).orElse(""));
    }
}
