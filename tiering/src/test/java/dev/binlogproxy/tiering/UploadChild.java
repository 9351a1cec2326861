package dev.binlogproxy.tiering;

import dev.binlogproxy.archive.BinlogArchive;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A child JVM for {@link KillDuringUploadTest}: opens the archive, starts tiering, and when the first upload
 * reaches the given step prints {@code AT <step> <file>} and waits there to be killed (SIGKILL: no close, no
 * finally, as a power cut or an OOM kill).
 *
 * <p>Arguments: archive directory, S3 endpoint, step.
 */
public final class UploadChild {
    private UploadChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Uploader.Step stopAt = Uploader.Step.valueOf(args[2]);
        TieringSettings settings = new TieringSettings(URI.create(args[1]), "us-east-1", S3Server.BUCKET, "k/",
                S3Server.ACCESS_KEY, S3Server.SECRET_KEY, true, null, Duration.ZERO, Duration.ofMillis(100),
                Duration.ofMillis(100), Duration.ofMillis(800));
        BinlogArchive archive = BinlogArchive.open(dir);
        Tiering.start(archive, settings, new TieringMetrics(new SimpleMeterRegistry()), (step, file) -> {
            if (step == stopAt) {
                System.out.println("AT " + step + " " + file);
                System.out.flush();
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Thread.sleep(Long.MAX_VALUE);
    }
}
