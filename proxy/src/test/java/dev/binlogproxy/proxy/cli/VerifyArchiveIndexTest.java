package dev.binlogproxy.proxy.cli;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.Durability;
import dev.binlogproxy.testkit.DbServer;
import dev.binlogproxy.upstream.MirrorHarness;
import dev.binlogproxy.upstream.MirrorService;
import dev.binlogproxy.testkit.ServerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code binlog-proxy verify --archive} on an archive mirrored from a real MariaDB master: the index journal is
 * checked against the files while the archive is in use and after it is closed, a damaged index is reported with
 * a non-zero exit, and deleting the index lets the next open rebuild it.
 */
class VerifyArchiveIndexTest {
    @TempDir
    Path dir;

    @Test
    void indexIsCheckedAgainstTheFilesAndDamageIsReported() throws Exception {
        Path archiveDir = dir.resolve("archive");
        try (DbServer master = DbServer.start(ServerOptions.mariadb().maxBinlogSize(64 * 1024).build())) {
            master.createReplicationUser(MirrorHarness.USER, MirrorHarness.PASSWORD);
            long entries;
            try (BinlogArchive archive = BinlogArchive.open(archiveDir, Durability.FSYNC);
                 MirrorService mirror = MirrorService.start(MirrorHarness.settings(master, 9500, false), archive,
                         MirrorHarness.metrics())) {
                master.execute("CREATE DATABASE v", "CREATE TABLE v.t (id INT PRIMARY KEY, s VARCHAR(500))");
                for (int i = 0; i < 300; i++) {
                    master.execute("INSERT INTO v.t VALUES (" + i + ", REPEAT('s', 400))");
                }
                MirrorHarness.awaitCaughtUp(archive, master, mirror, Duration.ofSeconds(30));
                assertTrue(archive.files().size() >= 3, archive.files().toString());
                // in use: locked by this process, read-only check
                String live = verify(archiveDir, 0);
                entries = agreeing(live);
                assertTrue(entries > 300, live); // an entry per transaction (and per control event)
            }
            String closed = verify(archiveDir, 0);
            assertTrue(agreeing(closed) >= entries, closed);
            assertTrue(closed.contains("all valid"), closed);

            // a torn tail in the newest file (what a kill -9 mid-write leaves) is not damage in an archive
            Path newest = archiveDir.resolve(master.showBinaryLogs().get(master.showBinaryLogs().size() - 1).name());
            byte[] intact = Files.readAllBytes(newest);
            Files.write(newest, java.util.Arrays.copyOfRange(intact, 4, 14), java.nio.file.StandardOpenOption.APPEND);
            String torn = verify(archiveDir, 0);
            assertTrue(torn.contains("ok, open: unfinished tail after offset " + intact.length), torn);
            assertTrue(torn.contains("note: " + newest.getFileName() + ": 10 bytes after the last complete transaction"),
                    torn);
            Files.write(newest, intact);

            // change one entry's timestamp (the first file's first entry, its FDE) in Chronicle's own file: the
            // document's checksum no longer matches
            String first = master.showBinaryLogs().get(0).name();
            damageFirstEntryOf(archiveDir.resolve("index"), first);
            String damaged = verify(archiveDir, 1);
            assertTrue(damaged.contains("index: DAMAGED after 0 agreeing entries: index journal unreadable"), damaged);
            assertTrue(damaged.contains("index document fails its checksum"), damaged);
            assertTrue(damaged.contains("all valid"), damaged); // the files themselves are fine

            // the remedy the report names: delete the index, the next open rebuilds it from the files
            try (Stream<Path> walk = Files.walk(archiveDir.resolve("index"))) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
            BinlogArchive.open(archiveDir, Durability.FSYNC).close();
            String rebuilt = verify(archiveDir, 0);
            assertEquals(agreeing(closed), agreeing(rebuilt), rebuilt);

            // the index's pages past a point were never stored (what a memory-mapped write on a full disk leaves):
            // reading them through the mapping faults (InternalError, not an IOException); verify reports, exits 1
            String second = master.showBinaryLogs().get(1).name();
            cutIndexBefore(archiveDir.resolve("index"), second);
            String cut = verify(archiveDir, 1);
            assertTrue(cut.contains("all valid"), cut);
            assertTrue(cut.contains("index: DAMAGED"), cut);
        }
    }

    private static long agreeing(String out) {
        Matcher m = Pattern.compile("index: (\\d+) entries agree with the files").matcher(out);
        assertTrue(m.find(), out);
        return Long.parseLong(m.group(1));
    }

    /**
     * Finds the first document of {@code file} as the journal writes it (IndexBatch: version 3, the file name as
     * length-prefixed UTF-8, the entry count and first offset as stop-bit numbers, then the first timestamp) and
     * changes the timestamp's low byte.
     */
    private static void damageFirstEntryOf(Path indexDir, String file) throws Exception {
        byte[] pattern = documentStart(file);
        List<Path> cycles;
        try (Stream<Path> s = Files.list(indexDir)) {
            cycles = s.filter(p -> p.getFileName().toString().endsWith(".cq4")).sorted().toList();
        }
        for (Path cycle : cycles) {
            byte[] bytes = Files.readAllBytes(cycle);
            for (int i = 0; i + pattern.length + 20 <= bytes.length; i++) {
                if (matches(bytes, i, pattern)) {
                    int at = i + pattern.length;
                    for (int stopBits = 0; stopBits < 2; at++) { // the count, then the first offset
                        if ((bytes[at] & 0x80) == 0) {
                            stopBits++;
                        }
                    }
                    bytes[at] += 1; // low byte of the little-endian timestamp
                    Files.write(cycle, bytes);
                    return;
                }
            }
        }
        throw new AssertionError("no entry of " + file + " in " + cycles);
    }

    private static byte[] documentStart(String file) {
        byte[] name = file.getBytes(StandardCharsets.UTF_8);
        byte[] pattern = new byte[name.length + 2];
        pattern[0] = 3;
        pattern[1] = (byte) name.length;
        System.arraycopy(name, 0, pattern, 2, name.length);
        return pattern;
    }

    /** Truncates the journal's cycle file at the first entry of {@code file}, the rest of the mapping unbacked. */
    private static void cutIndexBefore(Path indexDir, String file) throws Exception {
        byte[] pattern = documentStart(file);
        try (Stream<Path> s = Files.list(indexDir)) {
            for (Path cycle : s.filter(p -> p.getFileName().toString().endsWith(".cq4")).toList()) {
                byte[] bytes = Files.readAllBytes(cycle);
                for (int i = 0; i + pattern.length <= bytes.length; i++) {
                    if (matches(bytes, i, pattern)) {
                        try (var ch = java.nio.channels.FileChannel.open(cycle,
                                java.nio.file.StandardOpenOption.WRITE)) {
                            ch.truncate(i & ~4095); // a page boundary before it: what was never written back
                        }
                        return;
                    }
                }
            }
        }
        throw new AssertionError("no entry of " + file + " in " + indexDir);
    }

    private static boolean matches(byte[] b, int at, byte[] p) {
        for (int j = 0; j < p.length; j++) {
            if (b[at + j] != p[j]) {
                return false;
            }
        }
        return true;
    }

    private static String verify(Path archive, int expectedExit) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        int exit;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            exit = BinlogProxyCli.run("verify", "--archive", archive.toString());
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(expectedExit, exit, out);
        return out;
    }
}
