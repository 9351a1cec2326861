package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.position.BinlogPosition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one thread that turns written transactions into acknowledged, indexed, visible ones, in order.
 *
 * <p>Each round takes every commit submitted so far; in {@link Durability#FSYNC} it runs one
 * {@code force(false)} (fdatasync) per file touched, which covers all of them (group commit: while one sync runs,
 * the next batch gathers), then publishes the new visible ends, appends their index entries and completes their
 * futures. Completing last means a completed future implies the transaction is durable, indexed and readable;
 * only a rotation's control events (the old file's ROTATE, the new file's FDE) are readable later, with the new
 * file's head ({@link Inventory}).
 *
 * <p>An fsync error fails the batch and every later commit: after a failed fsync the kernel may have dropped the
 * dirty pages, so retrying could report durable what is not. The archive must be reopened (recovery then works
 * from what is really on disk).
 */
final class GroupCommit implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupCommit.class);

    /**
     * A transaction boundary written to {@code channel}, waiting for its sync; {@code rotatedTo} is non-null for
     * a file's closing ROTATE (held from readers until the file it names is listed: see {@link Inventory}).
     */
    record Commit(FileChannel channel, String file, long end, List<IndexEntry> entries,
                  CompletableFuture<BinlogPosition> future, String rotatedTo) {
        Commit(FileChannel channel, String file, long end, List<IndexEntry> entries,
               CompletableFuture<BinlogPosition> future) {
            this(channel, file, end, entries, future, null);
        }
    }

    private final Durability durability;
    private final Inventory inventory;
    private final IndexJournal index;
    private final Thread thread;
    private final AtomicLong syncs = new AtomicLong();
    private final AtomicLong commits = new AtomicLong();
    private List<Commit> queue = new ArrayList<>();
    /** Held for a whole round (taking the batch included): rounds run one at a time, in order. */
    private final Object roundLock = new Object();
    private boolean stopping;
    /** The thread waits for work (for tests that must know no round is under way). */
    private boolean idle;
    private volatile IOException failure;
    /** Durability WRITE: a file whose written bytes the thread starts writing back between rounds. */
    private FileChannel writeBack;
    /** The last inline sync ({@link #syncInline}): a round may skip the force it already covers. */
    private volatile SyncMark synced;

    private record SyncMark(FileChannel channel, long end) {
        /** Whether this inline sync, made after everything up to its end was written, covers those bytes. */
        boolean covers(FileChannel ch, long upTo) {
            return channel == ch && end >= upTo;
        }
    }

    GroupCommit(Durability durability, Inventory inventory, IndexJournal index, String name) {
        this.durability = durability;
        this.inventory = inventory;
        this.index = index;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Queues a commit; its future completes when the round that takes it is done. */
    void submit(Commit c) {
        submit(c, true);
    }

    /**
     * Queues a commit; with {@code wake} false the thread is not woken for it (it is taken by the next round that
     * something else starts, or after {@link #wake()}).
     */
    void submit(Commit c, boolean wake) {
        submitAll(List.of(c), wake);
    }

    /** Queues commits in their order, as {@link #submit(Commit, boolean)} does one, in one lock hold. */
    void submitAll(List<Commit> cs, boolean wake) {
        IOException failed = failure;
        if (failed != null) {
            for (Commit c : cs) {
                c.future().completeExceptionally(failed);
            }
            return;
        }
        synchronized (this) {
            if (stopping) {
                for (Commit c : cs) {
                    c.future().completeExceptionally(new IOException("archive closed"));
                }
                return;
            }
            queue.addAll(cs);
            if (wake) {
                notifyAll();
            }
        }
    }

    /**
     * Durability WRITE: has the thread fdatasync {@code channel} in the background, between rounds, without anyone
     * waiting for it. Write mode syncs a file once, when it is finished (before the next one exists); without this
     * that sync found the whole file still dirty whenever the file was written faster than the kernel's own
     * writeback starts (a catch-up, this machine's 2.4 GB dirty threshold: all of a 1 GB file), and the upstream's
     * thread waited for all of it at the rotation. Acknowledges nothing: durability stays what write mode says.
     * A failure stops commits as a failed round does (the kernel reports a lost write-back once, and the file's
     * own sync could then pass).
     */
    void writeBackInBackground(FileChannel channel) {
        if (durability != Durability.WRITE) {
            return;
        }
        synchronized (this) {
            writeBack = channel;
            notifyAll();
        }
    }

    private void writeBack(FileChannel channel) {
        try {
            channel.force(false);
        } catch (ClosedChannelException e) {
            // the writer finished the file meanwhile, with its own sync
        } catch (IOException e) {
            failure = new IOException("writing the archive back failed; nothing after the last acknowledged"
                    + " transaction is acknowledged any more, reopen the archive", e);
            LOG.error("archive write-back failed", e);
        }
    }

    /** Starts a round for commits queued without a wake-up. */
    synchronized void wake() {
        if (!queue.isEmpty()) {
            notifyAll();
        }
    }

    /**
     * Syncs {@code channel} on the calling thread, so the caller can acknowledge everything written to it so far
     * without waiting for a round (the semi-sync ack path). The commits already queued for that data still go
     * through a round for their index entries and visibility; the round skips the force this one covers. A failure
     * stops commits exactly as a failed round does.
     *
     * @param end the file offset up to which everything was written before this call
     */
    void syncInline(FileChannel channel, long end) throws IOException {
        IOException failed = failure;
        if (failed != null) {
            throw failed;
        }
        if (durability != Durability.FSYNC) {
            return;
        }
        try {
            channel.force(false);
        } catch (IOException e) {
            failure = new IOException("fsync of the archive failed; nothing after the last acknowledged"
                    + " transaction is acknowledged any more, reopen the archive", e);
            LOG.error("archive fsync failed", e);
            throw failure;
        }
        syncs.incrementAndGet();
        synced = new SyncMark(channel, end);
    }

    /** The fsync error that stopped commits, if any. */
    IOException failure() {
        return failure;
    }

    /** Waits until the thread waits for work; for tests. */
    synchronized void awaitIdle() throws InterruptedException {
        while (!idle || !queue.isEmpty()) {
            wait(1);
        }
    }

    long syncCount() {
        return syncs.get();
    }

    long commitCount() {
        return commits.get();
    }

    /**
     * Runs the round for what is queued on the calling thread, when it needs no fsync (durability WRITE, or an
     * inline sync ({@link #syncInline}) already covered it); otherwise wakes the commit thread. For the upstream's
     * thread after a read: the transactions become readable without a hand-over to the commit thread and back
     * out to the dump senders' event loops (one wake-up fewer on the relay path). Rounds never overlap and run in
     * the order their commits were queued, whichever thread runs them.
     */
    void commitNow() {
        synchronized (roundLock) {
            List<Commit> batch;
            synchronized (this) {
                if (queue.isEmpty()) {
                    return;
                }
                if (durability == Durability.FSYNC && !coveredBySync(queue)) {
                    notifyAll();
                    return;
                }
                batch = queue;
                queue = new ArrayList<>();
            }
            processGuarded(batch);
        }
    }

    private boolean coveredBySync(List<Commit> batch) {
        SyncMark mark = synced;
        if (mark == null) {
            return false;
        }
        for (Commit c : batch) {
            if (!mark.covers(c.channel(), c.end())) {
                return false;
            }
        }
        return true;
    }

    private void run() {
        index.prepareAppender();
        try {
            while (true) {
                FileChannel flush = null;
                synchronized (this) {
                    while (queue.isEmpty() && writeBack == null && !stopping) {
                        idle = true;
                        wait();
                        idle = false;
                    }
                    if (queue.isEmpty()) {
                        if (stopping) {
                            return;
                        }
                        flush = writeBack; // rounds first: a write-back waits for none
                        writeBack = null;
                    }
                }
                if (flush != null) {
                    writeBack(flush);
                    continue;
                }
                // the batch is taken under the round lock, so a round run inline (commitNow) cannot overtake it
                synchronized (roundLock) {
                    List<Commit> batch;
                    synchronized (this) {
                        batch = queue;
                        queue = new ArrayList<>();
                    }
                    if (!batch.isEmpty()) {
                        processGuarded(batch);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            synchronized (roundLock) {
                index.closeAppender();
            }
        }
    }

    private void processGuarded(List<Commit> batch) {
        try {
            process(batch);
        } catch (RuntimeException | Error e) {
            // Never leave a future hanging: a bug here must fail commits, not stall the upstream.
            failure = new IOException("archive commit thread failed; reopen the archive", e);
            LOG.error("archive commit thread failed", e);
            for (Commit c : batch) {
                c.future().completeExceptionally(failure);
            }
        }
    }

    private void process(List<Commit> batch) {
        if (failure == null && durability == Durability.FSYNC) {
            Map<FileChannel, Long> channels = new LinkedHashMap<>();
            for (Commit c : batch) {
                channels.merge(c.channel(), c.end(), Math::max);
            }
            SyncMark mark = synced;
            try {
                for (Map.Entry<FileChannel, Long> ch : channels.entrySet()) {
                    if (mark != null && mark.covers(ch.getKey(), ch.getValue())) {
                        continue; // an inline sync after these writes already made them durable
                    }
                    ch.getKey().force(false);
                    syncs.incrementAndGet();
                }
            } catch (IOException e) {
                failure = new IOException("fsync of the archive failed; nothing after the last acknowledged"
                        + " transaction is acknowledged any more, reopen the archive", e);
                LOG.error("archive fsync failed", e);
            }
        }
        IOException failed = failure;
        if (failed != null) {
            for (Commit c : batch) {
                c.future().completeExceptionally(failed);
            }
            return;
        }
        // Commits arrive in file order with growing ends, so each file's last commit holds its new visible end:
        // publish at each change of file (in the order the files were written) and at the end of the batch. A
        // ROTATE is not published but handed over as such: the inventory shows it with the next file's head.
        // Published before the index entries are appended: the dumps tailing the archive read the files, not the
        // index, and the append (a Chronicle write, with a page fault now and then: p50 13 us, p99 0.3 ms on the
        // relay's commits) was between every commit and the replicas. Lookups wait for it (IndexJournal.awaitIndexed).
        Commit toPublish = null;
        for (Commit c : batch) {
            if (toPublish != null && (c.rotatedTo() != null || !c.file().equals(toPublish.file()))) {
                inventory.publish(toPublish.file(), toPublish.end());
                toPublish = null;
            }
            if (c.rotatedTo() != null) {
                inventory.rotate(c.file(), c.end(), c.rotatedTo());
            } else {
                toPublish = c;
            }
        }
        if (toPublish != null) {
            inventory.publish(toPublish.file(), toPublish.end());
        }
        index.append(batch);
        commits.addAndGet(batch.size());
        for (Commit c : batch) {
            c.future().complete(new BinlogPosition(c.file(), c.end()));
        }
    }

    /** Processes what was submitted, then stops the thread. */
    @Override
    public void close() {
        synchronized (this) {
            stopping = true;
            notifyAll();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
