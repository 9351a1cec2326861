package dev.binlogproxy.archive;

import dev.binlogproxy.archive.Failovers.Pair;
import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.position.BinlogPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static dev.binlogproxy.archive.Failovers.name;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An adopt that would not continue the archive's numbering, or would mix basenames or flavors, is refused with
 * what was seen and what is needed, and leaves the archive exactly as it was: byte for byte, and still following
 * the old master, which may even come back.
 */
class AdoptRefusesNumberingThatGoesBackwardsTest {
    private static final Pair PAIR = Pair.MYSQL;

    @TempDir
    Path dir;

    private final UpstreamIdentity next = PAIR.newMaster();

    @Test
    void aFirstFileAtOrBelowTheArchivesEndIsRefused() throws Exception {
        byte[] old2 = PAIR.oldFile(2);
        try (BinlogArchive a = Dump.fresh(dir, PAIR.oldScenario, Durability.FSYNC)) {
            Dump.feedFile(a.writer(), name(1), PAIR.oldFile(1));
            // file 2 ends with a ROTATE to file 3, which never came
            Dump.awaitVisible(Dump.feedFile(a.writer(), name(2), old2));
            Map<String, byte[]> before = Failovers.snapshot(dir);

            refused(a, before, name(1), "adopt of " + name(1) + " refused: the archive's last file is " + name(2)
                    + ", whose ROTATE names " + name(3) + "; the new master must FLUSH BINARY LOGS until its current"
                    + " file is above " + name(3));
            refused(a, before, name(2), "whose ROTATE names " + name(3));
            refused(a, before, name(3), "whose ROTATE names " + name(3));

            // the old master comes back after all: the archive goes on with it
            Dump.feedFile(a.writer(), name(3), PAIR.oldFile(3));
            assertArrayEquals(PAIR.oldFile(3), Files.readAllBytes(dir.resolve(name(3))));
            assertTrue(a.verify().ok(), a.verify().toString());
        }
    }

    @Test
    void theLastFileItselfBindsWhenItEndsWithoutARotate() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, PAIR.oldScenario, Durability.FSYNC)) {
            Dump.feedFile(a.writer(), name(1), PAIR.oldFile(1));
            Dump.awaitVisible(Dump.feed(a.writer(), name(2), PAIR.oldFile(2), 5));
            Map<String, byte[]> before = Failovers.snapshot(dir);
            refused(a, before, name(2), "adopt of " + name(2) + " refused: the archive's last file is " + name(2)
                    + "; the new master must FLUSH BINARY LOGS until its current file is above it");
            assertEquals(Optional.of(name(3)), a.adopt(next, name(3)).firstFile(), "above it: adopted");
        }
    }

    @Test
    void aFileTheDeadMasterBeganCountsAsTheLast() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, PAIR.oldScenario, Durability.FSYNC)) {
            Dump.feedFile(a.writer(), name(1), PAIR.oldFile(1));
            a.writer().startFile(name(2), 4);
            a.writer().appendFormatDescription(Dump.asDumpSends(Dump.events(PAIR.oldFile(2)).get(0).event()))
                    .durable().get();
            Map<String, byte[]> before = Failovers.snapshot(dir);
            refused(a, before, name(2), "the archive's last file is " + name(2) + " (begun by the previous master,"
                    + " not readable yet); the new master must FLUSH BINARY LOGS until its current file is above "
                    + name(2));
        }
    }

    @Test
    void anotherBasenameOrFlavorIsRefused() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, PAIR.oldScenario, Durability.FSYNC)) {
            Dump.feedFile(a.writer(), name(1), PAIR.oldFile(1));
            Map<String, byte[]> before = Failovers.snapshot(dir);
            UUID uuid = next.serverUuid().orElseThrow();
            refusedAdopt(a, before, UpstreamIdentity.mysql(uuid, 12, "binlog"), "binlog.000009",
                    "the new master's binlog basename is 'binlog', the archive's files are mysql-bin.NNNNNN");
            refusedAdopt(a, before, next, "binlog.000009", "it is not a file of mysql-bin.NNNNNN");
            refusedAdopt(a, before, next, "mysql-bin", "it is not a file of mysql-bin.NNNNNN");
            refusedAdopt(a, before, next, "../mysql-bin.000009", "adopt of ../mysql-bin.000009 refused");
            refusedAdopt(a, before, UpstreamIdentity.mariadb(12, "mysql-bin"), name(9),
                    "is MARIADB, the archive holds MYSQL binlogs");
            assertEquals(Optional.of(PAIR.oldMaster()), a.identity());
        }
    }

    @Test
    void theFirstFileOfAnEpochNotWrittenYetStillBinds() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, PAIR.oldScenario, Durability.FSYNC)) {
            Dump.feedFile(a.writer(), name(1), PAIR.oldFile(1));
            a.adopt(next, name(5));
            Map<String, byte[]> before = Failovers.snapshot(dir);
            UpstreamIdentity third = UpstreamIdentity.mysql(UUID.randomUUID(), 13, "mysql-bin");
            refusedAdopt(a, before, third, name(5), "epoch 2 (" + next + ") owns the files from " + name(5));
            refusedAdopt(a, before, next, name(4), "owns the files from " + name(5));
            assertEquals(Optional.of(BinlogPosition.startOf(name(5))), a.resumePosition());
        }
    }

    @Test
    void anArchiveWithoutAMasterHasNothingToAdoptFrom() throws Exception {
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            AdoptRefusedException e = assertThrows(AdoptRefusedException.class, () -> a.adopt(next, name(3)));
            assertTrue(e.getMessage().contains("has no master yet"), e.getMessage());
            assertEquals(List.of(), a.epochs());
            assertTrue(Files.notExists(dir.resolve(EpochsFile.NAME)));
        }
    }

    private void refused(BinlogArchive a, Map<String, byte[]> before, String firstFile, String expected)
            throws Exception {
        refusedAdopt(a, before, next, firstFile, expected);
    }

    private void refusedAdopt(BinlogArchive a, Map<String, byte[]> before, UpstreamIdentity master, String firstFile,
                              String expected) throws Exception {
        List<MasterEpoch> epochs = a.epochs();
        Optional<BinlogPosition> resume = a.resumePosition();
        List<ArchivedFile> files = a.files();
        AdoptRefusedException e = assertThrows(AdoptRefusedException.class, () -> a.adopt(master, firstFile));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(Failovers.sameSnapshot(before, Failovers.snapshot(dir)), "the archive is unchanged, byte for byte");
        assertEquals(epochs, a.epochs());
        assertEquals(resume, a.resumePosition());
        assertEquals(files, a.files());
    }
}
