package dev.binlogproxy.archive;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The states a crash could leave on disk at any point of a recorded run ({@link CrashLog}): crash images, made
 * by replaying a prefix of the log through an explicit model of what survives.
 *
 * <h2>The model</h2>
 * Replaying the log keeps, per file (inode), its <em>durable</em> content (as of its last {@link CrashLog.Sync})
 * and the writes and truncates issued since, and, for the directory, its durable entries (as of the last
 * {@link CrashLog.SyncDir}) and the creates, deletes and renames issued since. An image cut before operation
 * {@code cut} is, by {@link Model}:
 * <ul>
 *   <li>{@link Model#PROCESS_KILL} (kill -9: the page cache survives): everything issued before the cut, as the
 *       run left it.</li>
 *   <li>{@link Model#POWER_LOSS}: the durable state, plus
 *     <ul>
 *       <li>of the unsynced directory operations, a prefix (file systems journal metadata in order: ext4, XFS):
 *           the rest is undone (a create: the file vanishes; a delete: the file is back with its data; a rename:
 *           the old name is back, the target holds its old file);</li>
 *       <li>of each file's unsynced writes and truncates, per image either {@code ORDERED} (a prefix kept, the
 *           next one torn, the rest lost: write-back in order) or {@code ANY} (each one independently kept, lost or
 *           torn). A torn write keeps a random subset of its 512-byte sectors (aligned to the file's offsets);
 *           the sectors it loses hold what was there before (zeros past the old end); the file's size either
 *           reached the disk with the write (a zero-filled tail: ext4 and XFS show unwritten blocks as zeros) or
 *           only as far as the last kept sector. A lost truncate leaves the bytes it cut.</li>
 *     </ul></li>
 * </ul>
 * The index journal (Chronicle Queue, memory-mapped: no channel sees its writes) is never the authority, so each
 * image gives it one {@link IndexFate}: gone, as snapshotted last before the cut, as snapshotted at any moment of
 * the run (ahead of the files, too), or such a snapshot with a garbled tail.
 *
 * <p>Images are sampled ({@link #spec}): each is fixed by the log, a seed and its number, so a failing image is
 * replayed exactly from those three. Half the cuts fall anywhere, half just before or after an operation that
 * changes what is durable (a sync, a directory operation, a truncate) or an ack.
 */
public final class CrashImages {
    public static final int SECTOR = 512;

    public enum Model { PROCESS_KILL, POWER_LOSS }

    /** What an image does with the index journal. */
    public enum IndexFate { NONE, LATEST, ANY, GARBLED }

    /**
     * One image: the log's operations before {@code cut} survive as {@code model} says, choices from {@code seed};
     * the index journal's fate drawn from the seed too, unless {@code index} fixes it (regression images).
     */
    public record Spec(int number, int cut, Model model, long seed, IndexFate index) {
        public Spec(int number, int cut, Model model, long seed) {
            this(number, cut, model, seed, null);
        }
    }

    private CrashImages() {
    }

    /**
     * Image {@code number} of the sample {@code seed} draws from {@code log}.
     *
     * @param processKillShare the share of images that model kill -9 (the rest: power loss)
     */
    public static Spec spec(CrashLog log, long seed, int number, double processKillShare) {
        List<CrashLog.Op> ops = log.ops();
        Random r = new Random(seed * 1_000_003L + number);
        int cut;
        if (r.nextBoolean()) {
            cut = r.nextInt(ops.size() + 1);
        } else {
            List<Integer> interesting = interestingCuts(ops);
            cut = interesting.get(r.nextInt(interesting.size()));
        }
        return at(r, number, cut, processKillShare, null);
    }

    /** Image {@code number} at {@code cut}: its model (a process kill at {@code processKillShare}) and seed from r. */
    static Spec at(Random r, int number, int cut, double processKillShare, IndexFate index) {
        Model model = r.nextDouble() < processKillShare ? Model.PROCESS_KILL : Model.POWER_LOSS;
        return new Spec(number, cut, model, r.nextLong(), index);
    }

    /** Images 0 .. count-1 of the sample {@code seed}, ordered by cut. */
    public static List<Spec> sample(CrashLog log, long seed, int count, double processKillShare) {
        List<Spec> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(spec(log, seed, i, processKillShare));
        }
        out.sort(Comparator.comparingInt(Spec::cut).thenComparingInt(Spec::number));
        return out;
    }

    private static List<Integer> interestingCuts(List<CrashLog.Op> ops) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            CrashLog.Op op = ops.get(i);
            if (!(op instanceof CrashLog.Write) && !(op instanceof CrashLog.Note)
                    && !(op instanceof CrashLog.IndexSnapshot)) {
                out.add(i);
                out.add(i + 1);
            }
        }
        if (out.isEmpty()) {
            out.add(ops.size());
        }
        return out;
    }

    /** Receives each image while the replay stands at its cut. */
    public interface Visitor {
        void visit(Image image) throws Exception;
    }

    /** Replays {@code log} once, handing each of {@code specs} (any order) to {@code visitor} at its cut. */
    public static void sweep(CrashLog log, List<Spec> specs, Visitor visitor) throws Exception {
        List<Spec> sorted = new ArrayList<>(specs);
        sorted.sort(Comparator.comparingInt(Spec::cut).thenComparingInt(Spec::number));
        List<CrashLog.Op> ops = log.ops();
        Disk disk = new Disk();
        int next = 0;
        for (int i = 0; i <= ops.size(); i++) {
            while (next < sorted.size() && sorted.get(next).cut() == i) {
                visitor.visit(new Image(log, ops, disk, sorted.get(next)));
                next++;
            }
            if (i < ops.size()) {
                disk.apply(ops.get(i));
            }
        }
    }

    // ---- the model's state ----

    /** A file's bytes, growable; [0, len) is the content. */
    static final class Content {
        byte[] b;
        int len;

        Content() {
            b = new byte[0];
        }

        Content(byte[] b, int len) {
            this.b = b;
            this.len = len;
        }

        Content copy() {
            return new Content(Arrays.copyOf(b, len), len);
        }

        void setLength(long newLen) {
            int n = Math.toIntExact(newLen);
            if (n > b.length) {
                b = Arrays.copyOf(b, Math.max(n, b.length * 2));
            } else if (n < len) {
                Arrays.fill(b, n, len, (byte) 0); // what a later extension shows there: zeros
            }
            len = n;
        }

        void write(long offset, byte[] data, int from, int to) {
            long end = offset + (to - from);
            if (end > len) {
                setLength(end);
            }
            System.arraycopy(data, from, b, (int) offset, to - from);
        }

        void apply(CrashLog.Op op) {
            if (op instanceof CrashLog.Write w) {
                write(w.offset(), w.data(), 0, w.data().length);
            } else if (op instanceof CrashLog.Truncate t) {
                if (t.size() < len) {
                    setLength(t.size());
                }
            }
        }

        byte[] bytes() {
            return Arrays.copyOf(b, len);
        }
    }

    static final class Inode {
        final int id;
        final Content durable = new Content();
        final Content logical = new Content();
        /** Writes and truncates since the last sync, in order. */
        final List<CrashLog.Op> pending = new ArrayList<>();

        Inode(int id) {
            this.id = id;
        }
    }

    /** A directory operation not yet synced, with the inode a create made. */
    private record DirOp(CrashLog.Op op, Inode created) {
    }

    static final class Disk {
        private int inodes;
        final Map<String, Inode> logical = new TreeMap<>();
        Map<String, Inode> durable = new TreeMap<>();
        final List<DirOp> pendingDir = new ArrayList<>();
        /** Every name's latest inode, also after it was deleted: what the file held last (the reference). */
        final Map<String, Inode> lastByName = new HashMap<>();
        final List<CrashLog.Ack> acks = new ArrayList<>();
        final List<String> notes = new ArrayList<>();
        int latestSnapshot = -1;

        void apply(CrashLog.Op op) {
            if (op instanceof CrashLog.Create c) {
                Inode inode = new Inode(++inodes);
                logical.put(c.file(), inode);
                lastByName.put(c.file(), inode);
                pendingDir.add(new DirOp(op, inode));
            } else if (op instanceof CrashLog.Write w) {
                Inode inode = file(w.file());
                inode.logical.apply(w);
                inode.pending.add(w);
            } else if (op instanceof CrashLog.Truncate t) {
                Inode inode = file(t.file());
                inode.logical.apply(t);
                inode.pending.add(t);
            } else if (op instanceof CrashLog.Sync s) {
                Inode inode = file(s.file());
                for (CrashLog.Op p : inode.pending) {
                    inode.durable.apply(p);
                }
                inode.pending.clear();
            } else if (op instanceof CrashLog.Delete d) {
                file(d.file());
                logical.remove(d.file());
                pendingDir.add(new DirOp(op, null));
            } else if (op instanceof CrashLog.Rename r) {
                Inode inode = file(r.from());
                logical.remove(r.from());
                logical.put(r.to(), inode);
                lastByName.put(r.to(), inode);
                pendingDir.add(new DirOp(op, null));
            } else if (op instanceof CrashLog.SyncDir) {
                durable = new TreeMap<>(logical);
                pendingDir.clear();
            } else if (op instanceof CrashLog.Ack a) {
                acks.add(a);
            } else if (op instanceof CrashLog.Note n) {
                notes.add(n.what());
            } else if (op instanceof CrashLog.IndexSnapshot s) {
                latestSnapshot = s.id();
            } else {
                throw new IllegalStateException("unresolved " + op + ": resolveGtidAcks first");
            }
        }

        private Inode file(String name) {
            Inode inode = logical.get(name);
            if (inode == null) {
                throw new IllegalStateException("the log uses " + name + ", which does not exist then");
            }
            return inode;
        }
    }

    // ---- one image ----

    /** One crash image, valid while the sweep stands at its cut (its visitor call). */
    public static final class Image {
        private final CrashLog log;
        private final List<CrashLog.Op> ops;
        private final Disk disk;
        private final Spec spec;
        private final Random random;
        private final List<String> choices = new ArrayList<>();
        private final IndexFate indexFate;
        private final int snapshot;

        Image(CrashLog log, List<CrashLog.Op> ops, Disk disk, Spec spec) {
            this.log = log;
            this.ops = ops;
            this.disk = disk;
            this.spec = spec;
            this.random = new Random(spec.seed());
            IndexFate drawn = IndexFate.values()[random.nextInt(IndexFate.values().length)];
            IndexFate fate = spec.index() != null ? spec.index() : drawn;
            int snaps = log.snapshotCount();
            int chosen = switch (fate) {
                case NONE -> -1;
                case LATEST -> disk.latestSnapshot;
                case ANY, GARBLED -> snaps == 0 ? -1 : random.nextInt(snaps);
            };
            this.indexFate = chosen < 0 ? IndexFate.NONE : fate;
            this.snapshot = chosen;
        }

        public Spec spec() {
            return spec;
        }

        /** The acks released before the cut. */
        public List<CrashLog.Ack> acks() {
            return List.copyOf(disk.acks);
        }

        /** The workload's notes before the cut. */
        public List<String> notes() {
            return List.copyOf(disk.notes);
        }

        /** What {@code name} last held in the run before the cut (after a delete: what it held then); null: never. */
        public byte[] reference(String name) {
            Inode inode = disk.lastByName.get(name);
            return inode == null ? null : inode.logical.bytes();
        }

        /**
         * How much of {@code name} a power loss at the cut cannot take back: its length as of its last sync (all of
         * it against kill -9). 0 for a name never written.
         */
        public long durableLength(String name) {
            Inode inode = disk.lastByName.get(name);
            if (inode == null) {
                return 0;
            }
            return spec.model() == Model.PROCESS_KILL ? inode.logical.len : inode.durable.len;
        }

        /** Whether the run had deleted {@code name} before the cut (a purge, an adopt's leftover). */
        public boolean deletedBeforeCut(String name) {
            return disk.lastByName.containsKey(name) && !disk.logical.containsKey(name);
        }

        public IndexFate indexFate() {
            return indexFate;
        }

        /**
         * Writes the image into {@code target} (which must not exist) and returns the choices made, for messages.
         */
        public String materialize(Path target) throws IOException {
            Files.createDirectories(target);
            Map<String, Inode> dir = directory();
            for (Map.Entry<String, Inode> e : dir.entrySet()) {
                Content c = content(e.getKey(), e.getValue());
                try (FileChannel ch = FileChannel.open(target.resolve(e.getKey()), StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE)) {
                    ByteBuffer b = ByteBuffer.wrap(c.b, 0, c.len);
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                }
            }
            writeIndex(target.resolve(IndexJournal.DIR_NAME));
            return describe();
        }

        public String describe() {
            CrashLog.Op before = spec.cut() > 0 ? ops.get(spec.cut() - 1) : null;
            return "image " + spec.number() + " (seed " + spec.seed() + "): cut " + spec.cut() + "/" + ops.size()
                    + (before != null ? " after " + before : "") + ", " + spec.model() + ", index " + indexFate
                    + (snapshot >= 0 ? "#" + snapshot : "")
                    + (choices.isEmpty() ? "" : ", " + String.join("; ", choices));
        }

        private Map<String, Inode> directory() {
            if (spec.model() == Model.PROCESS_KILL) {
                return new TreeMap<>(disk.logical);
            }
            Map<String, Inode> dir = new TreeMap<>(disk.durable);
            int kept = random.nextInt(disk.pendingDir.size() + 1);
            for (DirOp d : disk.pendingDir.subList(0, kept)) {
                if (d.op() instanceof CrashLog.Create c) {
                    dir.put(c.file(), d.created());
                } else if (d.op() instanceof CrashLog.Delete del) {
                    dir.remove(del.file());
                } else if (d.op() instanceof CrashLog.Rename r) {
                    Inode moved = dir.remove(r.from());
                    if (moved != null) {
                        dir.put(r.to(), moved);
                    }
                }
            }
            if (!disk.pendingDir.isEmpty()) {
                choices.add("directory: " + kept + " of " + disk.pendingDir.size() + " unsynced operations "
                        + disk.pendingDir.stream().map(d -> d.op().toString()).toList() + " kept");
            }
            return dir;
        }

        private Content content(String name, Inode inode) {
            if (spec.model() == Model.PROCESS_KILL) {
                return inode.logical;
            }
            Content c = inode.durable.copy();
            List<CrashLog.Op> pending = inode.pending;
            if (pending.isEmpty()) {
                return c;
            }
            boolean ordered = random.nextBoolean();
            int prefix = random.nextInt(pending.size() + 1);
            List<String> what = new ArrayList<>();
            for (int i = 0; i < pending.size(); i++) {
                CrashLog.Op op = pending.get(i);
                String fate;
                if (ordered) {
                    fate = i < prefix ? "kept" : i == prefix ? tearOrKeep(op) : "lost";
                } else {
                    fate = switch (random.nextInt(3)) {
                        case 0 -> "kept";
                        case 1 -> "lost";
                        default -> tearOrKeep(op);
                    };
                }
                if (fate.equals("kept")) {
                    c.apply(op);
                } else if (fate.equals("torn")) {
                    fate = tear((CrashLog.Write) op, c);
                }
                what.add(op + " " + fate);
            }
            choices.add(name + " " + (ordered ? "ORDERED" : "ANY") + " " + what);
            return c;
        }

        private String tearOrKeep(CrashLog.Op op) {
            if (op instanceof CrashLog.Write) {
                return "torn";
            }
            return random.nextBoolean() ? "kept" : "lost";
        }

        /** Keeps a random subset of the write's sectors; returns what it did. */
        private String tear(CrashLog.Write w, Content c) {
            long start = w.offset();
            long end = start + w.data().length;
            StringBuilder kept = new StringBuilder();
            long lastKeptEnd = -1;
            int sectors = 0;
            for (long s = start - start % SECTOR; s < end; s += SECTOR) {
                long from = Math.max(s, start);
                long to = Math.min(s + SECTOR, end);
                sectors++;
                if (random.nextBoolean()) {
                    c.write(from, w.data(), (int) (from - start), (int) (to - start));
                    lastKeptEnd = to;
                    kept.append(kept.isEmpty() ? "" : ",").append(from);
                }
            }
            boolean sizeReached = random.nextBoolean();
            if (sizeReached && end > c.len) {
                c.setLength(end);
            }
            return "torn (sectors kept at [" + kept + "] of " + sectors + (sizeReached ? ", size " + end
                    : lastKeptEnd > 0 ? ", size to the last kept" : "") + ")";
        }

        private void writeIndex(Path indexDir) throws IOException {
            if (snapshot < 0) {
                return;
            }
            Files.createDirectories(indexDir);
            Map<String, CrashLog.SparseFile> files = log.snapshot(snapshot);
            // garble the largest file (the queue's cycle file), in its last written page(s)
            String garbled = indexFate != IndexFate.GARBLED ? null : files.entrySet().stream()
                    .max(Comparator.comparingInt(e -> e.getValue().pages().size())).map(Map.Entry::getKey)
                    .orElse(null);
            for (Map.Entry<String, CrashLog.SparseFile> e : files.entrySet()) {
                CrashLog.SparseFile f = e.getValue();
                Map<Long, byte[]> pages = new LinkedHashMap<>(f.pages());
                long length = f.length();
                if (e.getKey().equals(garbled) && !pages.isEmpty()) {
                    length = garble(e.getKey(), pages, length);
                }
                try (RandomAccessFile raf = new RandomAccessFile(indexDir.resolve(e.getKey()).toFile(), "rw")) {
                    raf.setLength(length);
                    for (Map.Entry<Long, byte[]> p : pages.entrySet()) {
                        if (p.getKey() < length) {
                            raf.seek(p.getKey());
                            raf.write(p.getValue(), 0, (int) Math.min(p.getValue().length, length - p.getKey()));
                        }
                    }
                }
            }
        }

        /**
         * Damages the journal the way a power loss can (its pages are never synced; the kernel writes them back in
         * any order, each page whole or torn at sectors): a page near the end lost from a sector on (zeros), a
         * page as it was at an earlier snapshot (written back then, its later version lost), or the file's size
         * lost.
         * Not random bytes: a file system shows a lost page as zeros or as its older content, never as garbage
         * (that would be a disk corrupting data, which {@code verify} reports and which is out of scope here).
         */
        private long garble(String name, Map<Long, byte[]> pages, long length) {
            List<Long> offsets = new ArrayList<>(pages.keySet());
            offsets.sort(null);
            long last = offsets.get(offsets.size() - 1);
            // a page near the end: written most recently, so the likeliest to be lost
            long victim = offsets.get(Math.max(0, offsets.size() - 1 - random.nextInt(Math.min(4, offsets.size()))));
            byte[] page = pages.get(victim).clone();
            int how = random.nextInt(3);
            String what;
            if (how == 0) {
                int from = random.nextInt(page.length / SECTOR + 1) * SECTOR;
                Arrays.fill(page, Math.min(from, page.length), page.length, (byte) 0);
                what = "page " + victim + " lost from " + (victim + from);
            } else if (how == 1) {
                int older = random.nextInt(snapshot + 1);
                CrashLog.SparseFile then = log.snapshot(older).get(name);
                byte[] stale = then == null ? null : then.pages().get(victim);
                page = stale == null ? new byte[page.length] : Arrays.copyOf(stale, page.length);
                what = "page " + victim + " as at snapshot " + older;
            } else {
                // Chronicle sizes a cycle file when it creates it (80 MiB, sparse) and never cuts it: the one size a
                // power loss can show besides that is none at all, the creation's size not yet on disk.
                length = 0;
                what = "size 0 (its creation's size lost)";
            }
            pages.put(victim, page);
            choices.add("index " + name + " garbled: " + what + " (last page at " + last + ")");
            return length;
        }
    }
}
