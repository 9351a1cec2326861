package dev.binlogproxy.bench.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a process's memory and CPU time from /proc. */
public final class Procs {
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
    public static double cpuSeconds(long pid) {
        double[] split = cpuSplit(pid);
        return split[0] < 0 ? -1 : split[0] + split[1];
    }

    /** User and system CPU seconds the process has used, apart ({user, system}), or {-1, -1} if gone. */
    public static double[] cpuSplit(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            // after the command: state is field 3, utime 14, stime 15
            return new double[] {Long.parseLong(f[11]) / 100.0, Long.parseLong(f[12]) / 100.0};
        } catch (IOException | RuntimeException e) {
            return new double[] {-1, -1};
        }
    }

    /**
     * CPU seconds of this process's reaped children (cutime + cstime of /proc/self/stat): a client process's time
     * lands here once {@link Process#waitFor()} has reaped it.
     */
    static double reapedChildrenCpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            return (Long.parseLong(f[13]) + Long.parseLong(f[14])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Busy and total jiffies of the whole machine (/proc/stat first line): busy is all but idle and iowait. */
    static long[] machineJiffies() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    /**
     * CPU ticks (1/100 s, user + system) of each of a process's threads, by thread kind: the name in
     * /proc/PID/task/TID/comm with each number not after a letter as #, so the threads of one pool add up
     * ({@code binlog-io-1-2} is {@code binlog-io-#-#}) while HotSpot's two compilers stay apart ({@code C1
     * CompilerThre}, {@code C2 CompilerThre}, the kernel's 15 characters). Empty if the process is gone.
     */
    public static java.util.Map<String, Long> threadTicks(long pid) {
        java.util.Map<String, Long> m = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
                            .replaceAll("(?<![A-Za-z])[0-9]+", "#");
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
                    m.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
                } catch (IOException | RuntimeException e) {
                    // the thread ended between the listing and the read
                }
            }
        } catch (IOException e) {
            return m;
        }
        return m;
    }

    /** {@link #threadTicks} now, less {@code before} (an earlier reading of the same process), by thread kind. */
    public static java.util.Map<String, Long> threadTicksSince(long pid, java.util.Map<String, Long> before) {
        java.util.Map<String, Long> m = threadTicks(pid);
        m.replaceAll((t, ticks) -> ticks - before.getOrDefault(t, 0L));
        return m;
    }

    static long threads(long pid) {
        return statusKb(pid, "Threads");
    }
}
