package dev.binlogproxy.bench.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a process's memory and CPU time from /proc. */
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

    /** User + system CPU seconds the process has used (/proc/PID/stat, 100 ticks a second), or -1 if gone. */
    static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            // after the command: state is field 3, utime 14, stime 15
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static long threads(long pid) {
        return statusKb(pid, "Threads");
    }
}
