package dev.binlogproxy.bench;

import dev.binlogproxy.binlog.file.BinlogFileSummary;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * Validating a whole binlog file (what startup recovery and an archive check do for every file):
 * {@link BinlogFileSummary#scan} of a ~64 MiB file built from a fixture's real transactions.
 *
 * <p>{@link #rawFileChannelRead} is the anchor: the same file read with a FileChannel into a 1 MiB heap buffer,
 * the I/O BinlogFileReader itself does, and nothing else. The file is read once at setup, so both run from the
 * page cache: the ratio compares scan speed with memory-speed reads, not with a disk. The {@code bytes} counter
 * gives bytes/s (BenchMain prints MB/s), {@code events} gives events/s.
 *
 * <p>{@code -Dbench.scanFileMiB=N} changes the file size (default 64).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class FileScanBenchmark {
    private static final int READ_BUFFER = 1 << 20;

    @Param({"mysql-8.0.15-gtid-crc32", "mariadb-10.11-crc32"})
    public String scenario;

    /** SMALL: only small events; WITH_LARGE: adds the fixture's 70 KB row event to each cycle. */
    @Param({"SMALL", "WITH_LARGE"})
    public String mix;

    private Path dir;
    private Path file;
    private long fileSize;
    private long events;

    @Setup(Level.Trial)
    public void build() throws IOException {
        long target = Long.getLong("bench.scanFileMiB", 64) << 20;
        dir = Files.createTempDirectory("binlog-scan-bench");
        file = dir.resolve("mysql-bin.000001");
        events = SyntheticBinlogFile.fromFixture(scenario, SyntheticBinlogFile.Mix.valueOf(mix)).writeTo(file, target);
        fileSize = Files.size(file);
        // A scan that stopped early at damage would look fast; make sure the whole file is valid first.
        BinlogFileSummary s = BinlogFileSummary.scan(file);
        if (!s.isValid() || s.validEnd() != fileSize || s.events() != events || s.endsInTransaction()) {
            throw new IllegalStateException("synthetic file is not a clean binlog: " + s.damage().orElse(null)
                    + ", valid to " + s.validEnd() + " of " + fileSize + ", " + s.events() + " of " + events
                    + " events");
        }
    }

    @TearDown(Level.Trial)
    public void delete() throws IOException {
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
    }

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class ReadCounters {
        public long bytes;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
        }
    }

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class ScanCounters {
        public long bytes;
        public long events;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
            events = 0;
        }
    }

    @Benchmark
    public long rawFileChannelRead(ReadCounters counters) throws IOException {
        long total = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(READ_BUFFER);
            int n;
            while ((n = ch.read(buf)) >= 0) {
                total += n;
                buf.clear();
            }
        }
        if (total != fileSize) {
            throw new IllegalStateException("read " + total + " of " + fileSize + " bytes");
        }
        counters.bytes += total;
        return total;
    }

    @Benchmark
    public BinlogFileSummary summaryScan(ScanCounters counters) throws IOException {
        BinlogFileSummary s = BinlogFileSummary.scan(file);
        if (s.validEnd() != fileSize) {
            throw new IllegalStateException("scan stopped at " + s.validEnd() + " of " + fileSize + ": "
                    + s.damage().orElse(null));
        }
        counters.bytes += fileSize;
        counters.events += s.events();
        return s;
    }
}
