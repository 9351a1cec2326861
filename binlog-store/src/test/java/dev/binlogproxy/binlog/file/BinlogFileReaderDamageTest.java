package dev.binlogproxy.binlog.file;

import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.SyntheticBinlog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Damaged files must be reported precisely: where the valid part ends and whether a cut repairs the file. */
class BinlogFileReaderDamageTest {
    @TempDir
    Path dir;

    private static SyntheticBinlog sample(ChecksumAlgorithm alg) {
        return SyntheticBinlog.mysql(alg).transaction().ddl("CREATE TABLE t (id INT)").transaction()
                .transaction().rotate("mysql-bin.000002");
    }

    private Path write(byte[] bytes) throws IOException {
        Path p = dir.resolve("mysql-bin.000001");
        Files.write(p, bytes);
        return p;
    }

    @ParameterizedTest
    @EnumSource(ChecksumAlgorithm.class)
    void intactFileIsValidAndCountsTransactions(ChecksumAlgorithm alg) throws IOException {
        SyntheticBinlog b = sample(alg);
        BinlogFileSummary s = BinlogFileSummary.scan(write(b.bytes()));
        assertTrue(s.isValid(), () -> s.damage().toString());
        assertEquals(4, s.transactions());
        assertEquals(b.offsets().size(), s.events());
        assertEquals(b.size(), s.validEnd());
        assertEquals(b.size(), s.lastBoundary());
        assertFalse(s.endsInTransaction());
        assertEquals("mysql-bin.000002", s.rotate().orElseThrow().nextFile());
    }

    @ParameterizedTest
    @EnumSource(ChecksumAlgorithm.class)
    void everyTruncationIsATruncatedTailAtTheStartOfTheCutEvent(ChecksumAlgorithm alg) throws IOException {
        SyntheticBinlog b = sample(alg);
        byte[] full = b.bytes();
        List<Long> starts = b.offsets();
        for (int cut = 0; cut < full.length; cut++) {
            BinlogFileSummary s = BinlogFileSummary.scan(write(Arrays.copyOf(full, cut)));
            int len = cut;
            if (starts.contains((long) cut)) {
                // A cut exactly between events is a valid (shorter) file.
                assertTrue(s.isValid(), () -> "cut at " + len + ": " + s.damage());
                assertEquals(cut, s.validEnd());
                continue;
            }
            BinlogDamage d = s.damage().orElseThrow(() -> new AssertionError("cut at " + len + " not detected"));
            assertEquals(BinlogDamage.Kind.TRUNCATED_TAIL, d.kind(), () -> "cut at " + len + ": " + d);
            long expectedStart = cut < 4 ? 0 : starts.stream().filter(o -> o <= len).max(Long::compare).orElse(4L);
            assertEquals(expectedStart, d.offset(), () -> "cut at " + len + ": " + d);
            assertEquals(cut < 4 ? 0 : expectedStart, s.validEnd());
        }
    }

    @Test
    void flippedByteInTheMiddleIsCorruptionAtThatEvent() throws IOException {
        SyntheticBinlog b = sample(ChecksumAlgorithm.CRC32);
        List<Long> starts = b.offsets();
        byte[] full = b.bytes();
        for (int i = 1; i < starts.size() - 1; i++) {
            long start = starts.get(i);
            long end = starts.get(i + 1);
            // a byte in the body of event i (after the header, before the trailer)
            int at = (int) (start + 19 + (end - start - 23) / 2);
            byte[] broken = full.clone();
            broken[at] ^= 0x40;
            BinlogFileSummary s = BinlogFileSummary.scan(write(broken));
            BinlogDamage d = s.damage().orElseThrow(() -> new AssertionError("flip at " + at + " not detected"));
            assertEquals(BinlogDamage.Kind.CORRUPT, d.kind(), d::toString);
            assertEquals(start, d.offset(), d::toString);
            assertTrue(d.reason().contains("checksum mismatch"), d::toString);
        }
    }

