package dev.binlogproxy.archive;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The archive's file system has less free space than the archive keeps in reserve ({@link
 * ArchiveSettings#minFreeSpace()}), or a write found it full. Nothing was lost and the archive stays usable: the
 * writer refused the transaction before writing any of it (or cut what a failed write left back to the last
 * complete transaction) and holds everything acknowledged. Appending goes on once space is back
 * ({@link BinlogArchive#hasRoomToAppend()}); the upstream waits for that instead of reconnecting.
 */
public final class DiskFullException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path dir;
    private final long freeBytes;

    DiskFullException(Path dir, long freeBytes, long minFree, Throwable cause) {
        super("archive disk full at " + dir + " (" + freeBytes + " bytes free" + (minFree > 0 ? ", archive."
                + "minFreeSpace is " + minFree : "") + ")" + (cause == null ? "" : ": " + cause.getMessage()), cause);
        this.dir = dir;
        this.freeBytes = freeBytes;
    }

    public Path dir() {
        return dir;
    }

    public long freeBytes() {
        return freeBytes;
    }

    /** Whether an I/O error is the file system being full (ENOSPC, or a quota: EDQUOT). */
    static boolean isNoSpace(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }

    /** The DiskFullException in {@code e}'s causes, if any (it may arrive wrapped by the layers above). */
    public static DiskFullException in(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DiskFullException d) {
                return d;
            }
        }
        return null;
    }
}
