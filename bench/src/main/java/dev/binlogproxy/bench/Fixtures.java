package dev.binlogproxy.bench;

import dev.binlogproxy.testkit.fixtures.GoldenFixtures;

import dev.binlogproxy.binlog.file.BinlogFileDamagedException;
import dev.binlogproxy.binlog.file.BinlogFileReader;
import dev.binlogproxy.binlog.file.FileEvent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The golden binlog fixtures of binlog-store for benchmarks: located by the test kit's {@link GoldenFixtures}
 * ({@code -Dbinlogproxy.fixtures=<dir>}, or found above the working directory), read and validated here.
 */
final class Fixtures {
    private Fixtures() {
    }

    /** A binlog file of a scenario, e.g. {@code file("mysql-8.0.15-gtid-crc32", "mysql-bin.000001")}. */
    static Path file(String scenario, String name) {
        return GoldenFixtures.file(scenario, name);
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
