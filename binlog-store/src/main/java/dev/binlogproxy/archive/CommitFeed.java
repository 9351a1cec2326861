package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.position.BinlogPosition;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The writer's side of group commit: each complete transaction's commit goes to {@link GroupCommit} in file order,
 * or, while the upstream holds commits ({@link ArchiveWriter#holdCommits()}), waits here until the writer has
 * written the buffer it is in (a round must never sync bytes that are not in the file yet). The last commit handed
 * over is remembered, so the writer can wait for everything before it closes a file or an adopt looks at the
 * inventory. Not thread-safe: the writer's lock guards it.
 */
final class CommitFeed {
    private final GroupCommit commit;
    /** Held commits, oldest first; empty whenever the writer does not hold commits. */
    private final List<GroupCommit.Commit> deferred = new ArrayList<>();
    private CompletableFuture<BinlogPosition> last = CompletableFuture.completedFuture(null);
    /** The held commit still taking transactions (see {@link #defer}), or null. */
    private CompletableFuture<BinlogPosition> open;
    private FileChannel openChannel;
    private String openFile;
    private long openEnd;
    private List<IndexEntry> openEntries;
    /**
     * How many entries the last shared commit took: the next one's list starts that large. Grown from the default
     * ten, a read's list of a few hundred transactions was copied a dozen times (2% of small-event appends).
     */
    private int lastEntries = 16;
    /** The last commit handed to the commit thread (the deferred ones come after it). */
    private CompletableFuture<BinlogPosition> lastSubmitted = last;

    CommitFeed(GroupCommit commit) {
        this.commit = commit;
    }

    /** Hands a commit to the commit thread; {@code wake} false leaves it for the next round something else starts. */
    CompletableFuture<BinlogPosition> submit(GroupCommit.Commit c, boolean wake) {
        commit.submit(c, wake);
        last = c.future();
        lastSubmitted = last;
        return last;
    }

    /**
     * Keeps a transaction's commit until {@link #submitDeferred}. Consecutive transactions of one file share one
     * commit, which grows until something else comes (a ROTATE, another file) or the hold ends: the held commits
     * are handed over together and one round takes them all, so a commit apiece only cost a Commit, a future, a
     * list and a queue slot per transaction (a fifth of small-event appends) for the same round.
     *
     * @param entries the transaction's journal entries, copied
     * @return the shared commit's future, which completes with its last transaction's end (see {@link Appended})
     */
    CompletableFuture<BinlogPosition> defer(FileChannel channel, String file, long end, List<IndexEntry> entries,
                                            String rotatedTo) {
        if (rotatedTo == null && open != null && channel == openChannel && file.equals(openFile)) {
            addAll(openEntries, entries);
            openEnd = end;
            return open;
        }
        closeOpen();
        if (rotatedTo != null) {
            GroupCommit.Commit c = new GroupCommit.Commit(channel, file, end, List.copyOf(entries),
                    new CompletableFuture<>(), rotatedTo);
            deferred.add(c);
            last = c.future();
            return last;
        }
        openChannel = channel;
        openFile = file;
        openEnd = end;
        openEntries = new ArrayList<>(lastEntries);
        addAll(openEntries, entries);
        open = new CompletableFuture<>();
        last = open;
        return open;
    }

    /** Without addAll's copy of the source through a new array (a quarter of small-event appends, JFR). */
    private static void addAll(List<IndexEntry> to, List<IndexEntry> from) {
        for (int i = 0; i < from.size(); i++) {
            to.add(from.get(i));
        }
    }

    /** The shared commit being filled becomes a commit like the others. */
    private void closeOpen() {
        if (open != null) {
            lastEntries = Math.min(4096, Math.max(16, openEntries.size()));
            deferred.add(new GroupCommit.Commit(openChannel, openFile, openEnd, openEntries, open, null));
            open = null;
            openChannel = null;
            openFile = null;
            openEntries = null;
        }
    }

    boolean hasDeferred() {
        return open != null || !deferred.isEmpty();
    }

    /** Hands the held commits over, in order: the writer has written the bytes they cover. */
    void submitDeferred(boolean wake) {
        closeOpen();
        if (deferred.isEmpty()) {
            return;
        }
        commit.submitAll(deferred, wake); // one lock hold for the whole read, not one per transaction
        lastSubmitted = deferred.get(deferred.size() - 1).future();
        deferred.clear();
    }

    /** A write failed: the held commits will never be durable. */
    void failDeferred(IOException failure) {
        closeOpen();
        for (GroupCommit.Commit c : deferred) {
            c.future().completeExceptionally(failure);
        }
        deferred.clear();
        last = lastSubmitted;
    }

    /** Waits until the last commit handed over is done (and so every earlier one: rounds run in order). */
    void awaitLast() throws IOException {
        commit.wake();
        try {
            last.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the archive's last commit", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }
}
