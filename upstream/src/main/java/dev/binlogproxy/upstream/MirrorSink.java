package dev.binlogproxy.upstream;

import dev.binlogproxy.archive.Appended;
import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.client.MasterInfo;

import java.io.IOException;
import java.util.Optional;

/** Where the dump goes: the archive, seen from the upstream session. */
interface MirrorSink {
    /** The position after the last complete archived transaction; empty for an empty archive. */
    Optional<BinlogPosition> resumePosition() throws IOException, ArchiveException;

    /**
     * Where to dump from so that the master proves it has the archive's history (its last transaction, compared
     * byte for byte); empty when there is nothing to compare and the dump starts at {@link #resumePosition()}.
     */
    default Optional<BinlogPosition> recheckPosition() throws IOException {
        return Optional.empty();
    }

    /** Whether the archive has its reserve of free space again after a DiskFullException. */
    default boolean hasRoomToAppend() {
        return true;
    }

    /** Bytes free where the archive writes (-1: unknown). */
    default long freeBytes() {
        return -1;
    }

    /** Refuses (UpstreamMismatchException) a master that is not the one the archive mirrors. */
    void checkIdentity(MasterInfo master) throws IOException, ArchiveException;

    /** The dump's fake rotate: the events that follow belong to {@code file}, starting at {@code position}. */
    void startFile(String file, long position) throws IOException, ArchiveException;

    void formatDescription(BinlogEvent fde) throws IOException, ArchiveException;

    /** Validates and appends one event; a corrupt one is refused with nothing written. */
    Appended append(BinlogEvent event) throws IOException, ArchiveException;

    /**
     * Makes every complete transaction appended so far durable as the archive's mode says, on the calling thread;
     * after it, semi-sync acks for them may go out.
     */
    void syncNow() throws IOException, ArchiveException;

    /** Queue the commits of what is appended from now on without starting them (see ArchiveWriter.holdCommits). */
    void holdCommits();

    /** Start the commits queued since {@link #holdCommits()}. */
    void releaseCommits() throws IOException;

    /** After a disconnect: drop a partial transaction so it is never served or kept. */
    void discardPartialTransaction() throws IOException, ArchiveException;
}
