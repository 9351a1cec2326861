package dev.binlogproxy.bench;

import dev.binlogproxy.binlog.file.BinlogFileDamagedException;
import dev.binlogproxy.binlog.file.BinlogFileReader;
import dev.binlogproxy.binlog.file.FileEvent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the golden binlog fixtures of binlog-store (binlog-store/src/test/resources/fixtures, see its README.md)
 * from a benchmark JVM. Bench cannot depend on binlog-store's test classes or test resources, so the files are
 * read from the source tree: from {@code -Dbench.fixtures=<dir>} if given, otherwise by walking up from the
 * working directory (the repository root or bench/, which is where run-jmh.sh and an IDE start the JVM).
 */
final class Fixtures {
    static final String PROPERTY = "bench.fixtures";
    private static final String IN_REPOSITORY = "binlog-store/src/test/resources/fixtures";

    private Fixtures() {
    }

    static Path root() {
        String configured = System.getProperty(PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Path dir = Path.of(configured).toAbsolutePath();
            if (!Files.isRegularFile(dir.resolve("README.md"))) {
                throw new IllegalStateException("-D" + PROPERTY + "=" + configured + " is not the fixtures directory"
                        + " (expected: " + IN_REPOSITORY + ", holding README.md)");
            }
            return dir;
        }
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(IN_REPOSITORY);
            if (Files.isRegularFile(candidate.resolve("README.md"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("no " + IN_REPOSITORY + " above " + start + "; run from the repository or"
                + " pass -D" + PROPERTY + "=<path to the fixtures directory>");
    }

    /** A binlog file of a scenario, e.g. {@code file("mysql-8.0.15-gtid-crc32", "mysql-bin.000001")}. */
    static Path file(String scenario, String name) {
        Path file = root().resolve(scenario).resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("fixture " + file + " does not exist (scenario: " + scenario + ")");
        }
        return file;
    }

    /**
     * Every event of a fixture file, in order, as read (and validated) by BinlogFileReader. A damaged fixture
     * fails here rather than producing a benchmark over half a file.
     */
    static List<FileEvent> events(Path file) {
        List<FileEvent> out = new ArrayList<>();
        try (BinlogFileReader reader = BinlogFileReader.open(file)) {
            for (FileEvent e = reader.next(); e != null; e = reader.next()) {
                out.add(e);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (BinlogFileDamagedException e) {
            throw new IllegalStateException("fixture is damaged: " + e.getMessage(), e);
        }
        return out;
    }
}
