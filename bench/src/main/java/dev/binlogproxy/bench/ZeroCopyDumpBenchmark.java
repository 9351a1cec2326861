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
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The choice behind BinlogSender.REGION_THRESHOLD: sending one archived event to a replica over loopback TCP,
 * either copied (read from the file into a fresh heap array, as ArchiveReader returns events, then one gathering
 * write of packet header and event: the anchor) or as a file region (the packet header written, then
 * FileChannel.transferTo, which is what Netty's DefaultFileRegion does on the NIO transport: sendfile(2)).
 * A region costs a second system call per event and saves a copy of the event through the heap, so it pays only
 * above some size. A drain thread reads and drops everything on the far end. The file (64 MiB of events of the
 * given size) is in the page cache.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ZeroCopyDumpBenchmark {
    private static final long FILE_BYTES = 64L << 20;

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
    private final ByteBuffer header = ByteBuffer.allocateDirect(5).order(ByteOrder.LITTLE_ENDIAN);

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

    private ByteBuffer packetHeader() {
        // 3-byte length, sequence id, then the OK byte every event packet starts with
        header.clear();
        int len = size + 1;
        header.put((byte) len).put((byte) (len >> 8)).put((byte) (len >> 16)).put((byte) 1).put((byte) 0).flip();
        return header;
    }

    @Benchmark
    public long copyThenWrite(Counters c) throws IOException {
        long at = nextOffset();
        ByteBuffer event = ByteBuffer.wrap(new byte[size]);
        while (event.hasRemaining()) {
            channel.read(event, at + event.position());
        }
        event.flip();
        ByteBuffer[] both = {packetHeader(), event};
        while (event.hasRemaining()) {
            client.write(both);
        }
        c.bytes += size;
        return at;
    }

    @Benchmark
    public long fileRegion(Counters c) throws IOException {
        long at = nextOffset();
        ByteBuffer h = packetHeader();
        while (h.hasRemaining()) {
            client.write(h);
        }
        long sent = 0;
        while (sent < size) {
            sent += channel.transferTo(at + sent, size - sent, client);
        }
        c.bytes += size;
        return at;
    }
}
