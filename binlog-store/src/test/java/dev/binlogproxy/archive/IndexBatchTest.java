package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MySqlGtid;
import dev.binlogproxy.binlog.txn.EventRole;
import net.openhft.chronicle.bytes.Bytes;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The index journal's document layout: what is written reads back exactly, compactly, and garbage is refused. */
class IndexBatchTest {
    private static final String FILE = "mysql-bin.000042";

    @Test
    void aMixOfEveryKindOfEntryReadsBackExactly() {
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        List<IndexEntry> entries = new ArrayList<>();
        long at = 4;
        at = add(entries, at, 0, 120, 15, 1_700_000_000L, EventRole.CONTROL, null); // FDE
        at = add(entries, at, 0, 71, 35, 1_700_000_000L, EventRole.START, new MySqlGtid(a, 1));
        at = add(entries, at, 0, 71, 35, 1_700_000_003L, EventRole.START, new MySqlGtid(a, 2));
        at = add(entries, at, 0, 71, 35, 1_699_999_990L, EventRole.START, new MySqlGtid(b, 7)); // older time
        at = add(entries, at, 0, 71, 35, 1_700_000_004L, EventRole.START, new MySqlGtid(a, MySqlGtid.MAX_GNO));
        at = add(entries, at, 17, 200, 2, 1_700_000_004L, EventRole.COMPLETE, null); // after a cut: a gap
        at = add(entries, at, 0, 38, 162, 0xFFFF_FFFFL, EventRole.START, new MariaGtid(0, 1, 5));
        at = add(entries, at, 0, 38, 162, 0, EventRole.START, new MariaGtid(0, 1, -1L)); // unsigned seq max
        at = add(entries, at, 0, 38, 162, 5, EventRole.START,
                new MariaGtid(MariaGtid.MAX_U32, MariaGtid.MAX_U32, 6));
        add(entries, at, 0, 44, 4, 5, EventRole.CONTROL, null); // ROTATE

        Bytes<?> bytes = Bytes.allocateElasticOnHeap();
        IndexBatch.write(bytes, entries, 0, entries.size());
        assertEquals(entries, IndexBatch.read(bytes));
        assertEquals(0, bytes.readRemaining());

        Bytes<?> part = Bytes.allocateElasticOnHeap();
        IndexBatch.write(part, entries, 3, 7);
        assertEquals(entries.subList(3, 7), IndexBatch.read(part));
    }

    @Test
    void theScratchEncodesStopBitsAsChronicleDoes() {
        // Journals written before the scratch (every value by Chronicle's writeStopBit) must read the same, and
        // documents written now must read with Chronicle's readStopBit: the bytes must be Chronicle's own.
        long[] values = {0, 1, 0x7F, 0x80, 0x3FFF, 0x4000, 0x1F_FFFF, 0x20_0000, 0xFFFF_FFFFL, 1L << 35,
                Long.MAX_VALUE, -1, Long.MIN_VALUE, -0x80};
        Random random = new Random(7);
        List<Long> all = new ArrayList<>();
        for (long v : values) {
            all.add(v);
        }
        for (int i = 0; i < 10_000; i++) {
            all.add(random.nextLong() >>> random.nextInt(64));
        }
        for (long v : all) {
            Bytes<?> theirs = Bytes.allocateElasticOnHeap();
            theirs.writeStopBit(v);
            Bytes<?> ours = Bytes.allocateElasticOnHeap();
            IndexBatch.Scratch s = new IndexBatch.Scratch();
            s.stopBit(v, ours);
            s.drainTo(ours);
            assertEquals(theirs.toHexString(), ours.toHexString(), "value " + v);
        }
    }

    @Test
    void aTransactionOfOneSourceAfterAnotherCostsAboutTenBytes() {
        UUID source = UUID.randomUUID();
        List<IndexEntry> mysql = new ArrayList<>();
        List<IndexEntry> maria = new ArrayList<>();
        long at = 4;
        long atMaria = 4;
        for (int i = 0; i < 1000; i++) {
            at = add(mysql, at, 0, 79, 240 + i % 300, 1_700_000_000L + i / 100, EventRole.START,
                    new MySqlGtid(source, 1_000_000 + i));
            atMaria = add(maria, atMaria, 0, 38, 180 + i % 300, 1_700_000_000L + i / 100, EventRole.START,
                    new MariaGtid(0, 1, 1_000_000 + i));
        }
        for (List<IndexEntry> entries : List.of(mysql, maria)) {
            Bytes<?> bytes = Bytes.allocateElasticOnHeap();
            IndexBatch.write(bytes, entries, 0, entries.size());
            long size = bytes.readRemaining();
            assertEquals(entries, IndexBatch.read(bytes));
            assertTrue(size <= 12L * entries.size(), size + " bytes for " + entries.size() + " entries");
        }
    }

