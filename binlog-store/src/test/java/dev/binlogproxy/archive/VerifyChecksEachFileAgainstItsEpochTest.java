package dev.binlogproxy.archive;

import dev.binlogproxy.archive.Failovers.Pair;
import dev.binlogproxy.archive.testing.Dump;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static dev.binlogproxy.archive.Failovers.name;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * verify holds every file to its epoch: its FORMAT_DESCRIPTION from that epoch's master, an epoch's last file ending
 * where the next epoch's record says, nothing between two epochs; each problem names the file. A file that ends
 * without a ROTATE inside an epoch (the master crashed and went on in a new file) is a faithful copy: a note.
 */
class VerifyChecksEachFileAgainstItsEpochTest {
    private static final Pair PAIR = Pair.MYSQL;

    @TempDir
    Path dir;

    @Test
    void aFileWrittenByAnotherServerThanItsEpochsMasterIsReported() throws Exception {
        UpstreamIdentity claimed = UpstreamIdentity.mysql(PAIR.newMaster().serverUuid().orElseThrow(), 99,
                "mysql-bin");
        try (BinlogArchive a = Dump.fresh(dir, PAIR.oldScenario, Durability.WRITE)) {
            Dump.feedFile(a.writer(), name(1), PAIR.oldFile(1));
            a.adopt(claimed, name(3));
            Dump.awaitVisible(Dump.feedFile(a.writer(), name(3), PAIR.newFile(3)));
            VerifyReport report = a.verify();
            assertEquals(List.of(name(3) + ": FORMAT_DESCRIPTION written by a MYSQL server_id "
                    + PAIR.newMaster().serverId() + ", but the file belongs to epoch 2, whose master is " + claimed),
                    report.fileProblems());
            assertTrue(report.indexAgrees(), report.toString());
        }
        VerifyReport inPlace = BinlogArchive.verifyInPlace(dir);
        assertEquals(1, inPlace.fileProblems().size(), inPlace.toString());
    }

    @Test
    void aFileEndingWithoutARotateInsideAnEpochIsANote() throws Exception {
        byte[] old1 = PAIR.oldFile(1);
        try (BinlogArchive a = Dump.fresh(dir, PAIR.oldScenario, Durability.WRITE)) {
            List<Dump.Positioned> events = Dump.events(old1);
            // the master crashed before file 1's ROTATE and, restarted, went on in file 2
            Dump.feed(a.writer(), name(1), old1, events.size() - 1);
            Dump.awaitVisible(Dump.feedFile(a.writer(), name(2), PAIR.oldFile(2)));
            VerifyReport report = a.verify();
            assertTrue(report.ok(), report.toString());
            assertEquals(List.of(name(1) + ": ends without a ROTATE or STOP although " + name(2)
                    + " of the same master follows (its master crashed, or the file was cut)"), report.notes());
        }
    }

    @Test
    void anOldMastersFileShorterThanItsRecordedEndIsReportedAndRefusesTheOpen() throws Exception {
        byte[] old1 = PAIR.oldFile(1);
        long end1 = Failovers.rotateAt(old1);
        try (BinlogArchive a = Dump.fresh(dir, PAIR.oldScenario, Durability.WRITE)) {
            Dump.feedFile(a.writer(), name(1), old1);
            a.adopt(PAIR.newMaster(), name(3));
        }
        try (FileChannel ch = FileChannel.open(dir.resolve(name(1)), StandardOpenOption.WRITE)) {
            ch.truncate(end1 - 10);
        }
        VerifyReport inPlace = BinlogArchive.verifyInPlace(dir);
        assertTrue(inPlace.fileProblems().contains(name(1) + ": " + (end1 - 10) + " bytes, but epoch 2 ("
                + PAIR.newMaster() + ", from " + name(3) + ", after " + name(1) + ":" + end1
                + Failovers.lastGtid(old1, end1).map(g -> " gtid " + g).orElse("") + ") records that the previous"
                + " master's data ends at " + name(1) + ":" + end1), inPlace.toString());
        ArchiveException e = assertThrows(ArchiveException.class, () -> BinlogArchive.open(dir));
        assertTrue(e.getMessage().contains(name(1) + " is only " + (end1 - 10) + " bytes"), e.getMessage());
    }

    @Test
    void aFileWithTransactionsBetweenTwoEpochsIsNeverDeleted() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, PAIR.oldScenario, Durability.WRITE)) {
            Dump.feedFile(a.writer(), name(1), PAIR.oldFile(1));
            a.adopt(PAIR.newMaster(), name(3));
        }
        Files.write(dir.resolve(name(2)), PAIR.oldFile(2));
        VerifyReport inPlace = BinlogArchive.verifyInPlace(dir);
        assertFalse(inPlace.filesValid(), inPlace.toString());
        assertTrue(inPlace.fileProblems().get(0).startsWith(name(2) + ": lies between the end of the previous"
                + " master's data and the first file of epoch 2"), inPlace.toString());
        ArchiveException e = assertThrows(ArchiveException.class, () -> BinlogArchive.open(dir));
        assertTrue(e.getMessage().contains(name(2) + " lies between"), e.getMessage());
        assertTrue(Files.exists(dir.resolve(name(2))), "kept for a person to look at");
    }

    @Test
    void anUnreadableHistoryIsAProblemNotACrash() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, PAIR.oldScenario, Durability.WRITE)) {
            Dump.feedFile(a.writer(), name(1), PAIR.oldFile(1));
        }
        Files.writeString(dir.resolve(EpochsFile.NAME), "format=2\nepochs=2\nepoch.1.flavor=MYSQL\n");
        VerifyReport inPlace = BinlogArchive.verifyInPlace(dir);
        assertTrue(inPlace.fileProblems().get(0).startsWith(EpochsFile.NAME + ": "), inPlace.toString());
        assertTrue(inPlace.fileProblems().get(0).contains("missing epoch.1.server_id"), inPlace.toString());
    }
}
