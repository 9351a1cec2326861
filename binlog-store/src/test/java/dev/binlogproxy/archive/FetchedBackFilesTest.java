package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.position.BinlogPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The archive's side of tiering, with a tier that is a directory: purges wait for the tier's record, files come
 * back in front of the oldest as a run without holes, readers cross from fetched copies into the archive's own
 * files, and a fetched copy is a cache (it goes once no reader is in it, and never counts against the limits).
 */
class FetchedBackFilesTest {
    @TempDir
    Path dir;
    @TempDir
    Path remote;

    /** Holds copies in a directory; {@link #verified} says which the "record" has. */
    class DirectoryTier implements Tier {
        final Set<String> verified = ConcurrentHashMap.newKeySet();

        void upload(String name) throws IOException {
            Files.copy(dir.resolve(name), remote.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            verified.add(name);
        }

        @Override
        public boolean holdsVerified(String file) {
            return verified.contains(file);
        }

        @Override
        public List<String> files() {
            List<String> out = new ArrayList<>(verified);
            out.sort(BinlogPosition::compareFiles);
            return out;
        }

        @Override
        public long size(String file) {
            try {
                return verified.contains(file) ? Files.size(remote.resolve(file)) : -1;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public void fetch(String file, Path target) throws IOException {
            Files.copy(remote.resolve(file), target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static List<String> names(BinlogArchive a) {
        return a.files().stream().map(ArchivedFile::name).toList();
    }

    @Test
    void purgeWaitsForTheRecordAndFetchedCopiesComeBackAsACache() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.WRITE)) {
            for (int k = 1; k <= 5; k++) {
                Dump.awaitVisible(Dump.feedFile(a.writer(), Dump.streamName(k), Dump.streamFile(Dump.MYSQL_GTID, k)));
            }
            DirectoryTier tier = new DirectoryTier();
            a.attachTier(tier, dir.resolve("tier-cache"), java.time.Duration.ZERO);
            assertEquals(names(a).subList(0, 4), a.closedLocalFiles().stream().map(ArchivedFile::name).toList());
            // nothing verified: nothing goes, whatever the policy
            assertEquals(List.of(), a.purge(RetentionPolicy.keepAll().withMaxFiles(1)));
            tier.upload(Dump.streamName(1));
            tier.upload(Dump.streamName(3));
            // a prefix only: 1 goes, 2 (unverified) stops the purge before 3
            assertEquals(List.of(Dump.streamName(1)), a.purge(RetentionPolicy.keepAll().withMaxFiles(1)));
            tier.upload(Dump.streamName(2));
            tier.upload(Dump.streamName(4));
            assertEquals(List.of(Dump.streamName(2), Dump.streamName(3), Dump.streamName(4)),
                    a.purge(RetentionPolicy.keepAll().withMaxFiles(1)));
            assertEquals(List.of(Dump.streamName(5)), names(a));

            assertTrue(a.fetchBack(Dump.streamName(2)));
            assertEquals(List.of(2, 3, 4, 5).stream().map(Dump::streamName).toList(), names(a));
            assertTrue(a.isFetchedBack(Dump.streamName(2)));
            assertFalse(Files.exists(dir.resolve(Dump.streamName(2))), "fetched into the cache, not the archive");
            assertEquals(List.of(), a.closedLocalFiles(), "fetched copies are never uploaded again");
            // fetched copies do not count against the limits: file 5 stays though maxFiles is 1 and 4 files list
            ArchiveReader r = a.openReader(BinlogPosition.startOf(Dump.streamName(3)));
            assertEquals(List.of(Dump.streamName(2)), a.purge(RetentionPolicy.keepAll().withMaxFiles(1)));
            // the reader reads across the fetched copies into the archive's own file
            String last = null;
            for (BinlogEvent e = r.next(); e != null; e = r.next()) {
                last = r.position().file();
            }
            assertEquals(Dump.streamName(5), last);
            assertTrue(a.findFirstTransactionAt(java.time.Instant.EPOCH).orElseThrow().file()
                    .equals(Dump.streamName(3)), "lookups scan the fetched copies");
            r.close();
            assertEquals(List.of(Dump.streamName(3), Dump.streamName(4)),
                    a.purge(RetentionPolicy.keepAll()));
            assertEquals(List.of(Dump.streamName(5)), names(a));
            try (var cached = Files.list(dir.resolve("tier-cache"))) {
                assertEquals(0, cached.count());
            }
            // one more back, by the GTID start's way: the file just before the oldest
            assertEquals(Dump.streamName(4), a.fetchBackPrevious().orElseThrow());
            assertEquals(List.of(Dump.streamName(4), Dump.streamName(5)), names(a));
            assertFalse(a.fetchBack(Dump.streamName(9)));
        }
        // a reopen lists only the archive's own files (the cache is emptied at the next attach)
        try (BinlogArchive a = BinlogArchive.open(dir)) {
            assertEquals(List.of(Dump.streamName(5)), names(a));
            assertTrue(a.verify().ok());
        }
    }

    @Test
    void aFetchNeverTakesTheReserveTheMirrorNeeds() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.WRITE)) {
            for (int k = 1; k <= 3; k++) {
                Dump.awaitVisible(Dump.feedFile(a.writer(), Dump.streamName(k), Dump.streamFile(Dump.MYSQL_GTID, k)));
            }
        }
        // reopened with a reserve larger than the free space: appends would stop, and so does a fetch
        long free = Files.getFileStore(dir).getUsableSpace();
        try (BinlogArchive a = BinlogArchive.open(dir, Durability.WRITE, free + (1L << 30))) {
            DirectoryTier tier = new DirectoryTier();
            a.attachTier(tier, dir.resolve("tier-cache"), java.time.Duration.ZERO);
            tier.upload(Dump.streamName(1));
            assertEquals(List.of(Dump.streamName(1)), a.purge(RetentionPolicy.keepAll().withMaxFiles(1)));
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                    () -> a.fetchBack(Dump.streamName(1)));
            assertTrue(e.getMessage().startsWith("no room to fetch " + Dump.streamName(1)), e.getMessage());
            assertEquals(List.of(Dump.streamName(2), Dump.streamName(3)), names(a));
        }
    }

    @Test
    void aPurgeDuringAFetchLeavesNoHole() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.WRITE)) {
            for (int k = 1; k <= 5; k++) {
                Dump.awaitVisible(Dump.feedFile(a.writer(), Dump.streamName(k), Dump.streamFile(Dump.MYSQL_GTID, k)));
            }
            List<List<String>> purgedDuringFetch = new ArrayList<>();
            // retention runs while each file downloads (its thread is not the fetching one in the proxy; the
            // effect on the inventory is the same)
            DirectoryTier tier = new DirectoryTier() {
                @Override
                public void fetch(String file, Path target) throws IOException {
                    purgedDuringFetch.add(a.purge(RetentionPolicy.keepAll().withMaxFiles(1)));
                    super.fetch(file, target);
                }
            };
            a.attachTier(tier, dir.resolve("tier-cache"), java.time.Duration.ZERO);
            for (int k = 1; k <= 4; k++) {
                tier.upload(Dump.streamName(k));
            }
            assertEquals(List.of(1, 2, 3).stream().map(Dump::streamName).toList(),
                    a.purge(RetentionPolicy.keepAll().withMaxFiles(2)));
            assertTrue(a.fetchBack(Dump.streamName(2)));
            // file 4 (verified, over maxFiles) stayed while 3 and 2 were fetched in front of it
            assertEquals(List.of(List.of(), List.of()), purgedDuringFetch);
            assertEquals(List.of(2, 3, 4, 5).stream().map(Dump::streamName).toList(), names(a));
            String last = null;
            try (ArchiveReader r = a.openReader(BinlogPosition.startOf(Dump.streamName(2)))) {
                for (BinlogEvent e = r.next(); e != null; e = r.next()) {
                    last = r.position().file();
                }
            }
            assertEquals(Dump.streamName(5), last);
        }
    }
}

