package dev.binlogproxy.tiering;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.RetentionPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.binlogproxy.tiering.TieringTestSupport.await;
import static dev.binlogproxy.tiering.TieringTestSupport.meter;
import static dev.binlogproxy.tiering.TieringTestSupport.names;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The store goes away while files wait to be uploaded: the uploader retries with backoff and counts the failures,
 * the backlog shows in its meters, retention deletes nothing unverified, the archive keeps taking transactions at
 * its usual speed, and once the store is back everything is uploaded, nothing lost.
 */
class FailingStoreTest {
    @TempDir
    Path tmp;

    @Test
    void aStoreThatIsDownLosesNothingAndStallsNoWriter() throws Exception {
        Path dir = tmp.resolve("archive");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (S3Server s3 = S3Server.start(tmp.resolve("s3"));
             BinlogArchive a = TieringTestSupport.archiveWithFiles(dir, 2);
             Tiering t = Tiering.start(a, s3.settings("p/"), new TieringMetrics(registry))) {
            await("file 1 uploaded", Duration.ofSeconds(30), () -> t.tiered().size() == 1);
            s3.stop();

            // The mirror goes on while the store is down: files 3..8 are written as fast as before.
            long started = System.nanoTime();
            TieringTestSupport.addFiles(a, 3, 8);
            long writeMs = (System.nanoTime() - started) / 1_000_000;
            await("failed attempts counted", Duration.ofSeconds(30),
                    () -> meter(registry, "binlog_proxy_tiering_upload_failures") >= 3);
            assertEquals(1, t.tiered().size());
            assertEquals(6.0, meter(registry, "binlog_proxy_tiering_backlog_files"));
            long backlogBytes = a.closedLocalFiles().stream().skip(1).mapToLong(f -> f.size()).sum();
            assertEquals((double) backlogBytes, meter(registry, "binlog_proxy_tiering_backlog"));

            // Retention wants to keep one file, but only the verified one may go.
            assertEquals(List.of(names(a).get(0)), a.purge(RetentionPolicy.keepAll().withMaxFiles(1)));
            assertEquals(7, names(a).size());
            for (String n : names(a)) {
                assertTrue(Files.exists(dir.resolve(n)), n);
            }

            // Back: the backlog drains, oldest first, and retention can do its job.
            double failures = meter(registry, "binlog_proxy_tiering_upload_failures");
            long back = System.nanoTime();
            s3.start();
            await("backlog uploaded", Duration.ofSeconds(30), () -> t.tiered().size() == 7);
            long drainMs = (System.nanoTime() - back) / 1_000_000;
            assertEquals(0.0, meter(registry, "binlog_proxy_tiering_backlog_files"));
            assertEquals(7.0, meter(registry, "binlog_proxy_tiering_uploads"));
            assertEquals(6, a.purge(RetentionPolicy.keepAll().withMaxFiles(1)).size());
            assertTrue(a.fetchBack(TieringTestSupport.names(a).get(0).replace("000008", "000001")));
            assertEquals(8, names(a).size());
            System.out.printf("6 files written while the store was down: %d ms; %.0f failed attempts;"
                    + " backlog drained %d ms after the store came back%n", writeMs, failures, drainMs);
            // writes never waited for the store (each file is 2 fsync'd group commits or so: well under a second)
            assertTrue(writeMs < 5_000, "writes took " + writeMs + " ms while the store was down");
        }
    }

    @Test
    void theStoreGoesAwayBetweenTheHashAndThePut() throws Exception {
        Path dir = tmp.resolve("archive2");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (S3Server s3 = S3Server.start(tmp.resolve("s3-2"));
             BinlogArchive a = TieringTestSupport.archiveWithFiles(dir, 2)) {
            String first = names(a).get(0);
            java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();
            try (Tiering t = Tiering.start(a, s3.settings(""), new TieringMetrics(registry), (step, file) -> {
                // the store dies while this upload is under way: its PUT meets a closed port
                if (step == Uploader.Step.HASHED && stopped.compareAndSet(false, true)) {
                    try {
                        s3.stop();
                    } catch (Exception e) {
                        throw new java.io.IOException(e);
                    }
                }
            })) {
                await("failed attempts", Duration.ofSeconds(30),
                        () -> meter(registry, "binlog_proxy_tiering_upload_failures") >= 2);
                assertEquals(List.of(), t.tiered());
                assertEquals(List.of(), a.purge(RetentionPolicy.keepAll().withMaxFiles(1)));
                s3.start();
                await("the upload retried to success", Duration.ofSeconds(30), () -> t.tiered().size() == 1);
                byte[] local = Files.readAllBytes(dir.resolve(first));
                assertEquals(List.of(first), a.purge(RetentionPolicy.keepAll().withMaxFiles(1)));
                assertTrue(a.fetchBack(first));
                assertTrue(java.util.Arrays.equals(local, Files.readAllBytes(a.pathOf(first))));
            }
        }
    }
}
