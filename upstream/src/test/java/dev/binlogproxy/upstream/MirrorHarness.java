package dev.binlogproxy.upstream;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.client.ConnectionSettings;
import dev.binlogproxy.client.TlsMode;
import dev.binlogproxy.client.Secret;
import dev.binlogproxy.testkit.BinaryLog;
import dev.binlogproxy.testkit.DbServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Shared steps of the mirror scenario tests: settings for a test master, waiting, byte comparison. */
public final class MirrorHarness {
    public static final String USER = "repl";
    public static final String PASSWORD = "repl-pw-1";

    private MirrorHarness() {
    }

    public static UpstreamSettings settings(DbServer master, long serverId, boolean semiSync) {
        return new UpstreamSettings(new ConnectionSettings("127.0.0.1", master.port(), USER, new Secret(PASSWORD),
                Duration.ofSeconds(5), TlsMode.PREFERRED, null), serverId, semiSync, Duration.ofMillis(500),
                Duration.ofSeconds(3), Duration.ofMillis(50), Duration.ofMillis(500), null, null);
    }

    public static MirrorMetrics metrics() {
        return new MirrorMetrics(new SimpleMeterRegistry());
    }

    public static BinlogArchive archive(Path dir, Durability d) throws Exception {
        return BinlogArchive.open(dir, d);
    }

    /** The master's current end: SHOW MASTER STATUS. */
    public static BinlogPosition masterEnd(DbServer master) {
        var at = master.masterStatus();
        return new BinlogPosition(at.file(), at.position());
    }

    public static void awaitCaughtUp(BinlogArchive archive, DbServer master, MirrorService mirror, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        BinlogPosition target = masterEnd(master);
        while (System.nanoTime() < deadline) {
            // written up to the master's end, and readable there: the round that lists a new file (and publishes
            // the end) may run just after the write the resume position already shows
            if (archive.resumePosition().map(target::equals).orElse(false) && archive.files().stream()
                    .anyMatch(f -> f.name().equals(target.file()) && f.size() >= target.offset())) {
                return;
            }
            if (mirror.state() == MirrorService.State.FAILED) {
                fail("mirror failed: " + mirror.status());
            }
            Thread.sleep(20);
        }
        fail("archive at " + archive.resumePosition() + " did not reach the master's " + target + " within "
                + timeout + "; mirror: " + mirror.status());
    }

    /**
     * Every file the master has closed equals the archived copy byte for byte (same sha256). The master's open file
     * has BINLOG_IN_USE set in its FDE (flag and CRC) while the dump sends the FDE with it clear: the copy equals it
     * from the end of the FDE on, and the FDE differs at most in the flags and CRC.
     */
    public static int assertByteIdentical(DbServer master, Path archiveDir) throws Exception {
        List<BinaryLog> logs = master.showBinaryLogs();
        for (int i = 0; i < logs.size(); i++) {
            String name = logs.get(i).name();
            byte[] theirs = Arrays.copyOf(master.readBinlog(name), (int) logs.get(i).size());
            Path ours = archiveDir.resolve(name);
            assertTrue(Files.exists(ours), "archive lacks " + name);
            byte[] mine = Files.readAllBytes(ours);
            if (i < logs.size() - 1) {
                assertEquals(sha256(theirs), sha256(mine), name + ": closed file differs from the master's");
            } else {
                assertEquals(theirs.length, mine.length, name + ": open file length");
                int fdeEnd = 4 + ByteBuffer.wrap(theirs).order(ByteOrder.LITTLE_ENDIAN).getInt(4 + 9);
                assertArrayEquals(Arrays.copyOfRange(theirs, fdeEnd, theirs.length),
                        Arrays.copyOfRange(mine, fdeEnd, mine.length), name + ": open file after the FDE");
                BinlogEvent fdeTheirs = BinlogEvent.wrap(theirs, 4, fdeEnd - 4);
                byte[] cleared = fdeTheirs.toByteArray();
                cleared[BinlogEvent.FLAGS_OFFSET] &= ~1;
                dev.binlogproxy.binlog.EventChecksum.writeTrailer(cleared, 0, cleared.length);
                assertArrayEquals(cleared, Arrays.copyOfRange(mine, 4, fdeEnd), name + ": FDE apart from IN_USE");
            }
        }
        return logs.size();
    }

    public static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    public static long status(DbServer master, String variable) {
        return Long.parseLong(master.globalStatus(variable));
    }

    public static String statusText(DbServer master, String variable) {
        return master.globalStatus(variable);
    }
}
