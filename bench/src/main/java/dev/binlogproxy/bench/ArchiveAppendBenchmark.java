package dev.binlogproxy.bench;

import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.archive.ArchiveWriter;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.archive.UpstreamIdentity;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.EventChecksum;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.file.BinlogFileReader;
import dev.binlogproxy.binlog.file.FileEvent;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.txn.TransactionTracker;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The archive's append path, what the mirror does for every event of a backlog: {@link ArchiveWriter#append} of
 * every event of a ~32 MiB binlog file built from a fixture's real transactions (log_pos chain, CRC, GTID and
 * transaction checks, the 256 KiB write buffer, an index entry per event, one group commit per transaction), from
 * a fresh archive to the file's closing ROTATE, which waits for the last commit.
 *
 * <p>{@link #archiveAppendHeld} does the same as the upstream session does it, holding commits across each 64 KiB
 * (one write and one commit round per "read" instead of per transaction; {@code -Dbench.readKiB=N} changes the
 * read: a launched catch-up holds across up to 16 socket reads, and its writes average ~254 KB).
 *
 * <p>{@link #checkedWrite} is the floor under it: only the checks every event needs (log_pos chain, CRC,
 * transaction tracker) and the same writes per read, no index, commit rounds or durability.
 *
 * <p>{@link #rawFileChannelWrite} is the anchor: the same event bytes copied into a 256 KiB direct buffer and
 * written with a FileChannel when it fills, and nothing else; with {@code durability=FSYNC} it ends with one
 * fdatasync (the archive's group commit syncs once per round instead). Both write fresh files into a temporary
 * directory on the same disk. {@code bytes} gives MB/s, {@code events} events/s.
 *
 * <p>{@code -Dbench.appendFileMiB=N} changes the file size (default 32).
 *
 * <p>The forks run the collector {@code bin/binlog-proxy} runs (serial). Under JMH's default (G1 on this machine) the
 * raw anchor ran at about half the speed it has under the serial collector, with G1's concurrent marking busy
 * through the run, so the ratio looked better than what the launched proxy gets (docs/results.md, issue 12,
 * session 16).
 *
 * <p>Its {@link #main} runs {@link #archiveAppendHeld}, {@link #checkedWrite} and {@link #rawFileChannelWrite} in
 * alternating rounds in one JVM and prints the medians of the per-round ratios: on a machine whose speed drifts by a
 * fifth between JMH invocations (this one), a ratio of neighbouring rounds is steadier than a ratio of two
 * invocations' averages.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@Fork(jvmArgsAppend = "-XX:+UseSerialGC")
@OutputTimeUnit(TimeUnit.SECONDS)
public class ArchiveAppendBenchmark {
    private static final int WRITE_BUFFER = 256 * 1024;
    private static final int READ_BYTES = Integer.getInteger("bench.readKiB", 64) * 1024;
    /** How many methods {@link #main} alternates: {@link #archiveAppendHeld}, {@link #checkedWrite}, the raw write. */
    private static final int METHODS = 3;
    private static final int HELD = 0;
    private static final int CHECKED = 1;
    private static final int RAW = 2;
    /** {@link #main}'s per-round ratios, by index. */
    private static final int HELD_RAW = 0;
    private static final int CHECKED_RAW = 1;
    private static final int HELD_CHECKED = 2;

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

    /**
     * {@code [rounds [warm-up rounds]]} (default 20 and 10) of about half a second of each of
     * {@link #archiveAppendHeld}, {@link #checkedWrite} and {@link #rawFileChannelWrite}, each method taking each
     * place in the order in turn; {@code -Dbench.mix} and {@code -Dbench.durability} as the JMH parameters (default
     * SMALL, WRITE). A round's rate counts only the time inside the method, as JMH's does (a fresh archive per call
     * is set up and removed outside it).
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int warmUp = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        if (rounds < 1 || warmUp < 0) {
            throw new IllegalArgumentException("rounds must be at least 1 and warm-up rounds at least 0, got "
                    + rounds + " and " + warmUp);
        }
        ArchiveAppendBenchmark b = new ArchiveAppendBenchmark();
        b.scenario = "mariadb-10.11-crc32";
        b.mix = System.getProperty("bench.mix", "SMALL");
        b.durability = System.getProperty("bench.durability", "WRITE");
        b.build();
        try {
            double[][] rate = new double[METHODS][rounds];
            double[][] ratio = new double[3][rounds]; // HELD_RAW, CHECKED_RAW, HELD_CHECKED
            StringBuilder out = new StringBuilder(); // every round's numbers, for the summary file too
            print(out, "mix %s, durability %s, %d MiB file, reads of %d KiB, %d warm-up rounds%n", b.mix,
                    b.durability, (b.fileBytes + BinlogFileReader.MAGIC.length) >> 20, READ_BYTES >> 10, warmUp);
            print(out, "%-6s %12s %12s %12s %8s %8s%n", "round", "held MB/s", "checked MB/s", "raw MB/s",
                    "held/raw", "chk/raw");
            for (int r = -warmUp; r < rounds; r++) {
                double[] mbs = new double[METHODS];
                for (int k = 0; k < METHODS; k++) {
                    // each method in each place of the order in turn: a round's drift falls on all of them
                    int m = Math.floorMod(k + r, METHODS);
                    mbs[m] = b.rate(m);
                }
                if (r >= 0) {
                    for (int m = 0; m < METHODS; m++) {
                        rate[m][r] = mbs[m];
                    }
                    ratio[HELD_RAW][r] = mbs[HELD] / mbs[RAW];
                    ratio[CHECKED_RAW][r] = mbs[CHECKED] / mbs[RAW];
                    ratio[HELD_CHECKED][r] = mbs[HELD] / mbs[CHECKED];
                    print(out, "%-6d %12.0f %12.0f %12.0f %8.3f %8.3f%n", r + 1, mbs[HELD] / 1e6,
                            mbs[CHECKED] / 1e6, mbs[RAW] / 1e6, ratio[HELD_RAW][r], ratio[CHECKED_RAW][r]);
                }
            }
            for (double[] a : rate) {
                Arrays.sort(a);
            }
            for (double[] a : ratio) {
                Arrays.sort(a);
            }
            int q1 = rounds / 4;
            int mid = rounds / 2;
            int q3 = rounds * 3 / 4;
            print(out, "median: held %.0f MB/s, checked %.0f MB/s, raw %.0f MB/s (%d rounds)%n",
                    rate[HELD][mid] / 1e6, rate[CHECKED][mid] / 1e6, rate[RAW][mid] / 1e6, rounds);
            print(out, "median: checked/raw %.3f (quartiles %.3f..%.3f)%n", ratio[CHECKED_RAW][mid],
                    ratio[CHECKED_RAW][q1], ratio[CHECKED_RAW][q3]);
            print(out, "median: held/checked %.3f (quartiles %.3f..%.3f; 1 = the archive adds nothing)%n",
                    ratio[HELD_CHECKED][mid], ratio[HELD_CHECKED][q1], ratio[HELD_CHECKED][q3]);
            print(out, "median: held/raw %.3f (quartiles %.3f..%.3f)%n", ratio[HELD_RAW][mid], ratio[HELD_RAW][q1],
                    ratio[HELD_RAW][q3]);
            BenchFiles.writeSummary("bench/target/append-summary.txt", out.toString());
            String[] names = {"held", "checked", "raw"};
            for (int m = 0; m < METHODS; m++) {
                BenchResults.put("append", names[m] + "_mb_s", rate[m][mid] / 1e6);
            }
            BenchResults.put("append", "held_raw", ratio[HELD_RAW][mid]);
            BenchResults.put("append", "checked_raw", ratio[CHECKED_RAW][mid]);
            BenchResults.put("append", "held_checked", ratio[HELD_CHECKED][mid]);
        } finally {
            b.deleteDir();
        }
    }

    private static void print(StringBuilder out, String format, Object... args) {
        String line = String.format(Locale.ROOT, format, args);
        System.out.print(line);
        out.append(line);
    }

    /** Bytes per second inside one method, over calls for about half a second (each on a fresh archive). */
    private double rate(int method) throws IOException, ArchiveException {
        Counters c = new Counters();
        long inside = 0;
        long end = System.nanoTime() + 500_000_000L;
        do {
            fresh();
            try {
                long t0 = System.nanoTime();
                switch (method) {
                    case HELD -> archiveAppendHeld(c);
                    case CHECKED -> checkedWrite(c);
                    default -> rawFileChannelWrite(c);
                }
                inside += System.nanoTime() - t0;
            } finally {
                cleanUp();
            }
        } while (System.nanoTime() < end);
        return c.bytes * 1e9 / inside;
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

    /**
     * The floor under {@link #archiveAppendHeld}: what every event needs whatever the archive's design, and nothing
     * else. Its log_pos must chain, its CRC must match and the transaction tracker must place it (the checks that keep
     * a corrupt or misplaced event out of the file); then it is copied into a 256 KiB direct buffer, which is written
     * when it fills and at the end of every "read" (64 KiB unless {@code -Dbench.readKiB}), where the held appends
     * write at their release. No index, no commit round, no durability, no lock, no disk guard, no per-event result.
     * The archive's own cost is the gap between this and the held appends; the gap between this and the raw write is
     * what the checks and the per-read writes cost (docs/results.md, issue 12, session 17).
     */
    @Benchmark
    public long checkedWrite(Counters counters) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(WRITE_BUFFER);
        TransactionTracker tracker = new TransactionTracker();
        long at = 0;
        long end = BinlogFileReader.MAGIC.length;
        long read = 0;
        try (FileChannel ch = FileChannel.open(target.resolve("checked-mysql-bin.000001"),
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (BinlogEvent e : events) {
                EventType type = e.type();
                tracker.accept(e, type); // an FDE sets the checksum algorithm checked below
                int size = e.eventSize();
                end += size;
                if (e.logPos() != end || !EventChecksum.matches(e, tracker.checksum())) {
                    throw new IllegalStateException(type + " ending at " + end + " does not chain or its CRC differs");
                }
                if (size > buffer.remaining()) {
                    at += drain(ch, buffer, at);
                }
                if (size > buffer.capacity()) {
                    ByteBuffer src = e.bytes();
                    while (src.hasRemaining()) {
                        at += ch.write(src, at);
                    }
                } else {
                    e.copyTo(buffer);
                }
                read += size;
                if (read >= READ_BYTES) {
                    at += drain(ch, buffer, at);
                    read = 0;
                }
            }
            at = finishWrite(ch, buffer, at);
        }
        return counted(at, counters);
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
            at = finishWrite(ch, buffer, at);
        }
        return counted(at, counters);
    }

    /** The end of both plain writers: what is left in the buffer written and, in FSYNC mode, one fdatasync. */
    private long finishWrite(FileChannel ch, ByteBuffer buffer, long at) throws IOException {
        long written = at + drain(ch, buffer, at);
        if (Durability.valueOf(durability) == Durability.FSYNC) {
            ch.force(false);
        }
        return written;
    }

    /** Checks that a plain writer wrote the whole file, and counts it. */
    private long counted(long at, Counters counters) {
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
