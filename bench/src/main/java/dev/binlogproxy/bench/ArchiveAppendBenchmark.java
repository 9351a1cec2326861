package dev.binlogproxy.bench;

import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.archive.ArchiveWriter;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.archive.UpstreamIdentity;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.file.BinlogFileReader;
import dev.binlogproxy.binlog.file.FileEvent;
import dev.binlogproxy.binlog.position.BinlogPosition;

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
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The archive's append path, what the mirror does for every event of a backlog: {@link ArchiveWriter#append} of
 * every event of a ~32 MiB binlog file built from a fixture's real transactions (log_pos chain, CRC, GTID and
 * transaction checks, the 256 KiB write buffer, an index entry per event, one group commit per transaction), from
 * a fresh archive to the file's closing ROTATE, which waits for the last commit.
 *
 * <p>{@link #archiveAppendHeld} does the same as the upstream session does it, holding commits across each 64 KiB
 * (one write and one commit round per "read" instead of per transaction).
 *
 * <p>{@link #rawFileChannelWrite} is the anchor: the same event bytes copied into a 256 KiB direct buffer and
 * written with a FileChannel when it fills, and nothing else; with {@code durability=FSYNC} it ends with one
 * fdatasync (the archive's group commit syncs once per round instead). Both write fresh files into a temporary
 * directory on the same disk. {@code bytes} gives MB/s, {@code events} events/s.
 *
 * <p>{@code -Dbench.appendFileMiB=N} changes the file size (default 32).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ArchiveAppendBenchmark {
    private static final int WRITE_BUFFER = 256 * 1024;
    private static final int READ_BYTES = 64 * 1024;

    @Param({"mariadb-10.11-crc32"})
    public String scenario;

    @Param({"SMALL", "WITH_LARGE"})
    public String mix;

    @Param({"WRITE", "FSYNC"})
    public String durability;

    private Path dir;
    private List<BinlogEvent> events;
    private long fileBytes;
    private UpstreamIdentity identity;

    /** Per invocation: a fresh archive (or file), removed afterwards. */
    private Path target;
    private BinlogArchive archive;

    @Setup(Level.Trial)
    public void build() throws IOException {
        long size = Long.getLong("bench.appendFileMiB", 32) << 20;
        dir = Files.createTempDirectory("binlog-append-bench");
        Path file = dir.resolve("source-mysql-bin.000001");
        SyntheticBinlogFile.fromFixture(scenario, SyntheticBinlogFile.Mix.valueOf(mix)).writeTo(file, size);
        events = new ArrayList<>();
        for (FileEvent e : Fixtures.events(file)) {
            events.add(e.event());
        }
        fileBytes = Files.size(file) - BinlogFileReader.MAGIC.length;
        Files.delete(file);
        BinlogFlavor flavor = FormatDescription.decode(events.get(0)).flavor();
        identity = flavor == BinlogFlavor.MARIADB ? UpstreamIdentity.mariadb(1, "mysql-bin")
                : UpstreamIdentity.mysql(UUID.nameUUIDFromBytes(scenario.getBytes()), 1, "mysql-bin");
    }

    @TearDown(Level.Trial)
    public void deleteDir() throws IOException {
        BenchFiles.delete(dir);
    }

    @Setup(Level.Invocation)
    public void fresh() throws IOException, ArchiveException {
        target = Files.createTempDirectory(dir, "run");
        archive = BinlogArchive.open(target.resolve("archive"), Durability.valueOf(durability));
        archive.checkIdentity(identity);
    }

    @TearDown(Level.Invocation)
    public void cleanUp() throws IOException {
        archive.close();
        BenchFiles.delete(target);
    }

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long bytes;
        public long events;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
            events = 0;
        }
    }

    @Benchmark
    public long archiveAppend(Counters counters) throws IOException, ArchiveException {
        ArchiveWriter w = archive.writer();
        w.startFile("mysql-bin.000001", BinlogPosition.FIRST_EVENT_OFFSET);
        w.appendFormatDescription(events.get(0));
        for (int i = 1; i < events.size(); i++) {
            w.append(events.get(i));
        }
        return rotatedAndCounted(counters);
    }

    /**
     * As the upstream session appends: commits held ({@link ArchiveWriter#holdCommits}) across each 64 KiB of
     * events, about one socket read, then released.
     */
    @Benchmark
    public long archiveAppendHeld(Counters counters) throws IOException, ArchiveException {
        ArchiveWriter w = archive.writer();
        w.startFile("mysql-bin.000001", BinlogPosition.FIRST_EVENT_OFFSET);
        w.appendFormatDescription(events.get(0));
        long read = 0;
        w.holdCommits();
        for (int i = 1; i < events.size(); i++) {
            BinlogEvent e = events.get(i);
            w.append(e);
            read += e.eventSize();
            if (read >= READ_BYTES) {
                w.releaseCommits();
                read = 0;
                w.holdCommits();
            }
        }
        w.releaseCommits();
        return rotatedAndCounted(counters);
    }

    /** The last event is the file's ROTATE, which closes it after its last group commit: check it did, count. */
    private long rotatedAndCounted(Counters counters) {
        if (archive.resumePosition().orElseThrow().offset() != BinlogPosition.FIRST_EVENT_OFFSET) {
            throw new IllegalStateException("the archive did not rotate: " + archive.resumePosition());
        }
        counters.bytes += fileBytes;
        counters.events += events.size();
        return fileBytes;
    }

    @Benchmark
    public long rawFileChannelWrite(Counters counters) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(WRITE_BUFFER);
        long at = 0;
        try (FileChannel ch = FileChannel.open(target.resolve("raw-mysql-bin.000001"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            for (BinlogEvent e : events) {
                ByteBuffer src = e.bytes();
                if (src.remaining() > buffer.remaining()) {
                    at += drain(ch, buffer, at);
                }
                if (src.remaining() > buffer.capacity()) {
                    while (src.hasRemaining()) {
                        at += ch.write(src, at);
                    }
                } else {
                    buffer.put(src);
                }
            }
            at += drain(ch, buffer, at);
            if (Durability.valueOf(durability) == Durability.FSYNC) {
                ch.force(false);
            }
        }
        if (at != fileBytes) {
            throw new IllegalStateException("wrote " + at + " of " + fileBytes + " bytes");
        }
        counters.bytes += at;
        counters.events += events.size();
        return at;
    }

    private static long drain(FileChannel ch, ByteBuffer buffer, long at) throws IOException {
        buffer.flip();
        long n = 0;
        while (buffer.hasRemaining()) {
            n += ch.write(buffer, at + n);
        }
        buffer.clear();
        return n;
    }
}
