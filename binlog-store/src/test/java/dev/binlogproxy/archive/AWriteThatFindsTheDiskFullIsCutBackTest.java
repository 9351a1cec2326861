package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.archive.testing.SmallFileSystem;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.SyntheticBinlog;
import dev.binlogproxy.binlog.position.BinlogPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The archive's binlog files on a 2 MB tmpfs (its index on a large one of its own), fed 40 KB transactions until
 * the file system is full. Without a reserve the write gets ENOSPC: that transaction is not committed, the file is
 * cut back to the last committed one, and the writer stays usable. With a reserve the transaction is refused
 * before any of it is written. Either way, once there is room (the tmpfs grown, as an operator frees space), the
 * dump resumes where the archive says and the file ends byte-identical to the master's.
 */
class AWriteThatFindsTheDiskFullIsCutBackTest {
    @TempDir
    Path dir;

    @Test
    void withoutAReserveTheFailedWriteIsCutBackAndTheWriterGoesOn() throws Exception {
        fill(0);
    }

    @Test
    void withAReserveTheTransactionIsRefusedBeforeAnythingIsWritten() throws Exception {
        fill(512 << 10);
    }

    private void fill(long reserve) throws Exception {
        SyntheticBinlog b = SyntheticBinlog.mysql(ChecksumAlgorithm.CRC32);
        for (int i = 0; i < 100; i++) {
            b.gtid().query("BEGIN").rows(40_000).xid(i + 1);
        }
        byte[] file = b.bytes();
        List<Dump.Positioned> events = Dump.events(file);
        Path archiveDir = dir.resolve("archive");
        try (SmallFileSystem data = SmallFileSystem.mount(archiveDir, 2L << 20);
             SmallFileSystem index = SmallFileSystem.mount(archiveDir.resolve("index"), 64L << 20)) {
            try (BinlogArchive a = BinlogArchive.open(archiveDir, Durability.FSYNC, reserve)) {
                a.checkIdentity(UpstreamIdentity.mysql(UUID.randomUUID(), 1, "mysql-bin"));
                ArchiveWriter w = a.writer();
                w.startFile(Dump.FILE1, 4);
                w.appendFormatDescription(events.get(0).event());
                long committed = 0;
                long refusedAt = -1;
                DiskFullException full = null;
                for (Dump.Positioned p : events.subList(1, events.size())) {
                    try {
                        Appended ap = w.append(p.event());
                        if (ap.durable() != null) {
                            committed = ap.durable().get().offset();
                        }
                    } catch (DiskFullException e) {
                        full = e;
                        refusedAt = p.offset();
                        break;
                    }
                }
                assertNotNull(full, "the file system never filled");
                assertTrue(full.getMessage().startsWith("archive disk full at " + archiveDir + " ("),
                        full.getMessage());
                if (reserve > 0) {
                    assertEquals(committed, refusedAt, "refused at the transaction's first event");
                    assertTrue(data.free() >= reserve - (64 << 10), "stopped at the reserve: " + data.free());
                } else {
                    assertTrue(full.getMessage().contains("No space left on device"), full.getMessage());
                }
                // nothing but committed transactions in the file; the archive is whole and knows where to resume
                assertEquals(committed, Files.size(archiveDir.resolve(Dump.FILE1)));
                w.discardPartialTransaction();
                assertEquals(new BinlogPosition(Dump.FILE1, committed), a.resumePosition().orElseThrow());
                assertTrue(a.verify().filesValid(), a.verify().toString());

                data.resize(16L << 20); // space is back
                assertTrue(a.hasRoomToAppend());
                w.startFile(Dump.FILE1, committed);
                w.appendFormatDescription(Dump.asResumeSends(events.get(0).event()));
                for (Dump.Positioned p : events.subList(1, events.size())) {
                    if (p.offset() >= committed) {
                        w.append(p.event());
                    }
                }
                w.syncNow();
            }
            assertArrayEquals(file, Files.readAllBytes(archiveDir.resolve(Dump.FILE1)));
        }
    }
}
