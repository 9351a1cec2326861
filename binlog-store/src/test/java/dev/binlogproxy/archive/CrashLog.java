package dev.binlogproxy.archive;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What a recorded run did to the archive's directory, in the order it happened ({@link RecordingFileLayer}), and
 * what it promised meanwhile (acks): the input of {@link CrashImages}. File names are relative to the archive's
 * directory; the archive has no subdirectories but the index journal, which no channel sees (it is snapshotted).
 *
 * <p>Order: a write is logged after it returned (its bytes are in the page cache), a sync before it is called (it
 * covers what was logged before it; a write racing with it counts as not covered, which can only make the images
 * harsher), an ack after the sync that made it durable returned (an ack follows its sync in program order).
 */
public final class CrashLog {
    /** One operation or mark. */
    public sealed interface Op permits Create, Write, Truncate, Sync, Delete, Rename, SyncDir, Ack, AckGtid, Note,
            IndexSnapshot {
    }

    /** A file came into being (open with CREATE_NEW, or CREATE of a missing file): a new inode under that name. */
    public record Create(String file) implements Op {
    }

    public record Write(String file, long offset, byte[] data) implements Op {
        @Override
        public String toString() {
            return "Write[" + file + " @" + offset + " +" + data.length + "]";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Write w && w.file.equals(file) && w.offset == offset && Arrays.equals(w.data, data);
        }

        @Override
        public int hashCode() {
            return file.hashCode() * 31 + Long.hashCode(offset);
        }
    }

    /** The file was made shorter (a truncate that did not shorten it changes nothing and is not logged). */
    public record Truncate(String file, long size) implements Op {
    }

    /** fdatasync/fsync of the file: its data and size so far are durable (its name is not: {@link SyncDir}). */
    public record Sync(String file) implements Op {
    }

    public record Delete(String file) implements Op {
    }

    /** rename(2) of {@code from} over {@code to}. */
    public record Rename(String from, String to) implements Op {
    }

    /** fsync of the archive's directory: every create, delete and rename before it is durable. */
    public record SyncDir() implements Op {
    }

    /**
     * An acknowledgement released: the transaction (or, {@code control}, a rotation's FDE or ROTATE, durable but
     * maybe not readable yet) ending at {@code file:end} was promised to survive.
     */
    public record Ack(String file, long end, boolean control) implements Op {
    }

    /** An acknowledgement known by GTID only (a master's client saw its commit return); resolved after the run. */
    public record AckGtid(String gtid) implements Op {
    }

    /** Something the workload did that the checks need to know happened before a cut (adopt returned, ...). */
    public record Note(String what) implements Op {
    }

    /** The index journal's files at this moment: {@link #snapshot(int)}. */
    public record IndexSnapshot(int id) implements Op {
    }

    /** A file of the index journal, sparse: its length and its non-zero 4 KiB pages. */
    public record SparseFile(long length, Map<Long, byte[]> pages) {
    }

    private final List<Op> ops = new ArrayList<>();
    private final List<Map<String, SparseFile>> snapshots = new ArrayList<>();

    synchronized void add(Op op) {
        ops.add(op);
    }

    synchronized int addSnapshot(Map<String, SparseFile> files) {
        snapshots.add(files);
        int id = snapshots.size() - 1;
        ops.add(new IndexSnapshot(id));
        return id;
    }

    /** Every operation so far, in order. */
    public synchronized List<Op> ops() {
        return List.copyOf(ops);
    }

    public synchronized int snapshotCount() {
        return snapshots.size();
    }

    /** The index journal's files (relative to index/) when snapshot {@code id} was taken. */
    public synchronized Map<String, SparseFile> snapshot(int id) {
        return snapshots.get(id);
    }

    /** Replaces every {@link AckGtid} with what {@code resolve} says (its position once the run is over). */
    public synchronized void resolveGtidAcks(Function<String, Ack> resolve) {
        for (int i = 0; i < ops.size(); i++) {
            if (ops.get(i) instanceof AckGtid g) {
                Ack a = resolve.apply(g.gtid());
                if (a == null) {
                    throw new IllegalStateException("acknowledged " + g.gtid() + " is not in the archive's files");
                }
                ops.set(i, a);
            }
        }
    }

    /** Counts by kind, for reports. */
    public synchronized String summary() {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        long bytes = 0;
        for (Op op : ops) {
            counts.merge(op.getClass().getSimpleName(), 1, Integer::sum);
            if (op instanceof Write w) {
                bytes += w.data().length;
            }
        }
        return ops.size() + " ops " + counts + ", " + bytes + " bytes written";
    }
}
