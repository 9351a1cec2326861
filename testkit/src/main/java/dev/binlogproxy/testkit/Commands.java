package dev.binlogproxy.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs short helper programs (tar, mysqld --initialize, mariadb-install-db) to completion. */
final class Commands {

    private Commands() {
    }

    /** Exit code and everything the program wrote to stdout and stderr. */
    record Result(int exitCode, String output) {
    }

    /**
     * Runs {@code command} with stdout and stderr sent to {@code log}, stdin from /dev/null. A program that outlives
     * {@code timeout} is killed and reported as a failure.
     */
    static Result run(List<String> command, Map<String, String> environment, Path log, Duration timeout)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(environment);
        long offset = FileTrees.sizeOrZero(log);
        Process process = pb.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
            throw new TestkitException(String.join(" ", command) + " did not finish within " + timeout
                    + "; output:\n" + FileTrees.readFrom(log, offset));
        }
        return new Result(process.exitValue(), FileTrees.readFrom(log, offset));
    }

    /** Finds an executable by name on PATH and then in {@code extraDirs}, or returns null. */
    static Path findExecutable(String name, List<String> extraDirs) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : (path + ":" + String.join(":", extraDirs)).split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Paths.get(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * True when this process runs as uid 0. mysqld and mariadbd refuse to run as root unless given --user=root, and
     * as anybody else --user only earns a warning, so the kit passes it only when needed.
     */
    static boolean runningAsRoot() {
        try {
            // /proc/self belongs to this process's effective uid; no native code or user database needed.
            Object uid = Files.getAttribute(Paths.get("/proc/self"), "unix:uid");
            return Integer.valueOf(0).equals(uid);
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /** Turns the dynamic loader's complaint into advice, or returns null when the output holds none. */
    static String missingLibraryAdvice(String output) {
        int at = output.indexOf("error while loading shared libraries:");
        if (at < 0) {
            return null;
        }
        String line = output.substring(at).lines().findFirst().orElse("");
        String advice = line.contains("libaio")
                ? "install Debian's libaio1 package (where only libaio1t64 exists, link libaio.so.1 to its libaio.so.1t64)"
                : line.contains("libnuma")
                ? "install Debian's libnuma1 package"
                : "install the library the loader names";
        return line.trim() + ": " + advice;
    }
}
