package dev.binlogproxy.archive;

import dev.binlogproxy.archive.Failovers.Pair;
import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MySqlGtid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

import static dev.binlogproxy.archive.Failovers.name;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The archive follows a new master after a failover: adopt ends the dead master's epoch at its last complete
 * transaction (cutting a ROTATE to a file that never came, a file it had only begun, a partial transaction), the
 * new master's files continue the numbering byte for byte, readers cross from the old master's last file into the
 * new master's first as they would on one master, and all of it survives a reopen, an index rebuild and verify.
 */
class ArchiveAdoptsANewMasterTest {
    @TempDir
    Path dir;
    @TempDir
    Path other;

    @ParameterizedTest
    @EnumSource(Pair.class)
    void theNewMastersFilesFollowTheOldOnesAndReadersCross(Pair pair) throws Exception {
        byte[] old1 = pair.oldFile(1);
        byte[] old2 = pair.oldFile(2);
        long end2 = Failovers.rotateAt(old2);
        byte[] new4 = pair.newFile(4);
        byte[] new5 = pair.newFile(5);
        List<BinlogEvent> expected = new ArrayList<>(Failovers.eventsUpTo(old1, old1.length));
        expected.addAll(Failovers.eventsUpTo(old2, end2));
        MasterEpoch epoch2;
        try (BinlogArchive a = Dump.fresh(dir, pair.oldScenario, Durability.FSYNC)) {
            ArchiveWriter w = a.writer();
            Dump.feedFile(w, name(1), old1);
            // the master died right after writing file 2's ROTATE: mysql-bin.000003 never came
            Dump.awaitVisible(Dump.feedFile(w, name(2), old2));
            w.discardPartialTransaction();
            assertEquals(Optional.of(BinlogPosition.startOf(name(3))), a.resumePosition());
            try (ArchiveReader r = a.openReader(BinlogPosition.startOf(name(1)))) {
                List<BinlogEvent> read = Failovers.readAll(r);
                assertEquals(expected, read, "up to the held ROTATE");

                epoch2 = a.adopt(pair.newMaster(), name(4));
                assertEquals(new MasterEpoch(2, pair.newMaster(), Optional.of(name(4)), Optional.of(
                        new MasterEpoch.Handover(new BinlogPosition(name(2), end2),
                                Failovers.lastGtid(old2, end2)))), epoch2);
                assertEquals(List.of(MasterEpoch.first(pair.oldMaster()), epoch2), a.epochs());
                assertEquals(Optional.of(pair.newMaster()), a.identity());
                assertArrayEquals(Failovers.prefix(old2, end2), Files.readAllBytes(dir.resolve(name(2))),
                        "the ROTATE to a file that never came is cut; the file stays a prefix of the master's");
                assertEquals(Optional.of(BinlogPosition.startOf(name(4))), a.resumePosition());
                assertEquals(List.of(new ArchivedFile(name(1), old1.length), new ArchivedFile(name(2), end2)),
                        a.files());

                a.checkIdentity(pair.newMaster());
                assertThrows(UpstreamMismatchException.class, () -> a.checkIdentity(pair.oldMaster()),
                        "the dead master is fenced off");
                ArchiveException older = assertThrows(ArchiveException.class, () -> w.startFile(name(2), 4));
                assertTrue(older.getMessage().contains("belongs to epoch 1"), older.getMessage());
                ArchiveException other = assertThrows(ArchiveException.class, () -> w.startFile(name(5), 4));
                assertTrue(other.getMessage().contains("must start at " + name(4) + ":4"), other.getMessage());

                Dump.feedFile(w, name(4), new4);
                Dump.awaitVisible(Dump.feedFile(w, name(5), new5));
                expected.addAll(Failovers.eventsUpTo(new4, new4.length));
                expected.addAll(Failovers.eventsUpTo(new5, Failovers.rotateAt(new5)));
                read.addAll(Failovers.readAll(r));
                assertEquals(expected, read, "the waiting reader goes on into the new master's first file");
            }
            assertArrayEquals(new4, Files.readAllBytes(dir.resolve(name(4))), "the new master's file, byte for byte");
            assertArrayEquals(new5, Files.readAllBytes(dir.resolve(name(5))));
            assertEquals(Optional.of(epoch2), a.epochOf(name(4)));
            assertEquals(Optional.of(epoch2), a.epochOf(name(9)), "files to come belong to the current master");
            assertEquals(Optional.of(a.epochs().get(0)), a.epochOf(name(2)));
            assertEquals(Optional.empty(), a.epochOf("binlog.000001"));
            VerifyReport report = a.verify();
            assertTrue(report.ok() && report.notes().isEmpty(), report + " " + report.notes());
        }
        VerifyReport inPlace = BinlogArchive.verifyInPlace(dir);
        assertTrue(inPlace.ok() && inPlace.notes().isEmpty(), inPlace + " " + inPlace.notes());
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(2, a.epochs().size());
            assertEquals(epoch2, a.epochs().get(1));
            assertEquals(IndexJournal.Outcome.IN_SYNC, a.index().outcome(), "the cut ROTATE's entry is no end");
            assertEquals(Optional.of(BinlogPosition.startOf(name(6))), a.resumePosition());
            try (ArchiveReader r = a.openReader(BinlogPosition.startOf(name(1)))) {
                assertEquals(expected, Failovers.readAll(r));
            }
            assertTrue(a.verify().ok(), a.verify().toString());
        }
    }

    @ParameterizedTest
    @EnumSource(Pair.class)
    void aFileTheDeadMasterOnlyBeganIsRemovedWithTheRotateNamingIt(Pair pair) throws Exception {
        byte[] old1 = pair.oldFile(1);
        long end1 = Failovers.rotateAt(old1);
        try (BinlogArchive a = Dump.fresh(dir, pair.oldScenario, Durability.WRITE)) {
            ArchiveWriter w = a.writer();
            Dump.feedFile(w, name(1), old1);
            w.startFile(name(2), 4);
            w.appendFormatDescription(Dump.asDumpSends(Dump.events(pair.oldFile(2)).get(0).event())).durable().get();
            assertTrue(Files.exists(dir.resolve(name(2))), "created, FDE durable, not listed");

            MasterEpoch e = a.adopt(pair.newMaster(), name(3));
            assertEquals(Optional.of(new MasterEpoch.Handover(new BinlogPosition(name(1), end1),
                    Failovers.lastGtid(old1, end1))), e.handover());
            assertFalse(Files.exists(dir.resolve(name(2))));
            assertArrayEquals(Failovers.prefix(old1, end1), Files.readAllBytes(dir.resolve(name(1))));
            assertEquals(List.of(new ArchivedFile(name(1), end1)), a.files());
            Dump.feedFile(w, name(3), pair.newFile(3));
            assertTrue(a.verify().ok(), a.verify().toString());
        }
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(IndexJournal.Outcome.IN_SYNC, a.index().outcome(), "the deleted file's FDE entry is no end");
            assertTrue(a.verify().ok(), a.verify().toString());
        }
    }

    @ParameterizedTest
    @EnumSource(Pair.class)
    void aPartialTransactionIsCutAndTheLastGtidIsTheLastCompleteOne(Pair pair) throws Exception {
        byte[] old2 = pair.oldFile(2);
        List<Dump.Positioned> events = Dump.events(old2);
        // stop inside the last transaction: its first event sent, nothing after it
        int last = events.size() - 2;
        while (!isTransactionStart(events.get(last).event())) {
            last--;
        }
        long boundary = events.get(last).offset();
        try (BinlogArchive a = Dump.fresh(dir, pair.oldScenario, Durability.FSYNC)) {
            ArchiveWriter w = a.writer();
            Dump.feedFile(w, name(1), pair.oldFile(1));
            Dump.feed(w, name(2), old2, last + 1);
            // no discardPartialTransaction: adopt does it

            MasterEpoch e = a.adopt(pair.newMaster(), name(3));
            assertEquals(new BinlogPosition(name(2), boundary), e.handover().orElseThrow().previousEnd());
            assertEquals(Failovers.lastGtid(old2, boundary), e.handover().get().lastGtid());
            assertEquals(boundary, Files.size(dir.resolve(name(2))));
            if (!pair.oldScenario.equals(Dump.MYSQL_ANON)) {
                assertTrue(e.handover().get().lastGtid().isPresent(), "GTIDs in the file: the last one is known");
            }
            Dump.feedFile(w, name(3), pair.newFile(3));
            assertTrue(a.verify().ok(), a.verify().toString());
        }
    }

    @Test
    void theIndexIsRebuiltAcrossEpochsAndLookupsFindBothMasters() throws Exception {
        Pair pair = Pair.MARIADB;
        byte[] old1 = pair.oldFile(1);
        byte[] new3 = pair.newFile(3);
        try (BinlogArchive a = Dump.fresh(dir, pair.oldScenario, Durability.WRITE)) {
            Dump.feedFile(a.writer(), name(1), old1);
            a.adopt(pair.newMaster(), name(3));
            Dump.awaitVisible(Dump.feedFile(a.writer(), name(3), new3));
        }
        try (Stream<Path> walk = Files.walk(dir.resolve(IndexJournal.DIR_NAME))) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertNotEquals(IndexJournal.Outcome.IN_SYNC, a.index().outcome());
            assertTrue(a.verify().ok(), a.verify().toString());
            MariaGtid oldGtid = MariaGtid.parse(Failovers.lastGtid(old1, old1.length).orElseThrow());
            MariaGtid newGtid = MariaGtid.parse(Failovers.lastGtid(new3, new3.length).orElseThrow());
            assertEquals(name(1), a.findTransaction(oldGtid).orElseThrow().file());
            assertEquals(name(3), a.findTransaction(newGtid).orElseThrow().file());
        }
        Pair mysql = Pair.MYSQL_WITHOUT_GTIDS_FIRST;
        try (BinlogArchive a = Dump.fresh(other, mysql.oldScenario, Durability.WRITE)) {
            Dump.feedFile(a.writer(), name(1), mysql.oldFile(1));
            MasterEpoch e = a.adopt(mysql.newMaster(), name(3));
            assertEquals(Optional.empty(), e.handover().orElseThrow().lastGtid(), "anonymous transactions");
            byte[] gtidFile = mysql.newFile(3);
            Dump.awaitVisible(Dump.feedFile(a.writer(), name(3), gtidFile));
            MySqlGtid g = MySqlGtid.parse(Failovers.lastGtid(gtidFile, gtidFile.length).orElseThrow());
            assertEquals(name(3), a.findTransaction(g).orElseThrow().file());
        }
    }

    @Test
    void adoptingTheSameMasterAtTheSameFileAgainChangesNothing() throws Exception {
        Pair pair = Pair.MYSQL;
        try (BinlogArchive a = Dump.fresh(dir, pair.oldScenario, Durability.FSYNC)) {
            Dump.feedFile(a.writer(), name(1), pair.oldFile(1));
            MasterEpoch e = a.adopt(pair.newMaster(), name(3));
            var before = Failovers.snapshot(dir);
            assertEquals(e, a.adopt(pair.newMaster(), name(3)), "a failover resumed after a crash repeats it");
            assertTrue(Failovers.sameSnapshot(before, Failovers.snapshot(dir)));
            assertEquals(2, a.epochs().size());
        }
    }

    @Test
    void aMasterThatDiesBeforeItsFirstFileIsFollowedByTheNext() throws Exception {
        Pair pair = Pair.MYSQL;
        byte[] old1 = pair.oldFile(1);
        long end1 = Failovers.rotateAt(old1);
        UpstreamIdentity third = UpstreamIdentity.mysql(UUID.randomUUID(), 77, "mysql-bin");
        try (BinlogArchive a = Dump.fresh(dir, pair.oldScenario, Durability.FSYNC)) {
            Dump.feedFile(a.writer(), name(1), old1);
            MasterEpoch second = a.adopt(pair.newMaster(), name(3));
            MasterEpoch e3 = a.adopt(third, name(5));
            assertEquals(3, e3.number());
            assertEquals(second.handover(), e3.handover(), "the data still ends where the first master's ended");
            assertEquals(Optional.of(BinlogPosition.startOf(name(5))), a.resumePosition());
            assertEquals(Optional.of(e3), a.epochOf(name(5)));
            assertEquals(Optional.of(second), a.epochOf(name(4)));
        }
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(3, a.epochs().size());
            assertEquals(Optional.of(third), a.identity());
            assertEquals(List.of(new ArchivedFile(name(1), end1)), a.files());
            assertTrue(a.verify().ok(), a.verify().toString());
        }
    }

    @Test
    void anArchiveOfTheFormerFormatOpensAsEpochOneAndIsRewrittenByTheFirstAdopt() throws Exception {
        Pair pair = Pair.MARIADB;
        UpstreamIdentity master = pair.oldMaster();
        try (BinlogArchive a = Dump.fresh(dir, pair.oldScenario, Durability.WRITE)) {
            Dump.feedFile(a.writer(), name(1), pair.oldFile(1));
        }
        // what an archive created before epochs holds
        String legacy = "# binlog-proxy archive: the master whose binlog files this directory mirrors.\n"
                + "format=1\nflavor=MARIADB\nserver_uuid=\nserver_id=" + master.serverId() + "\nbasename=mysql-bin\n";
        Files.writeString(dir.resolve(EpochsFile.NAME), legacy);
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(List.of(MasterEpoch.first(master)), a.epochs());
            a.checkIdentity(master);
            assertEquals(legacy, Files.readString(dir.resolve(EpochsFile.NAME)), "left as it is until an adopt");
            a.adopt(pair.newMaster(), name(3));
            String rewritten = Files.readString(dir.resolve(EpochsFile.NAME));
            assertTrue(rewritten.contains("format=2") && rewritten.contains("epoch.2.first_file=" + name(3)),
                    rewritten);
        }
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(MasterEpoch.first(master), a.epochs().get(0));
            assertEquals(Optional.of(pair.newMaster()), a.identity());
        }
    }

    private static boolean isTransactionStart(BinlogEvent e) {
        return e.type() == EventType.GTID || e.type() == EventType.ANONYMOUS_GTID || e.type() == EventType.MARIA_GTID;
    }
}
