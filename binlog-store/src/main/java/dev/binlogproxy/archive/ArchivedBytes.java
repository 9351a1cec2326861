package dev.binlogproxy.archive;

import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.file.BinlogFileReader;
import dev.binlogproxy.binlog.position.BinlogPosition;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Supplier;

/** What the writer reads back from, and how it creates, an archived file. */
final class ArchivedBytes {
    private ArchivedBytes() {
    }

    /**
     * Creates {@code name} with the binlog magic and its FORMAT_DESCRIPTION, durable (file, then directory) before
     * anything in it can be acknowledged. A failure (a full disk) deletes what was made: the file was never
     * listed, and left behind it would only block the next start of this name.
     */
    static FileChannel create(FileLayer layer, Path dir, String name, byte[] fdeBytes) throws IOException {
        Path path = dir.resolve(name);
        FileChannel ch = layer.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            ByteBuffer head = ByteBuffer.allocate(BinlogFileReader.MAGIC.length + fdeBytes.length);
            head.put(BinlogFileReader.MAGIC).put(fdeBytes).flip();
            Fsync.writeFully(ch, head, 0);
            // a crash before this leaves a file without a whole FDE, which recovery deletes
            ch.force(false);
            layer.syncDirectory(dir);
            return ch;
        } catch (IOException e) {
            ch.close();
            try {
                layer.deleteIfExists(path);
            } catch (IOException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    /**
     * Refuses to start {@code name} at 4 as a new file unless it follows the archive: the file a ROTATE at the end
     * of {@code rotatedFrom} named (null: none), after the newest file, and not already on disk unlisted.
     */
    static void checkNewFile(Path dir, String name, String newest, String rotatedFrom, String expectedNext,
                             Supplier<String> resume) throws ArchiveException {
        if (rotatedFrom != null && !name.equals(expectedNext)) {
            throw new ArchiveException(rotatedFrom + " ends with a ROTATE to " + expectedNext
                    + ", but the dump continues with " + name);
        }
        if (newest != null && Inventory.FILE_ORDER.compare(name, newest) <= 0) {
            throw new ArchiveException("cannot start " + name + ": it sorts before the archive's newest file "
                    + newest + " (resume from " + resume.get() + ")");
        }
        if (Files.exists(dir.resolve(name))) {
            throw new ArchiveException("cannot start " + name + ": a file of that name is in " + dir
                    + " but not in the archive");
        }
    }

    /** {@code name} at {@code position}, refused unless it is one of {@code master}'s files. */
    static BinlogPosition ofMaster(UpstreamIdentity master, String name, long position) throws ArchiveException {
        BinlogPosition at = new BinlogPosition(name, position);
        if (!at.hasFileSequence() || !at.basename().equals(master.basename())) {
            throw new ArchiveException("binlog file '" + name + "' does not belong to the archived master, whose"
                    + " files are " + master.basename() + ".NNNNNN");
        }
        return at;
    }

    static byte[] read(FileChannel channel, long at, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        Fsync.readFully(channel, b, at);
        return b.array();
    }

    static BinlogEvent readFde(FileChannel channel) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(BinlogEvent.HEADER_LENGTH);
        Fsync.readFully(channel, header, BinlogPosition.FIRST_EVENT_OFFSET);
        long size = BinlogEvent.eventSizeOf(header, 0);
        return BinlogEvent.wrap(read(channel, BinlogPosition.FIRST_EVENT_OFFSET, (int) size));
    }

    /**
     * Where the last transaction that ends at or before {@code end} starts in {@code file}, or -1 if it holds
     * none (only its head). Reads the file from its start (roles depend on everything before), once per process:
     * afterwards the writer keeps it as it appends.
     */
    static long lastTransactionStart(Path dir, String file, long end) throws IOException {
        long[] start = {-1};
        FileScan.entries(dir, file, 0, end, e -> {
            if (e.startsTransaction()) {
                start[0] = e.offset();
            }
            return true;
        });
        return start[0];
    }
}