    @Test
    void entriesOfTwoFilesOrOutOfOrderAreNotOneDocument() {
        List<IndexEntry> entries = new ArrayList<>();
        add(entries, 4, 0, 120, 15, 1, EventRole.CONTROL, null);
        entries.add(new IndexEntry("mysql-bin.000043", 4, 120, 15, 1, EventRole.CONTROL, null, null));
        Bytes<?> bytes = Bytes.allocateElasticOnHeap();
        assertThrows(IllegalArgumentException.class, () -> IndexBatch.write(bytes, entries, 0, 2));
        List<IndexEntry> backwards = new ArrayList<>();
        add(backwards, 500, 0, 120, 15, 1, EventRole.CONTROL, null);
        add(backwards, 4, 0, 120, 15, 1, EventRole.CONTROL, null);
        assertThrows(IllegalArgumentException.class, () -> IndexBatch.write(bytes, backwards, 0, 2));
    }

    @Test
    void aDocumentOfAnotherVersionOrCutShortIsRefused() {
        List<IndexEntry> entries = new ArrayList<>();
        long at = add(entries, 4, 0, 120, 15, 1, EventRole.CONTROL, null);
        add(entries, at, 0, 38, 162, 2, EventRole.START, new MariaGtid(0, 1, 5));
        Bytes<?> bytes = Bytes.allocateElasticOnHeap();
        IndexBatch.write(bytes, entries, 0, entries.size());
        byte[] whole = bytes.toByteArray();

        byte[] v1 = whole.clone();
        v1[0] = 1; // the layout of one entry per document, before this one
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> IndexBatch.read(wrap(v1)));
        assertTrue(e.getMessage().contains("version 1"), e.getMessage());

        for (int cut = 1; cut < whole.length; cut++) {
            byte[] shortened = java.util.Arrays.copyOf(whole, cut);
            assertThrows(RuntimeException.class, () -> IndexBatch.read(wrap(shortened)), "cut at " + cut);
        }
    }

    @Test
    void flippedBytesAreRefused() {
        // Chronicle checks no content; the document's CRC-32 does: any one flipped bit is refused, never read as
        // other entries (and never a hang or an error that is not a RuntimeException).
        List<IndexEntry> entries = new ArrayList<>();
        long at = 4;
        UUID source = UUID.randomUUID();
        for (int i = 0; i < 20; i++) {
            at = add(entries, at, 0, 79, 300, 1_700_000_000L + i, EventRole.START, new MySqlGtid(source, i + 1));
        }
        Bytes<?> bytes = Bytes.allocateElasticOnHeap();
        IndexBatch.write(bytes, entries, 0, entries.size());
        byte[] whole = bytes.toByteArray();
        Random random = new Random(42);
        for (int i = 0; i < 2000; i++) {
            byte[] flipped = whole.clone();
            flipped[random.nextInt(flipped.length)] ^= (byte) (1 << random.nextInt(8));
            assertThrows(RuntimeException.class, () -> IndexBatch.read(wrap(flipped)), "flip " + i);
        }
    }

    /**
     * A page of the journal lost at a power loss reads as zeros, and zeros are a valid tail of an entry (no GTID,
     * the same timestamp, no span beyond the event): a document whose bytes are zeros from any point on is refused,
     * wherever the point falls (crash images found one from the GTID kind of a document's last entry on).
     */
    @Test
    void aDocumentZeroedFromAnyPointOnIsRefused() {
        List<IndexEntry> entries = new ArrayList<>();
        long at = add(entries, 4, 0, 120, 15, 1_700_000_000L, EventRole.CONTROL, null);
        for (int i = 0; i < 6; i++) {
            at = add(entries, at, 0, 42, 162, 1_700_000_000L + i, EventRole.START, new MariaGtid(0, 101, 300 + i));
        }
        Bytes<?> bytes = Bytes.allocateElasticOnHeap();
        IndexBatch.write(bytes, entries, 0, entries.size());
        byte[] whole = bytes.toByteArray();
        assertEquals(entries, IndexBatch.read(wrap(whole)));
        for (int from = 1; from < whole.length; from++) {
            byte[] zeroed = whole.clone();
            java.util.Arrays.fill(zeroed, from, zeroed.length, (byte) 0);
            assertThrows(RuntimeException.class, () -> IndexBatch.read(wrap(zeroed)), "zeros from " + from);
        }
    }

    private static Bytes<?> wrap(byte[] b) {
        Bytes<?> bytes = Bytes.allocateElasticOnHeap();
        bytes.write(b);
        return bytes;
    }

    /** Adds an entry whose first event is {@code length} bytes and whose span is {@code span} bytes; its end. */
    private static long add(List<IndexEntry> to, long at, long gap, int length, int span, long timestamp,
                            EventRole role, Object gtid) {
        MySqlGtid mysql = gtid instanceof MySqlGtid m ? m : null;
        MariaGtid maria = gtid instanceof MariaGtid m ? m : null;
        long offset = at + gap;
        int type = mysql != null ? 33 : maria != null ? 162 : role == EventRole.CONTROL ? 15 : 2;
        long spanEnd = offset + Math.max(length, span);
        to.add(new IndexEntry(FILE, offset, length, type, timestamp, role, mysql, maria, spanEnd));
        return spanEnd;
    }
}
