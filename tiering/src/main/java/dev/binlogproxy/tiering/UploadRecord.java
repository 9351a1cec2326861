package dev.binlogproxy.tiering;

import dev.binlogproxy.binlog.position.BinlogPosition;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.zip.CRC32;

/**
 * The durable record of which files have a verified remote copy: {@code ARCHIVE/tiering.journal}, one line per
 * file, appended and forced to disk after the copy was verified and before anyone may act on it. It alone decides
 * whether a local copy may be deleted, so a crash at any point of an upload leaves the file local and unrecorded
 * (the next run uploads it again: a PUT of the same key replaces the object whole).
 *
 * <p>Line: {@code uploaded NAME SIZE SHA256 KEY CRC}, CRC being the CRC32 (8 hex digits) of the text before it.
 * A torn last line (no newline, or a CRC that does not match: a crash while it was written, never forced, so
 * never acted on) is cut at open; a bad line followed by good ones is damage and refuses the open.
 *
 * <p>Thread-safe: one writer (the uploader) and any number of readers (the archive's purge, fetch-back).
 */
public final class UploadRecord implements AutoCloseable {
    public static final String NAME = "tiering.journal";

    private final Path path;
    private final FileChannel channel;
    private final ConcurrentSkipListMap<String, TieredFile> files =
            new ConcurrentSkipListMap<>(BinlogPosition::compareFiles);

    private UploadRecord(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /** Opens (creating it if needed) the record in {@code archiveDir}, cutting a torn last line. */
    public static UploadRecord open(Path archiveDir) throws IOException {
        Path path = archiveDir.resolve(NAME);
        boolean existed = Files.exists(path);
        List<TieredFile> read = new ArrayList<>();
        long goodEnd = existed ? readLines(path, read) : 0;
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ);
        try {
            if (ch.size() > goodEnd) {
                ch.truncate(goodEnd);
                ch.force(true);
            }
            ch.position(goodEnd);
            if (!existed) {
                ch.force(true);
                forceDirectory(archiveDir);
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        UploadRecord r = new UploadRecord(path, ch);
        read.forEach(f -> r.files.put(f.name(), f));
        return r;
    }

    /** Reads the record without opening it for writing (the read-only tools: verify, find). Empty if absent. */
    public static List<TieredFile> read(Path archiveDir) throws IOException {
        Path path = archiveDir.resolve(NAME);
        List<TieredFile> out = new ArrayList<>();
        if (Files.exists(path)) {
            readLines(path, out);
        }
        out.sort((a, b) -> BinlogPosition.compareFiles(a.name(), b.name()));
        return out;
    }

    /** @return where the last good line ends */
    private static long readLines(Path path, List<TieredFile> out) throws IOException {
        byte[] all = Files.readAllBytes(path);
        int at = 0;
        int lineNo = 0;
        while (at < all.length) {
            int nl = indexOf(all, at, (byte) '\n');
            lineNo++;
            Optional<TieredFile> f = nl < 0 ? Optional.empty() : parse(new String(all, at, nl - at,
                    StandardCharsets.UTF_8));
            if (f.isEmpty()) {
                int next = nl < 0 ? all.length : nl + 1;
                if (next >= all.length) {
                    return at; // torn last line: written, never forced, never acted on
                }
                throw new IOException(path + ": line " + lineNo + " is damaged and more lines follow it (the record"
                        + " decides which local copies may be deleted: check it by hand; every file it names has"
                        + " a verified copy in the bucket)");
            }
            out.add(f.get());
            at = nl + 1;
        }
        return at;
    }

    private static int indexOf(byte[] b, int from, byte v) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == v) {
                return i;
            }
        }
        return -1;
    }

    static Optional<TieredFile> parse(String line) {
        int sp = line.lastIndexOf(' ');
        if (sp < 0) {
            return Optional.empty();
        }
        String body = line.substring(0, sp);
        if (!crcOf(body).equals(line.substring(sp + 1))) {
            return Optional.empty();
        }
        String[] p = body.split(" ");
        if (p.length != 5 || !p[0].equals("uploaded")) {
            return Optional.empty();
        }
        try {
            return Optional.of(new TieredFile(p[1], Long.parseLong(p[2]), p[3], p[4]));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    static String line(TieredFile f) {
        String body = "uploaded " + f.name() + " " + f.size() + " " + f.sha256() + " " + f.key();
        return body + " " + crcOf(body) + "\n";
    }

    private static String crcOf(String text) {
        CRC32 crc = new CRC32();
        crc.update(text.getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", crc.getValue());
    }

    /** Appends {@code f} and forces it to disk; from the return on, its local copy may be deleted. */
    public synchronized void add(TieredFile f) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(line(f).getBytes(StandardCharsets.UTF_8));
        long before = channel.position();
        try {
            while (b.hasRemaining()) {
                channel.write(b);
            }
            channel.force(false);
        } catch (IOException e) {
            // leave no half line for the next append to follow (the open would take it for damage)
            channel.truncate(before);
            channel.position(before);
            throw e;
        }
        files.put(f.name(), f);
    }

    public boolean holds(String file) {
        return files.containsKey(file);
    }

    public Optional<TieredFile> get(String file) {
        return Optional.ofNullable(files.get(file));
    }

    /** The recorded files, in binlog order. */
    public List<TieredFile> files() {
        return List.copyOf(files.values());
    }

    public Path path() {
        return path;
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }

    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
