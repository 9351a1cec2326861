package dev.binlogproxy.bench;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventChecksum;
import dev.binlogproxy.binlog.EventEncoder;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

/**
 * Checking one event's CRC32 trailer. {@link #plainCrc32} is the anchor: java.util.zip.CRC32 over the same bytes
 * and a compare with the stored trailer, which is the least any implementation has to do. The ratio of
 * {@link #eventChecksumMatches} to it is the cost of our wrapper.
 *
 * <p>{@code size} is the whole event (header, body, trailer): 64 B is a GTID/XID-sized event, 1 KiB a typical row
 * event, 64 KiB a large row image.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ChecksumBenchmark {
    @Param({"64", "1024", "65536"})
    public int size;

    private byte[] bytes;
    private BinlogEvent event;

    @Setup(Level.Trial)
    public void build() {
        bytes = rowsEvent(size);
        event = BinlogEvent.wrap(bytes);
        if (!EventChecksum.matches(event, ChecksumAlgorithm.CRC32) || !plainCrc32()) {
            throw new IllegalStateException("the " + size + "-byte event's checksum does not verify");
        }
    }

    /** A WRITE_ROWS event of exactly {@code size} bytes with a random body and a correct trailer. */
    static byte[] rowsEvent(int size) {
        int bodyLength = size - BinlogEvent.HEADER_LENGTH - 4;
        if (bodyLength < 0) {
            throw new IllegalArgumentException("event size: " + size + " (expected: >= "
                    + (BinlogEvent.HEADER_LENGTH + 4) + ")");
        }
        byte[] body = new byte[bodyLength];
        new SplittableRandom(size).nextBytes(body);
        EventHeader header = new EventHeader(1_700_000_000L, EventType.WRITE_ROWS.code(), 11, 4 + size, 0);
        return EventEncoder.encode(header, body, ChecksumAlgorithm.CRC32);
    }

    @Benchmark
    public boolean plainCrc32() {
        int n = bytes.length - 4;
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, n);
        int stored = (bytes[n] & 0xFF) | (bytes[n + 1] & 0xFF) << 8 | (bytes[n + 2] & 0xFF) << 16
                | (bytes[n + 3] & 0xFF) << 24;
        return (int) crc.getValue() == stored;
    }

    /** The check on a view that already exists (a reader that wrapped the event for other reasons). */
    @Benchmark
    public boolean eventChecksumMatches() {
        return EventChecksum.matches(event, ChecksumAlgorithm.CRC32);
    }

    /** What BinlogFileReader and a network reader do per event: wrap the fresh bytes, then check them. */
    @Benchmark
    public boolean wrapThenMatches() {
        return EventChecksum.matches(BinlogEvent.wrap(bytes), ChecksumAlgorithm.CRC32);
    }
}
