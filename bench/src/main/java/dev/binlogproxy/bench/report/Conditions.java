package dev.binlogproxy.bench.report;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The machine the run had: cores, memory, load; what the reader needs to weigh the numbers. */
final class Conditions {
    private Conditions() {
    }

    static String describe() {
        String load = "?";
        try {
            load = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (Exception ignored) {
            // not Linux: leave it unknown
        }
        return String.format(Locale.ROOT, "%d cores, %d GiB, JDK %s, load average %s at the end",
                Runtime.getRuntime().availableProcessors(), memoryGiB(), System.getProperty("java.version"), load);
    }

    private static long memoryGiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Math.round(Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0 / 1024.0);
                }
            }
        } catch (Exception ignored) {
            // not Linux
        }
        return Runtime.getRuntime().maxMemory() >> 30;
    }
}
