package dev.binlogproxy.archive;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The one way the archive changes what is on its disk: the binlog files (create, write at an offset, truncate,
 * fdatasync, delete: the first through {@link #open}, the others through the channel it returns), the directory's
 * entries (delete, rename, directory fsync) and {@code archive.properties} (through {@link Fsync#writeAtomically},
 * which is made of these operations). Every durability decision of the archive is a call here, in order, which is
 * what lets a test record a run and build the states a power loss could leave (the crash images of
 * docs/architecture.md, "Crash images").
 *
 * <p>What does not go through it, and why: reads by path ({@code BinlogFileReader}, {@code BinlogFileSummary},
 * readers' channels, listing the directory) change nothing, and a recording layer works on a real directory, so
 * they see what it did; {@code archive.lock} holds no data; the index journal is Chronicle Queue, memory-mapped,
 * whose writes no channel sees (it is never the authority: crash images treat it as possibly lost or garbage).
 *
 * <p>{@link #DIRECT} is the production implementation: the JDK calls the archive made before the seam existed. A
 * channel it returns is the JDK's own, so the append path pays nothing for the seam.
 */
interface FileLayer {
    /** The file system as it is: {@link FileChannel#open}, {@link Files#deleteIfExists}, rename(2), fsync(2). */
    FileLayer DIRECT = new FileLayer() {
        @Override
        public FileChannel open(Path file, OpenOption... options) throws IOException {
            return FileChannel.open(file, options);
        }

        @Override
        public boolean deleteIfExists(Path file) throws IOException {
            return Files.deleteIfExists(file);
        }

        @Override
        public void replace(Path from, Path to) throws IOException {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }

        @Override
        public void syncDirectory(Path dir) throws IOException {
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        }

        @Override
        public String toString() {
            return "direct";
        }
    };

    /**
     * Opens a file as {@link FileChannel#open(Path, OpenOption...)} does ({@code CREATE_NEW} creates it). Writes,
     * truncates and syncs of the file go through the returned channel, whose {@code force} is the file's
     * fdatasync/fsync.
     */
    FileChannel open(Path file, OpenOption... options) throws IOException;

    /** Removes a directory entry; false if there was none. Durable only after {@link #syncDirectory}. */
    boolean deleteIfExists(Path file) throws IOException;

    /** Renames {@code from} over {@code to} atomically (rename(2)). Durable only after {@link #syncDirectory}. */
    void replace(Path from, Path to) throws IOException;

    /**
     * Makes a directory's entries durable: a file created, renamed or deleted is only certain to be (or not be)
     * there after a power loss once its directory was synced; fdatasync of the file itself does not cover its name.
     */
    void syncDirectory(Path dir) throws IOException;
}
