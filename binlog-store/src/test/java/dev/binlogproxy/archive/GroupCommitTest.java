package dev.binlogproxy.archive;

import dev.binlogproxy.archive.testing.Dump;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.position.BinlogPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One fdatasync covers every transaction appended while the previous one ran. */
class GroupCommitTest {
    @TempDir
    Path dir;

    /**
     * A real transaction (GTID, BEGIN, TABLE_MAP, WRITE_ROWS, XID from the MySQL fixture) re-addressed to any
     * offset: the archive checks chains and CRCs, not GTID uniqueness.
     */
    static final class Transactions {
        private final List<byte[]> template = new ArrayList<>();
        final byte[] file = Dump.bytes(Dump.MYSQL_GTID, Dump.FILE1);
        final List<Dump.Positioned> events = Dump.events(file);

        Transactions() {
            for (Dump.Positioned p : events.subList(6, 11)) {
                template.add(p.event().toByteArray());
            }
        }

        /** The file's FDE and PREVIOUS_GTIDS, so the transactions have a file to go into. */
        void startFile(ArchiveWriter w, String name) throws Exception {
            w.startFile(name, 4);
            w.appendFormatDescription(events.get(0).event());
            w.append(events.get(1).event()).durable().get();
        }

        /** Appends one transaction at the writer's end; returns the commit's future. */
        CompletableFuture<BinlogPosition> append(ArchiveWriter w, long end) throws Exception {
            long at = end;
            Appended last = null;
            for (byte[] t : template) {
                BinlogEvent e = BinlogEvent.wrap(t);
                at += t.length;
                last = w.append(Dump.withHeader(e, EventHeader.of(e).withLogPos(at), ChecksumAlgorithm.CRC32));
            }
            return last.durable();
        }

        int size() {
            return template.stream().mapToInt(b -> b.length).sum();
        }
    }

