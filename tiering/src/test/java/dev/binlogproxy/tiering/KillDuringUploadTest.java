package dev.binlogproxy.tiering;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.RetentionPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.binlogproxy.tiering.TieringTestSupport.await;
import static dev.binlogproxy.tiering.TieringTestSupport.names;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of a proxy process in the middle of an upload, after each step: the local copy is never deletable before
 * the remote copy was verified and recorded, and the next process finishes the job; every byte survives.
 */
class KillDuringUploadTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(Uploader.Step.class)
    void aKilledUploadLosesNothing(Uploader.Step killedAfter) throws Exception {
        Path dir = tmp.resolve("archive");
        List<byte[]> original = new ArrayList<>();
        List<String> files;
        try (BinlogArchive a = TieringTestSupport.archiveWithFiles(dir, 3)) {
            files = names(a);
            for (String f : files) {
                original.add(Files.readAllBytes(dir.resolve(f)));
            }
        }
        try (S3Server s3 = S3Server.start(tmp.resolve("s3"))) {
            Process child = startChild(dir, s3, killedAfter);
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                do {
                    line = out.readLine();
                } while (line != null && !line.startsWith("AT "));
                assertEquals("AT " + killedAfter + " " + files.get(0), line, "the child's output ended");
            } finally {
                child.destroyForcibly(); // SIGKILL
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            }
            List<TieredFile> recorded = UploadRecord.read(dir);
            // recorded only when killed after the record was forced
            assertEquals(killedAfter == Uploader.Step.RECORDED ? 1 : 0, recorded.size(), recorded.toString());
            for (int i = 0; i < files.size(); i++) {
                assertArrayEquals(original.get(i), Files.readAllBytes(dir.resolve(files.get(i))), files.get(i));
            }
            try (BinlogArchive a = BinlogArchive.open(dir);
                 Tiering t = Tiering.start(a, s3.settings("k/"), new TieringMetrics(new SimpleMeterRegistry()))) {
                if (killedAfter != Uploader.Step.RECORDED) {
                    // the new process has no record of file 1 yet: nothing may go before it has one
                    assertEquals(List.of(), a.purge(RetentionPolicy.keepAll().withMaxFiles(1)).stream()
                            .filter(f -> !t.holdsVerified(f)).toList());
                }
                await("both closed files recorded", Duration.ofSeconds(30), () -> t.tiered().size() == 2);
                a.purge(RetentionPolicy.keepAll().withMaxFiles(1));
                assertEquals(List.of(files.get(2)), names(a));
                assertTrue(a.fetchBack(files.get(0)));
                for (int i = 0; i < 2; i++) {
                    assertArrayEquals(original.get(i), Files.readAllBytes(a.pathOf(files.get(i))), files.get(i));
                }
            }
        }
    }

    private static Process startChild(Path dir, S3Server s3, Uploader.Step step) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(Arrays.asList(System.getProperty("chronicle.jvm.flags", "").trim().split("\\s+")));
        cmd.add("-cp");
        // under Surefire java.class.path is only its booter jar; this is the real test class path
        cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        cmd.add(UploadChild.class.getName());
        cmd.add(dir.toString());
        cmd.add(s3.endpoint().toString());
        cmd.add(step.name());
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }
}
