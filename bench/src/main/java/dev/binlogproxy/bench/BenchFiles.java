package dev.binlogproxy.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The two file chores of the main-class benchmarks: removing their scratch directories, writing a summary. */
final class BenchFiles {
    private BenchFiles() {
    }

    static void delete(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Writes {@code text} to {@code -Dbench.summary} if given, else to {@code defaultPath}. */
    static void writeSummary(String defaultPath, String text) throws IOException {
        Path summary = Path.of(System.getProperty("bench.summary", defaultPath));
        Files.createDirectories(summary.toAbsolutePath().getParent());
        Files.writeString(summary, text);
    }
}