    @Test
    void concurrentCommittersShareSyncs() throws Exception {
        Transactions tx = new Transactions();
        int threads = 8;
        int perThread = 150;
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.FSYNC)) {
            ArchiveWriter w = a.writer();
            tx.startFile(w, Dump.FILE1);
            long syncsBefore = a.commits().syncCount();
            long commitsBefore = a.commits().commitCount();
            ReentrantLock txLock = new ReentrantLock();
            long[] end = {a.resumePosition().orElseThrow().offset()};
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        CompletableFuture<BinlogPosition> f;
                        txLock.lock();
                        try {
                            f = tx.append(w, end[0]);
                            end[0] += tx.size();
                        } finally {
                            txLock.unlock();
                        }
                        f.get(); // like a session waiting for its semi-sync ack
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            pool.shutdown();
            long syncs = a.commits().syncCount() - syncsBefore;
            long commits = a.commits().commitCount() - commitsBefore;
            assertEquals(threads * perThread, commits);
            assertTrue(syncs < commits / 2, syncs + " syncs for " + commits + " commits");
            assertEquals(end[0], a.files().get(0).size());
            assertTrue(a.verify().ok());
        }
    }

    @Test
    void aSingleCommitterGetsOneSyncPerTransaction() throws Exception {
        Transactions tx = new Transactions();
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.FSYNC)) {
            ArchiveWriter w = a.writer();
            tx.startFile(w, Dump.FILE1);
            long end = a.resumePosition().orElseThrow().offset();
            long syncsBefore = a.commits().syncCount();
            for (int i = 0; i < 20; i++) {
                assertEquals(end + tx.size(), tx.append(w, end).get().offset());
                end += tx.size();
            }
            assertEquals(20, a.commits().syncCount() - syncsBefore);
        }
    }

    /** The upstream's ack path: commits held while a read is handled, one inline sync, then the round. */
    @Test
    void anInlineSyncCoversHeldCommitsAndTheirRoundSkipsIt() throws Exception {
        Transactions tx = new Transactions();
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.FSYNC)) {
            ArchiveWriter w = a.writer();
            tx.startFile(w, Dump.FILE1);
            long end = a.resumePosition().orElseThrow().offset();
            long visibleBefore = a.files().get(0).size();
            a.commits().awaitIdle();
            long syncsBefore = a.commits().syncCount();
            w.holdCommits();
            List<CompletableFuture<BinlogPosition>> commits = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                commits.add(tx.append(w, end));
                end += tx.size();
            }
            assertEquals(visibleBefore, Files.size(a.directory().resolve(Dump.FILE1)),
                    "held transactions wait in the buffer: one write for all of them");
            w.syncNow();
            assertEquals(end, Files.size(a.directory().resolve(Dump.FILE1)));
            assertEquals(1, a.commits().syncCount() - syncsBefore, "one sync for the five transactions");
            // held: no round ran, so they are durable but neither indexed nor visible yet
            assertFalse(commits.get(4).isDone());
            assertEquals(visibleBefore, a.files().get(0).size());
            w.releaseCommits();
            assertEquals(end, commits.get(4).get().offset());
            assertEquals(end, a.files().get(0).size());
            assertEquals(1, a.commits().syncCount() - syncsBefore, "the round skipped the sync already done");
            w.syncNow();
            assertEquals(1, a.commits().syncCount() - syncsBefore, "nothing written since: nothing to sync");
            long offset = end;
            assertEquals(offset + tx.size(), tx.append(w, offset).get().offset(), "not held: the round syncs");
            assertEquals(2, a.commits().syncCount() - syncsBefore);
            assertTrue(a.verify().ok());
        }
    }

    /**
     * A release that needs no fsync (WRITE, or FSYNC after syncNow) commits on the releasing thread: when it
     * returns, the transactions are indexed, visible and their futures done, with no commit-thread round (the
     * upstream's relay path has one hand-over fewer). A release that needs a sync leaves it to the commit thread.
     */
    @Test
    void aReleaseThatNeedsNoSyncCommitsOnTheReleasingThread() throws Exception {
        Transactions tx = new Transactions();
        for (Durability d : Durability.values()) {
            java.nio.file.Path sub = java.nio.file.Files.createDirectories(dir.resolve(d.name()));
            try (BinlogArchive a = Dump.fresh(sub, Dump.MYSQL_GTID, d)) {
                ArchiveWriter w = a.writer();
                tx.startFile(w, Dump.FILE1);
                long end = a.resumePosition().orElseThrow().offset();
                a.commits().awaitIdle();
                w.holdCommits();
                List<CompletableFuture<BinlogPosition>> commits = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    commits.add(tx.append(w, end));
                    end += tx.size();
                }
                if (d == Durability.FSYNC) {
                    w.syncNow();
                }
                long roundsBefore = a.commits().commitCount();
                w.releaseCommits();
                assertTrue(commits.get(2).isDone(), d + ": committed by the release itself");
                assertEquals(end, commits.get(2).get().offset());
                assertEquals(end, a.files().get(0).size(), d + ": visible when the release returns");
                // the three held transactions of one file share one commit (CommitFeed.defer)
                assertEquals(roundsBefore + 1, a.commits().commitCount());
                if (d == Durability.FSYNC) {
                    // not covered by a sync: the commit thread syncs and commits it
                    w.holdCommits();
                    CompletableFuture<BinlogPosition> c = tx.append(w, end);
                    end += tx.size();
                    long syncs = a.commits().syncCount();
                    w.releaseCommits();
                    assertEquals(end, c.get(10, java.util.concurrent.TimeUnit.SECONDS).offset());
                    assertEquals(syncs + 1, a.commits().syncCount(), "the commit thread synced it");
                }
                assertTrue(a.verify().ok());
            }
        }
    }

    @Test
    void writeDurabilityNeverSyncs() throws Exception {
        Transactions tx = new Transactions();
        try (BinlogArchive a = Dump.fresh(dir, Dump.MYSQL_GTID, Durability.WRITE)) {
            ArchiveWriter w = a.writer();
            tx.startFile(w, Dump.FILE1);
            long end = a.resumePosition().orElseThrow().offset();
            for (int i = 0; i < 20; i++) {
                tx.append(w, end).get();
                end += tx.size();
            }
            assertEquals(0, a.commits().syncCount());
            assertEquals(end, a.files().get(0).size());
        }
    }
}
