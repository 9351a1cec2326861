package dev.binlogproxy.bench.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a process's memory from /proc. */
final class Procs {
    private Procs() {
    }

    /** A field of /proc/PID/status in kB (VmRSS, VmHWM), or -1 when the process is gone. */
    static long statusKb(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
                }
            }
            return -1;
        } catch (IOException e) {
            return -1;
        }
    }

    static long threads(long pid) {
        return statusKb(pid, "Threads");
    }
}
