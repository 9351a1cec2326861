package dev.binlogproxy.tiering;

import dev.binlogproxy.archive.ArchiveReader;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.RetentionPolicy;
import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.file.BinlogFileReader;
import dev.binlogproxy.binlog.position.BinlogPosition;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.jclouds.blobstore.domain.Blob;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.binlogproxy.tiering.TieringTestSupport.await;
import static dev.binlogproxy.tiering.TieringTestSupport.meter;
import static dev.binlogproxy.tiering.TieringTestSupport.names;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole round against a real S3 API (s3proxy on loopback): closed files uploaded with their checksums and
 * verified, never the active one; retention deletes only recorded files; a reader asking for a file only the
 * bucket holds gets it back, byte for byte, and reads on into the archive's own files.
 */
class UploadVerifyPurgeFetchTest {
    @TempDir
    Path tmp;
    private S3Server s3;

    @BeforeEach
    void startStore() throws Exception {
        s3 = S3Server.start(tmp.resolve("s3"));
    }

    @AfterEach
    void stopStore() throws Exception {
        s3.close();
    }

    @Test
    void closedFilesAreUploadedVerifiedPurgedAndServedBack() throws Exception {
        Path dir = tmp.resolve("archive");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (BinlogArchive a = TieringTestSupport.archiveWithFiles(dir, 6);
             Tiering t = Tiering.start(a, s3.settings("db1/"), new TieringMetrics(registry))) {
            List<String> all = names(a);
            byte[][] original = new byte[all.size()][];
            for (int i = 0; i < all.size(); i++) {
                original[i] = Files.readAllBytes(dir.resolve(all.get(i)));
            }
            await("5 closed files uploaded", Duration.ofSeconds(30), () -> t.tiered().size() == 5);
            // never the active (newest) file
            assertEquals(all.subList(0, 5), t.tiered().stream().map(TieredFile::name).toList());
            assertEquals(5.0, meter(registry, "binlog_proxy_tiering_uploads"));
            assertEquals(0.0, meter(registry, "binlog_proxy_tiering_backlog_files"));
            for (int i = 0; i < 5; i++) {
                Blob b = s3.blobStore().getBlob(S3Server.BUCKET, "db1/" + all.get(i));
                assertArrayEquals(original[i], read(b), all.get(i) + " in the bucket");
            }
            assertFalse(s3.blobStore().blobExists(S3Server.BUCKET, "db1/" + all.get(5)));
            // The record is durable: a torn line at the end (a crash while appending) is cut at the next open.
            assertEquals(5, UploadRecord.read(dir).size());

            // Retention removes the local copies, the newest stays.
            assertEquals(all.subList(0, 5), a.purge(RetentionPolicy.keepAll().withMaxFiles(1)));
            assertEquals(List.of(all.get(5)), names(a));
            assertFalse(Files.exists(dir.resolve(all.get(0))));

            // A reader asking for file 2 gets 2..5 back (checked) and reads on into 6, every byte as archived.
            long before = System.nanoTime();
            assertTrue(a.fetchBack(all.get(1)));
            long fetchMs = (System.nanoTime() - before) / 1_000_000;
            assertEquals(all.subList(1, 6), names(a));
            assertEquals(4.0, meter(registry, "binlog_proxy_tiering_fetches"));
            java.util.Map<String, ByteArrayOutputStream> read = new java.util.LinkedHashMap<>();
            try (ArchiveReader r = a.openReader(BinlogPosition.startOf(all.get(1)))) {
                for (BinlogEvent e = r.next(); e != null; e = r.next()) {
                    BinlogPosition end = r.position();
                    ByteArrayOutputStream out = read.computeIfAbsent(end.file(), f -> new ByteArrayOutputStream());
                    if (out.size() == 0) {
                        out.write(BinlogFileReader.MAGIC);
                    }
                    assertEquals(out.size(), end.offset() - e.eventSize(), "events in order, without a gap");
                    out.write(e.toByteArray());
                }
            }
            assertEquals(all.subList(1, 6), List.copyOf(read.keySet()));
            for (int i = 1; i < 5; i++) {
                assertArrayEquals(original[i], read.get(all.get(i)).toByteArray(), all.get(i) + " as read");
            }
            // the newest file's ROTATE names a file that never came: held back, as a master shows it
            byte[] newest = read.get(all.get(5)).toByteArray();
            assertArrayEquals(java.util.Arrays.copyOf(original[5], newest.length), newest);
            // lookups see the fetched files too
            assertTrue(a.findFirstTransactionAt(java.time.Instant.EPOCH).isPresent());
            // file 1 was not asked for: still only in the bucket; an unknown file is not made up
            assertFalse(a.fetchBack(Dump.streamName(99)));
            System.out.printf("fetch-back of 4 files: %d ms%n", fetchMs);
        }
    }

    @Test
    void aTamperedRemoteCopyIsRefusedAndNothingIsListed() throws Exception {
        Path dir = tmp.resolve("archive");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (BinlogArchive a = TieringTestSupport.archiveWithFiles(dir, 3);
             Tiering t = Tiering.start(a, s3.settings(""), new TieringMetrics(registry))) {
            await("2 files uploaded", Duration.ofSeconds(30), () -> t.tiered().size() == 2);
            String first = names(a).get(0);
            a.purge(RetentionPolicy.keepAll().withMaxFiles(1));
            assertFalse(names(a).contains(first));
            // damage the object behind the S3 API: one byte of the stored file
            Blob b = s3.blobStore().getBlob(S3Server.BUCKET, first);
            byte[] bytes = read(b);
            bytes[bytes.length / 2] ^= 1;
            s3.blobStore().putBlob(S3Server.BUCKET, s3.blobStore().blobBuilder(first).payload(bytes).build());
            var e = assertThrows(java.io.IOException.class, () -> a.fetchBack(first));
            assertTrue(e.getMessage().contains("differs from what was uploaded"), e.getMessage());
            assertFalse(names(a).contains(first));
            assertEquals(1.0, meter(registry, "binlog_proxy_tiering_fetch_failures"));
            // fetched newest first: file 2 came back whole and is listed; of file 1 nothing is left
            assertEquals(names(a).get(0), Dump.streamName(2));
            try (var files = Files.list(dir.resolve("tier-cache"))) {
                assertEquals(List.of(Dump.streamName(2)), files.map(p -> p.getFileName().toString()).toList());
            }
        }
    }

    static byte[] read(Blob b) throws Exception {
        try (InputStream in = b.getPayload().openStream()) {
            return in.readAllBytes();
        }
    }
}
