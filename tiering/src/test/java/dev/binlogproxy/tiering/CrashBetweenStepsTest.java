package dev.binlogproxy.tiering;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.RetentionPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.binlogproxy.tiering.TieringTestSupport.await;
import static dev.binlogproxy.tiering.TieringTestSupport.names;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A failure (or a crash: the uploader stops there and the process goes away) between any two steps of an upload
 * never lets the local copy go before the remote one is verified and recorded, and the next run finishes the job.
 */
class CrashBetweenStepsTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(value = Uploader.Step.class, names = {"HASHED", "PUT", "VERIFIED"})
    void aCrashBeforeTheRecordKeepsTheLocalCopy(Uploader.Step crashAfter) throws Exception {
        Path dir = tmp.resolve("archive");
        try (S3Server s3 = S3Server.start(tmp.resolve("s3"))) {
            CountDownLatch crashed = new CountDownLatch(1);
            try (BinlogArchive a = TieringTestSupport.archiveWithFiles(dir, 3)) {
                // "crash": the step throws and the uploader is closed before it can try again (its backoff is
                // longer than the test's wait), then the archive is closed and reopened as after a restart
                TieringSettings slowRetry = new TieringSettings(s3.endpoint(), "us-east-1", S3Server.BUCKET, "",
                        S3Server.ACCESS_KEY, S3Server.SECRET_KEY, true, null, Duration.ZERO, Duration.ofMillis(100),
                        Duration.ofMinutes(5), Duration.ofMinutes(5));
                try (Tiering t = Tiering.start(a, slowRetry, new TieringMetrics(new SimpleMeterRegistry()),
                        (step, file) -> {
                            if (step == crashAfter) {
                                crashed.countDown();
                                throw new IOException("injected crash after " + step + " of " + file);
                            }
                        })) {
                    assertTrue(crashed.await(30, TimeUnit.SECONDS));
                    assertEquals(List.of(), t.tiered());
                    assertEquals(List.of(), a.purge(RetentionPolicy.keepAll().withMaxFiles(1)));
                }
                assertEquals(3, names(a).size());
            }
            assertEquals(List.of(), UploadRecord.read(dir));
            try (BinlogArchive a = BinlogArchive.open(dir);
                 Tiering t = Tiering.start(a, s3.settings(""), new TieringMetrics(new SimpleMeterRegistry()))) {
                await("uploads finished after the restart", Duration.ofSeconds(30), () -> t.tiered().size() == 2);
                assertEquals(2, a.purge(RetentionPolicy.keepAll().withMaxFiles(1)).size());
                assertTrue(a.fetchBack(t.tiered().get(0).name()));
                assertEquals(3, names(a).size());
            }
        }
    }

    @Test
    void aTornRecordLineIsCutAndADamagedOneRefusesTheOpen() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("archive"));
        TieredFile f1 = new TieredFile("mysql-bin.000001", 1000, "a".repeat(64), "p/mysql-bin.000001");
        TieredFile f2 = new TieredFile("mysql-bin.000002", 2000, "b".repeat(64), "p/mysql-bin.000002");
        try (UploadRecord r = UploadRecord.open(dir)) {
            r.add(f1);
        }
        Path path = dir.resolve(UploadRecord.NAME);
        String line2 = UploadRecord.line(f2);
        // a crash in the middle of the second line's write
        Files.writeString(path, line2.substring(0, 30), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        try (UploadRecord r = UploadRecord.open(dir)) {
            assertEquals(List.of(f1), r.files());
            r.add(f2);
        }
        try (UploadRecord r = UploadRecord.open(dir)) {
            assertEquals(List.of(f1, f2), r.files());
        }
        // a flipped byte in the first line, a good one after it: not a torn tail, refused
        byte[] bytes = Files.readAllBytes(path);
        bytes[12] ^= 1;
        Files.write(path, bytes);
        IOException e = assertThrows(IOException.class, () -> UploadRecord.open(dir));
        assertTrue(e.getMessage().contains("line 1 is damaged"), e.getMessage());
    }
}
