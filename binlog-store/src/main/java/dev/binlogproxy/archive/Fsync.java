package dev.binlogproxy.archive;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The few durability primitives the archive needs, in one place; file operations go through {@link FileLayer}. */
final class Fsync {
    private Fsync() {
    }

    /**
     * Replaces {@code target} with {@code content} so that a crash leaves either the old or the new file, never a mix:
     * temp file, fsync, rename over, directory fsync.
     */
    static void writeAtomically(FileLayer layer, Path target, byte[] content) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel ch = layer.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, ByteBuffer.wrap(content), 0);
            ch.force(true);
        }
        layer.replace(tmp, target);
        layer.syncDirectory(target.getParent());
    }

    static void writeFully(FileChannel ch, ByteBuffer src, long position) throws IOException {
        long at = position;
        while (src.hasRemaining()) {
            at += ch.write(src, at);
        }
    }

    static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, at);
            if (n < 0) {
                throw new IOException("unexpected end of file at offset " + at + " (needed " + dst.remaining()
                        + " more bytes)");
            }
            at += n;
        }
    }
}
