package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.SyntheticBinlog;
import dev.binlogproxy.binlog.file.BinlogFileSummary;
import dev.binlogproxy.binlog.position.BinlogPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** After a disconnect the partial transaction goes: never kept on disk, never served; the dump resumes cleanly. */
class PartialTransactionIsDiscardedTest {
    @TempDir
    Path dir;

    @Test
    void aPartialTransactionIsCutAndTheDumpResumesAtTheBoundary() throws Exception {
        byte[] f1 = Dump.bytes(Dump.MYSQL_GTID, Dump.FILE1);
        List<Dump.Positioned> events = Dump.events(f1);
        int lastXid = 10;
        int mid = 13; // GTID, BEGIN, TABLE_MAP of the next transaction
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.FSYNC)) {
            ArchiveWriter w = a.writer();
            w.startFile(Dump.FILE1, 4);
            w.appendFormatDescription(events.get(0).event());
            Appended xid = null;
            for (Dump.Positioned p : events.subList(1, mid)) {
                Appended ap = w.append(p.event());
                if (p == events.get(lastXid)) {
                    xid = ap;
                }
            }
            long boundary = events.get(lastXid).end();
            assertEquals(boundary, xid.durable().get().offset());
            w.discardPartialTransaction();
            assertEquals(boundary, Files.size(dir.resolve(Dump.FILE1)));
            assertEquals(Optional.of(new BinlogPosition(Dump.FILE1, boundary)), a.resumePosition());
            try (ArchiveReader r = a.openReader(new BinlogPosition(Dump.FILE1, boundary))) {
                assertNull(r.next(Duration.ofMillis(50)));
            }
            // Reconnect: fake rotate at the resume position, the FDE with log_pos 0, the rest.
            w.startFile(Dump.FILE1, boundary);
            w.appendFormatDescription(Dump.asResumeSends(events.get(0).event()));
            for (Dump.Positioned p : events.subList(lastXid + 1, events.size())) {
                w.append(p.event());
            }
        }
        assertArrayEquals(f1, Files.readAllBytes(dir.resolve(Dump.FILE1)));
    }

    @Test
    void aTransactionLargerThanTheBufferIsCutFromTheFile() throws Exception {
        // MySQL, CRC32, unique GTIDs: one transaction, then one of 600 KB that has to reach the file before its end.
        SyntheticBinlog b = SyntheticBinlog.mysql(ChecksumAlgorithm.CRC32).transaction();
        long boundary = b.size();
        b.gtid().query("BEGIN");
        for (int i = 0; i < 6; i++) {
            b.rows(100_000);
        }
        b.xid(99);
        byte[] file = b.bytes();
        List<Dump.Positioned> events = Dump.events(file);
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            a.checkIdentity(UpstreamIdentity.mysql(java.util.UUID.randomUUID(), 1, "mysql-bin"));
            ArchiveWriter w = a.writer();
            w.startFile(Dump.FILE1, 4);
            w.appendFormatDescription(events.get(0).event());
            java.util.concurrent.CompletableFuture<BinlogPosition> committed = null;
            for (Dump.Positioned p : events.subList(1, events.size() - 1)) {
                Appended ap = w.append(p.event());
                committed = ap.durable() != null ? ap.durable() : committed;
            }
            assertEquals(boundary, committed.get().offset());
            assertTrue(Files.size(dir.resolve(Dump.FILE1)) > boundary + 256 * 1024, "part of it is in the file");
            assertEquals(boundary, a.files().get(0).size(), "but not readable");
            w.discardPartialTransaction();
            assertEquals(boundary, Files.size(dir.resolve(Dump.FILE1)));
            BinlogFileSummary s = BinlogFileSummary.scan(dir.resolve(Dump.FILE1));
            assertTrue(s.isValid() && !s.endsInTransaction());
            w.startFile(Dump.FILE1, boundary);
            w.appendFormatDescription(events.get(0).event());
            for (Dump.Positioned p : events) {
                if (p.offset() >= boundary) {
                    w.append(p.event());
                }
            }
            assertTrue(a.verify().ok());
        }
        assertArrayEquals(file, Files.readAllBytes(dir.resolve(Dump.FILE1)));
    }

    @Test
    void aDisconnectBeforeTheFormatDescriptionCutsNothing() throws Exception {
        byte[] f1 = Dump.bytes(Dump.MYSQL_GTID, Dump.FILE1);
        List<Dump.Positioned> events = Dump.events(f1);
        long boundary = events.get(10).end();
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.FSYNC)) {
            a.writer().startFile(Dump.FILE1, 4);
            a.writer().appendFormatDescription(events.get(0).event());
            for (Dump.Positioned p : events.subList(1, 11)) {
                a.writer().append(p.event());
            }
        }
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            // Reconnect, fake rotate, then the link drops again before the FDE: twice.
            a.writer().startFile(Dump.FILE1, boundary);
            a.writer().discardPartialTransaction();
            a.writer().startFile(Dump.FILE1, boundary);
            a.writer().discardPartialTransaction();
            assertEquals(boundary, Files.size(dir.resolve(Dump.FILE1)));
            a.writer().startFile(Dump.FILE1, boundary);
            a.writer().appendFormatDescription(Dump.asResumeSends(events.get(0).event()));
            for (Dump.Positioned p : events.subList(11, events.size())) {
                a.writer().append(p.event());
            }
            // The next file: started, dropped before its FDE (nothing created), started again.
            a.writer().startFile(Dump.FILE2, 4);
            a.writer().discardPartialTransaction();
            assertTrue(Files.notExists(dir.resolve(Dump.FILE2)));
            assertEquals(Optional.of(BinlogPosition.startOf(Dump.FILE2)), a.resumePosition());
            Dump.feedFile(a.writer(), Dump.FILE2, Dump.bytes(Dump.MYSQL_GTID, Dump.FILE2));
        }
        assertArrayEquals(f1, Files.readAllBytes(dir.resolve(Dump.FILE1)));
        assertArrayEquals(Dump.archived(Dump.bytes(Dump.MYSQL_GTID, Dump.FILE2)),
                Files.readAllBytes(dir.resolve(Dump.FILE2)));
    }

    @Test
    void closingWithAnOpenTransactionLeavesOnlyWholeOnes() throws Exception {
        byte[] f1 = Dump.bytes(Dump.MARIA_CRC, Dump.FILE1);
        List<Dump.Positioned> events = Dump.events(f1);
        long boundary;
        try (BinlogArchive a = Dump.fresh(dir, Dump.MARIA_CRC, Durability.WRITE)) {
            ArchiveWriter w = a.writer();
            w.startFile(Dump.FILE1, 4);
            w.appendFormatDescription(events.get(0).event());
            int i = 1;
            Appended last;
            do {
                last = w.append(events.get(i++).event());
            } while (!last.completesTransaction());
            boundary = last.end().offset();
            w.append(events.get(i).event()); // opens the next transaction
        }
        assertEquals(boundary, Files.size(dir.resolve(Dump.FILE1)));
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(List.of(), a.recovery().actions());
            assertEquals(Optional.of(new BinlogPosition(Dump.FILE1, boundary)), a.resumePosition());
        }
    }
}
