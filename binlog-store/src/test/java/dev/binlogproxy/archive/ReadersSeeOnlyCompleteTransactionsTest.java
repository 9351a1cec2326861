package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.position.BinlogPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReadersSeeOnlyCompleteTransactionsTest {
    @TempDir
    Path dir;

    private final byte[] f1 = Dump.bytes(Dump.MYSQL_GTID, Dump.FILE1);
    private final List<Dump.Positioned> events = Dump.events(f1);

    @ParameterizedTest
    @EnumSource(Durability.class)
    void aReaderStopsAtTheLastCompleteTransaction(Durability durability) throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, durability)) {
            ArchiveWriter w = a.writer();
            w.startFile(Dump.FILE1, 4);
            w.appendFormatDescription(events.get(0).event()).durable().get();
            assertThrows(ArchiveException.class, () -> a.openReader(BinlogPosition.startOf(Dump.FILE1)),
                    "a file is listed only with its head");
            w.append(events.get(1).event()).durable().get();
            try (ArchiveReader r = a.openReader(BinlogPosition.startOf(Dump.FILE1))) {
                assertEquals(events.get(0).event(), r.next());
                assertEquals(events.get(1).event(), r.next());
                long readTo = events.get(1).end();
                long lastBoundary = readTo;
                for (Dump.Positioned p : events.subList(2, events.size() - 1)) {
                    Appended ap = w.append(p.event());
                    if (ap.durable() != null) {
                        ap.durable().get();
                        lastBoundary = ap.end().offset();
                    }
                    // Whatever is readable now ends exactly at the last boundary: never inside a transaction.
                    for (BinlogEvent e = r.next(); e != null; e = r.next()) {
                        readTo += e.eventSize();
                        assertEquals(readTo, e.logPos());
                    }
                    assertEquals(lastBoundary, r.position().offset(), "after " + p.event());
                }
                Dump.Positioned rotate = events.get(events.size() - 1);
                assertEquals(rotate.offset(), r.position().offset());
                assertEquals(f1.length, w.append(rotate.event()).durable().get().offset());
                assertNull(r.next(), "the ROTATE waits for the next file's head");
                assertEquals(rotate.offset(), r.position().offset());
            }
        }
    }

    @Test
    void aTailingReaderIsWokenByALaterCommit() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.FSYNC)) {
            ArchiveWriter w = a.writer();
            w.startFile(Dump.FILE1, 4);
            w.appendFormatDescription(events.get(0).event());
            w.append(events.get(1).event()).durable().get();
            try (ArchiveReader r = a.openReader(new BinlogPosition(Dump.FILE1, events.get(1).end()))) {
                CompletableFuture<BinlogEvent> got = CompletableFuture.supplyAsync(() -> {
                    try {
                        return r.next(Duration.ofSeconds(20));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                Thread.sleep(100);
                assertTrue(!got.isDone(), "nothing to read yet");
                // GTID + DDL: a whole transaction; the reader wakes as soon as it is committed.
                w.append(events.get(2).event());
                long t0 = System.nanoTime();
                Appended end = w.append(events.get(3).event());
                BinlogEvent first = got.get(10, TimeUnit.SECONDS);
                long wokeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertEquals(new BinlogPosition(Dump.FILE1, events.get(3).end()), end.durable().get());
                assertEquals(events.get(2).event(), first);
                assertEquals(events.get(3).event(), r.next());
                assertTrue(wokeMs < 5_000, "woken after " + wokeMs + " ms");
            }
        }
    }

    @Test
    void viewedEntriesShowTheFileBytesAndCopiedOnesStayCopies() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.WRITE)) {
            Dump.feedFile(a.writer(), Dump.FILE1, f1).get(events.size() - 1).durable().get();
            Dump.feedHead(a.writer(), Dump.FILE2, Dump.bytes(Dump.MYSQL_GTID, Dump.FILE2)).durable().get();
            byte[] onDisk = java.nio.file.Files.readAllBytes(a.directory().resolve(Dump.FILE1));
            int viewed = 0;
            try (ArchiveReader r = a.openReader(BinlogPosition.startOf(Dump.FILE1))) {
                for (Dump.Positioned p : events) {
                    // copy GTIDs, view the rest (ROTATE is always copied)
                    ArchiveReader.Entry e = r.nextEntry(Long.MAX_VALUE, t -> t == EventType.GTID.code(), 64 * 1024);
                    assertNotNull(e, "entry at " + p.offset());
                    assertEquals(p.offset(), e.offset());
                    assertEquals(p.event().typeCode(), e.typeCode());
                    assertEquals(p.event().flags(), e.flags());
                    byte[] want = java.util.Arrays.copyOfRange(onDisk, (int) e.offset(), (int) e.end());
                    int type = p.event().typeCode();
                    if (type == EventType.GTID.code() || type == EventType.ROTATE.code()) {
                        assertNull(e.view(), "copied: " + p.event());
                        assertTrue(java.util.Arrays.equals(want, e.event().toByteArray()));
                    } else {
                        assertNull(e.event(), "viewed: " + p.event());
                        assertTrue(!e.isRegion() && e.bodyUnread());
                        byte[] got = new byte[e.view().remaining()];
                        e.view().duplicate().get(got);
                        assertTrue(java.util.Arrays.equals(want, got), "view of " + p.event());
                        viewed++;
                    }
                }
                assertEquals(EventType.FORMAT_DESCRIPTION.code(),
                        r.nextEntry(Long.MAX_VALUE, t -> true, 64 * 1024).typeCode(), "then the next file");
            }
            assertTrue(viewed > 0, "some events were viewed");
        }
    }

    @Test
    void aReaderFarBehindReadsTheSameBytesThroughMappingsAndRetiresEach() throws Exception {
        // The second file (71 KB) starts the archive. With 8 KiB mappings its small events come from a mapping,
        // its 70 KB row event (larger than a mapping) from pread, and the events after it from a new mapping.
        byte[] f2 = Dump.bytes(Dump.MYSQL_GTID, Dump.FILE2);
        List<Dump.Positioned> events = Dump.events(f2);
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.WRITE)) {
            List<Appended> fed = Dump.feedFile(a.writer(), Dump.FILE2, f2);
            fed.get(fed.size() - 1).durable().get();
            byte[] onDisk = java.nio.file.Files.readAllBytes(a.directory().resolve(Dump.FILE2));
            List<Runnable> retired = new java.util.ArrayList<>();
            int beforeClose;
            try (ArchiveReader r = a.openReader(BinlogPosition.startOf(Dump.FILE2))) {
                r.mapping(0, 8192);
                r.mappedViews(retired::add);
                for (Dump.Positioned p : events) {
                    ArchiveReader.Entry e = r.nextEntry(Long.MAX_VALUE, t -> t == EventType.GTID.code(), 64 * 1024);
                    assertNotNull(e, "entry at " + p.offset());
                    assertEquals(p.offset(), e.offset());
                    byte[] want = java.util.Arrays.copyOfRange(onDisk, (int) e.offset(), (int) e.end());
                    byte[] got;
                    if (e.view() != null) {
                        got = new byte[e.view().remaining()];
                        e.view().duplicate().get(got);
                    } else {
                        got = e.event().toByteArray();
                    }
                    assertTrue(java.util.Arrays.equals(want, got), "bytes of " + p.event());
                }
                assertNull(r.nextEntry(Long.MAX_VALUE, t -> false, 64 * 1024));
                assertEquals(1, retired.size(), "the first mapping was given back when the large event came");
                beforeClose = retired.size();
            }
            // close retires the last mapping; running the actions unmaps (the reader no longer touches them)
            retired.forEach(Runnable::run);
            assertEquals(beforeClose + 1, retired.size());
            // and a new reader without mappings reads the same file as before
            try (ArchiveReader r = a.openReader(BinlogPosition.startOf(Dump.FILE2))) {
                int n = 0;
                while (r.next() != null) {
                    n++;
                }
                assertEquals(events.size(), n);
            }
        }
    }

    /**
     * A file truncated under a reader's mapping (by something outside the archive): the reader's next look at a
     * page past the new end faults, and that is an IOException naming the file, not an Error out of the reader.
     */
    @Test
    void aFileTruncatedUnderAMappingIsReportedAsDamage() throws Exception {
        byte[] f2 = Dump.bytes(Dump.MYSQL_GTID, Dump.FILE2);
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.WRITE)) {
            List<Appended> fed = Dump.feedFile(a.writer(), Dump.FILE2, f2);
            fed.get(fed.size() - 1).durable().get();
            try (ArchiveReader r = a.openReader(BinlogPosition.startOf(Dump.FILE2))) {
                // one 1 MB mapping holds the whole file once the FDE (read at open) is passed
                r.mapping(0, 1 << 20);
                r.mappedViews(Runnable::run);
                while (r.position().offset() <= 8192) {
                    assertNotNull(r.nextEntry(Long.MAX_VALUE, t -> false, 64 * 1024));
                }
                try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(
                        a.directory().resolve(Dump.FILE2), java.nio.file.StandardOpenOption.WRITE)) {
                    ch.truncate(200);
                }
                java.io.IOException e = assertThrows(java.io.IOException.class,
                        () -> r.nextEntry(Long.MAX_VALUE, t -> false, 64 * 1024));
                assertTrue(e.getMessage().contains("changed under the reader"), e.getMessage());
            }
        }
    }

    @Test
    void oneCommitWakesEveryTailingReader() throws Exception {
        int readers = 32;
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.WRITE)) {
            ArchiveWriter w = a.writer();
            w.startFile(Dump.FILE1, 4);
            w.appendFormatDescription(events.get(0).event());
            w.append(events.get(1).event()).durable().get();
            List<ArchiveReader> rs = new java.util.ArrayList<>();
            List<CompletableFuture<BinlogEvent>> got = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < readers; i++) {
                    ArchiveReader r = a.openReader(new BinlogPosition(Dump.FILE1, events.get(1).end()));
                    rs.add(r);
                    got.add(CompletableFuture.supplyAsync(() -> {
                        try {
                            return r.next(Duration.ofSeconds(30));
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }, runnable -> new Thread(runnable).start()));
                }
                Thread.sleep(200);
                for (CompletableFuture<BinlogEvent> g : got) {
                    assertTrue(!g.isDone(), "nothing to read yet");
                }
                w.append(events.get(2).event());
                w.append(events.get(3).event()).durable().get();
                for (CompletableFuture<BinlogEvent> g : got) {
                    assertEquals(events.get(2).event(), g.get(20, TimeUnit.SECONDS));
                }
            } finally {
                rs.forEach(ArchiveReader::close);
            }
        }
    }

    @Test
    void aTailingReaderGetsTheRotateWithTheNextFileAndReadsOnIntoItsHead() throws Exception {
        byte[] f2 = Dump.archived(Dump.bytes(Dump.MYSQL_GTID, Dump.FILE2));
        List<Dump.Positioned> events2 = Dump.events(f2);
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.FSYNC)) {
            Dump.feedFile(a.writer(), Dump.FILE1, f1).get(events.size() - 1).durable().get();
            try (ArchiveReader r = a.openReader(new BinlogPosition(Dump.FILE1, events.get(events.size() - 2).end()))) {
                assertNull(r.next(Duration.ofMillis(50)), "the ROTATE names mysql-bin.000002, which is not listed yet");
                CompletableFuture<BinlogEvent> got = CompletableFuture.supplyAsync(() -> {
                    try {
                        return r.next(Duration.ofSeconds(20));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                Dump.feedFile(a.writer(), Dump.FILE2, f2);
                BinlogEvent rotate = got.get(10, TimeUnit.SECONDS);
                assertEquals(EventType.ROTATE, rotate.type());
                // The rest is readable without waiting: the next file was listed with its head.
                BinlogEvent fde = r.next();
                assertEquals(EventType.FORMAT_DESCRIPTION, fde.type());
                assertEquals(new BinlogPosition(Dump.FILE2, 4 + fde.eventSize()), r.position());
                assertNotNull(r.formatDescription());
                assertEquals(events2.get(1).event(), r.next());
                assertEquals(EventType.PREVIOUS_GTIDS, events2.get(1).event().type());
            }
        }
    }

    @Test
    void positionsMustBeEventStarts() throws Exception {
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.WRITE)) {
            Dump.feedFile(a.writer(), Dump.FILE1, f1).get(events.size() - 1).durable().get();
            Dump.feedHead(a.writer(), Dump.FILE2, Dump.bytes(Dump.MYSQL_GTID, Dump.FILE2)).durable().get();
            // Every event end is a valid start, inside a transaction too (as for a master).
            for (Dump.Positioned p : events) {
                try (ArchiveReader r = a.openReader(new BinlogPosition(Dump.FILE1, p.end()))) {
                    assertEquals(p.end(), r.position().offset());
                }
            }
            for (long bad : new long[] {5, events.get(3).offset() + 1, events.get(9).offset() + 19}) {
                ArchiveException e = assertThrows(ArchiveException.class,
                        () -> a.openReader(new BinlogPosition(Dump.FILE1, bad)));
                assertTrue(e.getMessage().contains("not the start of an event"), e.getMessage());
            }
            ArchiveException beyond = assertThrows(ArchiveException.class,
                    () -> a.openReader(new BinlogPosition(Dump.FILE1, f1.length + 100)));
            assertTrue(beyond.getMessage().contains("up to " + f1.length), beyond.getMessage());
            assertThrows(ArchiveException.class, () -> a.openReader(BinlogPosition.startOf("mysql-bin.000009")));
        }
    }

    @Test
    void readersFailOnceTheArchiveCloses() throws Exception {
        BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.WRITE);
        Dump.feedFile(a.writer(), Dump.FILE1, f1);
        ArchiveReader r = a.openReader(BinlogPosition.startOf(Dump.FILE1));
        CompletableFuture<Object> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                while (r.next(Duration.ofSeconds(20)) != null) {
                    // drain
                }
                return "timed out";
            } catch (Exception e) {
                return e;
            }
        });
        Thread.sleep(100);
        a.close();
        assertTrue(waiting.get(10, TimeUnit.SECONDS) instanceof java.io.IOException);
        r.close();
    }
}
