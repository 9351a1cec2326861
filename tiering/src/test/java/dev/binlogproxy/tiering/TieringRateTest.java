package dev.binlogproxy.tiering;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * How fast one file goes to the store and comes back, against s3proxy on loopback (a filesystem blob store on the
 * same disk): the upload's three steps (hash, PUT with Content-MD5, HEAD) and a fetch with its SHA-256 check.
 * A measurement, not a check (tag soak: run with -DexcludedGroups= -Dtest=TieringRateTest); docs/results.md keeps
 * the numbers. The store's own speed dominates in production.
 */
@Tag("soak")
class TieringRateTest {
    @TempDir
    Path tmp;

    @Test
    void uploadAndFetchRate() throws Exception {
        long size = Long.getLong("tiering.rate.mb", 256) << 20;
        Path file = tmp.resolve("mysql-bin.000001");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            byte[] chunk = new byte[1 << 20];
            Random r = new Random(1);
            for (long n = 0; n < size; n += chunk.length) {
                r.nextBytes(chunk);
                ch.write(ByteBuffer.wrap(chunk));
            }
        }
        try (S3Server s3 = S3Server.start(tmp.resolve("s3")); Bucket bucket = new Bucket(s3.settings("rate/"))) {
            for (int round = 0; round < 3; round++) {
                long t0 = System.nanoTime();
                Hashes h = Hashes.of(file);
                long t1 = System.nanoTime();
                bucket.put("rate/" + round, file, h);
                long t2 = System.nanoTime();
                Bucket.Head head = bucket.head("rate/" + round).orElseThrow();
                long t3 = System.nanoTime();
                assertEquals(size, head.size());
                Bucket.Downloaded d = bucket.get("rate/" + round, tmp.resolve("back"));
                long t4 = System.nanoTime();
                assertEquals(h.sha256(), d.sha256());
                double mb = size / 1048576.0;
                System.out.printf("round %d, %.0f MB: hash %.0f MB/s, PUT %.0f MB/s, HEAD %.1f ms, upload total %.0f"
                                + " MB/s; GET + sha256 + fsync %.0f MB/s%n", round, mb, mb / sec(t0, t1),
                        mb / sec(t1, t2), (t3 - t2) / 1e6, mb / sec(t0, t3), mb / sec(t3, t4));
            }
        }
    }

    private static double sec(long from, long to) {
        return (to - from) / 1e9;
    }
}
