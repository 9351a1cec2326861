package dev.binlogproxy.bench;

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
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The choice behind BinlogSender.REGION_THRESHOLD: sending archived events of one size to a replica over loopback
 * TCP (about 1 MiB per operation), either copied the way the sender and a Netty channel do it (the anchor) or as a
 * file region per event. A region saves the copies through the heap (pread into the window, the copy out, the
 * socket write's copy) but costs two system calls per event, where copied small events share one pread and one
 * writev among many, so it pays only above some size. A drain thread reads and drops everything on the far end.
 * The file (68 MiB of events of the given size) is in the page cache.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ZeroCopyDumpBenchmark {
    private static final long FILE_BYTES = 68L << 20;

    @Param({"4096", "16384", "65536", "262144", "1048576"})
    public int size;

    private Path file;
    private FileChannel channel;
    private ServerSocketChannel server;
    private SocketChannel client;
    private Thread drain;
    private volatile boolean running;
    private long offset;
    private long limit;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        file = Files.createTempFile("zero-copy-bench", ".bin");
        byte[] chunk = new byte[1 << 20];
        new Random(42).nextBytes(chunk);
        try (FileChannel w = FileChannel.open(file, StandardOpenOption.WRITE)) {
            for (long n = 0; n < FILE_BYTES; n += chunk.length) {
                w.write(ByteBuffer.wrap(chunk));
            }
        }
        channel = FileChannel.open(file, StandardOpenOption.READ);
        limit = FILE_BYTES - FILE_BYTES % size;
        server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        client = SocketChannel.open(server.getLocalAddress());
        client.setOption(StandardSocketOptions.TCP_NODELAY, true);
        SocketChannel far = server.accept();
        running = true;
        drain = new Thread(() -> {
            ByteBuffer sink = ByteBuffer.allocateDirect(1 << 20);
            try (far) {
                while (running) {
                    sink.clear();
                    if (far.read(sink) < 0) {
                        return;
                    }
                }
            } catch (IOException e) {
                // the benchmark closed the connection
            }
        }, "zero-copy-drain");
        drain.setDaemon(true);
        drain.start();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        running = false;
        client.close();
        drain.join(5000);
        server.close();
        channel.close();
        Files.deleteIfExists(file);
    }

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long bytes;
    }

    private long nextOffset() {
        long at = offset;
        offset += size;
        if (offset >= limit) {
            offset = 0;
        }
        return at;
    }

    /** Events per operation: about 1 MiB, at least one. */
    private int batch() {
        return Math.max(1, (1 << 20) / size);
    }

    private static ByteBuffer packetHeader(int size) {
        // 3-byte length, sequence id, then the OK byte every event packet starts with
        int len = size + 1;
        return ByteBuffer.allocate(5).put((byte) len).put((byte) (len >> 8)).put((byte) (len >> 16)).put((byte) 1)
                .put((byte) 0).flip();
    }

    /**
     * Interleaved rounds, for a loaded machine where JMH's one-method-after-the-other runs drift apart: per size,
     * {@code rounds} times a quarter second of each method in turn, and the median of the per-round ratios.
     * {@code java -cp ... dev.binlogproxy.bench.ZeroCopyDumpBenchmark [rounds]}
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        System.out.printf("%-9s %14s %14s %12s %22s%n", "size", "copy MB/s", "region MB/s", "region/copy",
                "ratio p25..p75");
        for (int size : new int[] {4096, 16384, 32768, 65536, 131072, 262144, 1048576, 17 << 20}) {
            ZeroCopyDumpBenchmark b = new ZeroCopyDumpBenchmark();
            b.size = size;
            b.setUp();
            try {
                double[] ratios = new double[rounds];
                double copyTotal = 0;
                double regionTotal = 0;
                for (int r = -2; r < rounds; r++) { // two warm-up rounds
                    double copy = b.rate(false);
                    double region = b.rate(true);
                    if (r >= 0) {
                        ratios[r] = region / copy;
                        copyTotal += copy;
                        regionTotal += region;
                    }
                }
                java.util.Arrays.sort(ratios);
                System.out.printf("%-9d %14.0f %14.0f %12.2f %11.2f..%.2f%n", size, copyTotal / rounds / 1e6,
                        regionTotal / rounds / 1e6, ratios[rounds / 2], ratios[rounds / 4], ratios[rounds * 3 / 4]);
            } finally {
                b.tearDown();
            }
        }
    }

    /** Bytes per second of one method over a quarter second. */
    private double rate(boolean region) throws IOException {
        Counters c = new Counters();
        long start = System.nanoTime();
        long end = start + 250_000_000L;
        long now;
        do {
            if (region) {
                fileRegion(c);
            } else {
                copyThenWrite(c);
            }
            now = System.nanoTime();
        } while (now < end);
        return c.bytes * 1e9 / (now - start);
    }

    /**
     * What the sender does with a copied event, and what Netty does with the packets: the reader fills a 64 KiB
     * window with one pread (more for a larger event) and copies each event out into its own array; the channel
     * gathers the queued packets (header, event, header, event, ...) into writev calls of up to 1024 buffers.
     */
    @Benchmark
    public long copyThenWrite(Counters c) throws IOException {
        int n = batch();
        ByteBuffer[] packets = new ByteBuffer[2 * n];
        ByteBuffer window = ByteBuffer.allocate(Math.max(64 * 1024, size));
        long windowStart = -1;
        long first = offset;
        for (int i = 0; i < n; i++) {
            long at = nextOffset();
            if (windowStart < 0 || at < windowStart || at + size > windowStart + window.limit()) {
                window.clear();
                windowStart = at;
                while (window.hasRemaining() && channel.read(window, windowStart + window.position()) > 0) {
                    // fill the window (short near the end of the file)
                }
                window.flip();
            }
            byte[] event = new byte[size];
            window.get((int) (at - windowStart), event);
            packets[2 * i] = packetHeader(size);
            packets[2 * i + 1] = ByteBuffer.wrap(event);
        }
        for (int from = 0; from < packets.length; ) {
            int len = Math.min(1024, packets.length - from);
            client.write(packets, from, len);
            while (from < packets.length && !packets[from].hasRemaining()) {
                from++;
            }
        }
        c.bytes += (long) n * size;
        return first;
    }

    /**
     * A file region per event: Netty's NIO transport writes the queued header with writev and then the region with
     * FileChannel.transferTo (sendfile), so every event costs two system calls however small.
     */
    @Benchmark
    public long fileRegion(Counters c) throws IOException {
        int n = batch();
        long first = offset;
        for (int i = 0; i < n; i++) {
            long at = nextOffset();
            ByteBuffer h = packetHeader(size);
            while (h.hasRemaining()) {
                client.write(h);
            }
            long sent = 0;
            while (sent < size) {
                sent += channel.transferTo(at + sent, size - sent, client);
            }
        }
        c.bytes += (long) n * size;
        return first;
    }
}
