package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.position.BinlogPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RetentionNeverDeletesAFileInUseTest {
    @TempDir
    Path dir;

    private BinlogArchive archiveWithFiles(int n) throws Exception {
        BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.WRITE);
        for (int k = 1; k <= n; k++) {
            List<Appended> ap = Dump.feedFile(a.writer(), Dump.streamName(k), Dump.streamFile(Dump.MYSQL_GTID, k));
            ap.get(ap.size() - 1).durable().get();
        }
        return a;
    }

    private static List<String> names(BinlogArchive a) {
        return a.files().stream().map(ArchivedFile::name).toList();
    }

    @Test
    void byCountStopsAtTheFileAReaderIsIn() throws Exception {
        try (BinlogArchive a = archiveWithFiles(5)) {
            ArchiveReader reader = a.openReader(BinlogPosition.startOf(Dump.streamName(3)));
            assertEquals(List.of(Dump.streamName(1), Dump.streamName(2)), a.purge(RetentionPolicy.keepAll()
                    .withMaxFiles(1)));
            assertTrue(Files.exists(dir.resolve(Dump.streamName(3))));
            // The reader moves on to file 4: file 3 may go now, file 4 may not.
            while (!reader.position().file().equals(Dump.streamName(4)) && reader.next() != null) {
                // read
            }
            reader.next();
            assertEquals(Dump.streamName(4), reader.position().file());
            assertEquals(List.of(Dump.streamName(3)), a.purge(RetentionPolicy.keepAll().withMaxFiles(1)));
            reader.close();
            assertEquals(List.of(Dump.streamName(4)), a.purge(RetentionPolicy.keepAll().withMaxFiles(1)));
            assertEquals(List.of(Dump.streamName(5)), names(a));
            // Never the newest, whatever the policy says.
            assertEquals(List.of(), a.purge(RetentionPolicy.keepAll().withMaxTotalBytes(1)));
            VerifyReport report = a.verify();
            assertTrue(report.ok(), report::toString);
        }
    }

    @Test
    void bySizeAndByAge() throws Exception {
        try (BinlogArchive a = archiveWithFiles(6)) {
            long total = a.files().stream().mapToLong(ArchivedFile::size).sum();
            long first = a.files().get(0).size();
            long second = a.files().get(1).size();
            assertEquals(List.of(Dump.streamName(1), Dump.streamName(2)),
                    a.purge(RetentionPolicy.keepAll().withMaxTotalBytes(total - first - second)));
            Instant now = Instant.now();
            Files.setLastModifiedTime(dir.resolve(Dump.streamName(3)), FileTime.from(now.minus(Duration.ofDays(8))));
            Files.setLastModifiedTime(dir.resolve(Dump.streamName(4)), FileTime.from(now.minus(Duration.ofDays(2))));
            assertEquals(List.of(Dump.streamName(3)), a.purge(RetentionPolicy.keepAll().withMaxAge(Duration.ofDays(7)),
                    now));
            assertEquals(List.of(Dump.streamName(4), Dump.streamName(5), Dump.streamName(6)), names(a));
            // Lookups skip what was purged; the index still agrees with what is left.
            VerifyReport report = a.verify();
            assertTrue(report.ok(), report::toString);
        }
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(IndexJournal.Outcome.IN_SYNC, a.index().outcome());
            assertTrue(a.verify().ok());
        }
    }
}