    @Test
    void corruptLastEventIsADamagedTail() throws IOException {
        SyntheticBinlog b = sample(ChecksumAlgorithm.CRC32);
        byte[] broken = b.bytes();
        broken[broken.length - 6] ^= 1;
        BinlogDamage d = BinlogFileSummary.scan(write(broken)).damage().orElseThrow();
        assertEquals(BinlogDamage.Kind.TRUNCATED_TAIL, d.kind());
        assertEquals(b.offsets().get(b.offsets().size() - 1), d.offset());
    }

    @Test
    void brokenLogPosChainIsFoundWithoutChecksums() throws IOException {
        SyntheticBinlog b = sample(ChecksumAlgorithm.OFF);
        byte[] broken = b.bytes();
        int third = b.offsets().get(3).intValue();
        ByteBuffer bb = ByteBuffer.wrap(broken).order(ByteOrder.LITTLE_ENDIAN);
        bb.putInt(third + 13, bb.getInt(third + 13) + 1);
        BinlogDamage d = BinlogFileSummary.scan(write(broken)).damage().orElseThrow();
        assertEquals(BinlogDamage.Kind.CORRUPT, d.kind());
        assertEquals(third, d.offset());
        assertTrue(d.reason().contains("log_pos"), d::toString);
    }

    @Test
    void badMagicIsCorruptAtZero() throws IOException {
        byte[] broken = sample(ChecksumAlgorithm.CRC32).bytes();
        broken[1] = 'x';
        BinlogDamage d = BinlogFileSummary.scan(write(broken)).damage().orElseThrow();
        assertEquals(BinlogDamage.Kind.CORRUPT, d.kind());
        assertEquals(0, d.offset());
        assertTrue(d.reason().contains("magic"));
    }

    @Test
    void corruptFormatDescriptionIsDetectedEvenWithChecksumNone() throws IOException {
        SyntheticBinlog b = sample(ChecksumAlgorithm.OFF);
        byte[] broken = b.bytes();
        broken[4 + 19 + 5] ^= 1; // inside the server version
        BinlogDamage d = BinlogFileSummary.scan(write(broken)).damage().orElseThrow();
        assertEquals(4, d.offset());
        assertTrue(d.reason().contains("FORMAT_DESCRIPTION checksum"), d::toString);
    }

    @Test
    void eventSizeBelowHeaderLengthIsCorrupt() throws IOException {
        SyntheticBinlog b = sample(ChecksumAlgorithm.CRC32);
        byte[] broken = b.bytes();
        int second = b.offsets().get(1).intValue();
        ByteBuffer.wrap(broken).order(ByteOrder.LITTLE_ENDIAN).putInt(second + 9, 7);
        BinlogDamage d = BinlogFileSummary.scan(write(broken)).damage().orElseThrow();
        assertEquals(BinlogDamage.Kind.CORRUPT, d.kind());
        assertEquals(second, d.offset());
        assertTrue(d.reason().contains("event_size 7"), d::toString);
    }

    @Test
    void openFileEndingInsideATransactionIsValidButNotAtABoundary() throws IOException {
        SyntheticBinlog b = SyntheticBinlog.mysql(ChecksumAlgorithm.CRC32).transaction().gtid().query("BEGIN").rows(10);
        BinlogFileSummary s = BinlogFileSummary.scan(write(b.bytes()));
        assertTrue(s.isValid());
        assertTrue(s.endsInTransaction());
        assertEquals(1, s.transactions());
        assertEquals(b.offsets().get(b.offsets().size() - 3), s.lastBoundary());
        assertEquals(b.size(), s.validEnd());
    }

    @Test
    void growingFileCanBeReadFurtherAfterEndOfData() throws Exception {
        SyntheticBinlog b = sample(ChecksumAlgorithm.CRC32);
        byte[] full = b.bytes();
        int firstPart = b.offsets().get(4).intValue();
        Path p = write(Arrays.copyOf(full, firstPart));
        try (BinlogFileReader r = BinlogFileReader.open(p)) {
            int n = 0;
            while (r.next() != null) {
                n++;
            }
            assertEquals(4, n);
            Files.write(p, Arrays.copyOfRange(full, firstPart, full.length), java.nio.file.StandardOpenOption.APPEND);
            while (r.next() != null) {
                n++;
            }
            assertEquals(b.offsets().size(), n);
            assertEquals(full.length, r.position());
        }
    }
}
