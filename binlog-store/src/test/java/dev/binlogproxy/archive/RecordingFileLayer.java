package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.position.BinlogPosition;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A {@link FileLayer} that does everything on a real directory (the run works as it would) and logs it into a
 * {@link CrashLog}, with the bytes written, for {@link CrashImages}. Public, with {@link #openArchive}, for the tests
 * of the modules above (the real mirror's recording in upstream).
 */
public final class RecordingFileLayer implements FileLayer {
    private static final int PAGE = 4096;

    private final Path dir;
    private final CrashLog log = new CrashLog();

    /** @param dir the archive's directory: every file the archive changes is directly in it */
    public RecordingFileLayer(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    public CrashLog log() {
        return log;
    }

    public Path directory() {
        return dir;
    }

    /** Opens (creating it if needed) the archive in this layer's directory, every change to it recorded. */
    public BinlogArchive openArchive(Durability durability) throws IOException, ArchiveException {
        return BinlogArchive.open(dir, durability, 0, this);
    }

    /** An acknowledgement released for the transaction ending at {@code end} (its durable future completed). */
    public void acked(BinlogPosition end) {
        log.add(new CrashLog.Ack(end.file(), end.offset(), false));
    }

    /** A rotation's FDE or ROTATE durable: on disk after a crash, readable maybe only later (held). */
    public void ackedControl(BinlogPosition end) {
        log.add(new CrashLog.Ack(end.file(), end.offset(), true));
    }

    /** An acknowledgement known by the transaction's GTID (a master's client saw its commit return). */
    public void ackedGtid(String gtid) {
        log.add(new CrashLog.AckGtid(gtid));
    }

    public void note(String what) {
        log.add(new CrashLog.Note(what));
    }

    /**
     * Copies the index journal's files as they are now (pages the commit thread is writing may be half there: the
     * index may be anything after a crash, and is treated so).
     */
    public void snapshotIndex() throws IOException {
        Path index = dir.resolve(IndexJournal.DIR_NAME);
        Map<String, CrashLog.SparseFile> files = new TreeMap<>();
        if (Files.isDirectory(index)) {
            try (Stream<Path> list = Files.list(index)) {
                for (Path p : list.toList()) {
                    if (Files.isRegularFile(p)) {
                        files.put(p.getFileName().toString(), sparseCopy(p));
                    }
                }
            }
        }
        log.addSnapshot(files);
    }

    private static CrashLog.SparseFile sparseCopy(Path p) throws IOException {
        Map<Long, byte[]> pages = new TreeMap<>();
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            long length = ch.size();
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
            for (long at = 0; at < length; at += chunk.capacity()) {
                chunk.clear();
                int n = 0;
                while (chunk.hasRemaining()) {
                    int r = ch.read(chunk, at + n);
                    if (r < 0) {
                        break;
                    }
                    n += r;
                }
                for (int page = 0; page < n; page += PAGE) {
                    int end = Math.min(n, page + PAGE);
                    if (!zeros(chunk, page, end)) {
                        byte[] b = new byte[end - page];
                        chunk.get(page, b);
                        pages.put(at + page, b);
                    }
                }
            }
            return new CrashLog.SparseFile(length, pages);
        }
    }

    private static boolean zeros(ByteBuffer b, int from, int to) {
        int i = from;
        for (; i + 8 <= to; i += 8) {
            if (b.getLong(i) != 0) {
                return false;
            }
        }
        for (; i < to; i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private String name(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        if (!dir.equals(abs.getParent())) {
            throw new IllegalArgumentException(file + " is not a file of the recorded archive " + dir);
        }
        return abs.getFileName().toString();
    }

    @Override
    public FileChannel open(Path file, OpenOption... options) throws IOException {
        String name = name(file);
        Set<OpenOption> opts = Set.of(options);
        boolean writable = opts.contains(StandardOpenOption.WRITE) || opts.contains(StandardOpenOption.APPEND);
        boolean existed = Files.exists(file);
        long sizeBefore = existed ? Files.size(file) : 0;
        FileChannel ch = FileChannel.open(file, options);
        if (!existed) {
            log.add(new CrashLog.Create(name));
        } else if (writable && opts.contains(StandardOpenOption.TRUNCATE_EXISTING) && sizeBefore > 0) {
            log.add(new CrashLog.Truncate(name, 0));
        }
        return writable ? new RecordingChannel(ch, name, log) : ch;
    }

    @Override
    public boolean deleteIfExists(Path file) throws IOException {
        String name = name(file);
        boolean deleted = Files.deleteIfExists(file);
        if (deleted) {
            log.add(new CrashLog.Delete(name));
        }
        return deleted;
    }

    @Override
    public void replace(Path from, Path to) throws IOException {
        String f = name(from);
        String t = name(to);
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        log.add(new CrashLog.Rename(f, t));
    }

    @Override
    public void syncDirectory(Path d) throws IOException {
        if (!dir.equals(d.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException(d + " is not the recorded archive " + dir);
        }
        log.add(new CrashLog.SyncDir());
        FileLayer.DIRECT.syncDirectory(d);
    }

    @Override
    public String toString() {
        return "recording " + dir;
    }

    /** The archive's channel, every write, truncate and force logged. */
    private static final class RecordingChannel extends FileChannel {
        private final FileChannel ch;
        private final String name;
        private final CrashLog log;

        RecordingChannel(FileChannel ch, String name, CrashLog log) {
            this.ch = ch;
            this.name = name;
            this.log = log;
        }

        private void logged(ByteBuffer before, long at, int n) {
            if (n > 0) {
                byte[] data = new byte[n];
                before.get(data);
                log.add(new CrashLog.Write(name, at, data));
            }
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return ch.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return ch.read(dsts, offset, length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            long at = ch.position();
            ByteBuffer before = src.duplicate();
            int n = ch.write(src);
            logged(before, at, n);
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long n = 0;
            for (int i = offset; i < offset + length; i++) {
                n += write(srcs[i]);
            }
            return n;
        }

        @Override
        public long position() throws IOException {
            return ch.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            ch.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return ch.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            long before = ch.size();
            ch.truncate(size);
            if (size < before) {
                log.add(new CrashLog.Truncate(name, size));
            }
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            log.add(new CrashLog.Sync(name));
            ch.force(metaData);
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return ch.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) {
            throw new UnsupportedOperationException("not recorded: the archive does not use transferFrom");
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return ch.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            ByteBuffer before = src.duplicate();
            int n = ch.write(src, position);
            logged(before, position, n);
            return n;
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            if (mode != MapMode.READ_ONLY) {
                throw new UnsupportedOperationException("a writable mapping's writes would not be recorded");
            }
            return ch.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return ch.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return ch.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            ch.close();
        }
    }
}
