package dev.binlogproxy.upstream;

import dev.binlogproxy.archive.Appended;
import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.UpstreamIdentity;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.client.MasterInfo;

import java.io.IOException;
import java.util.Optional;

/** The archive as the upstream session's sink. */
final class ArchiveMirrorSink implements MirrorSink {
    private final BinlogArchive archive;

    ArchiveMirrorSink(BinlogArchive archive) {
        this.archive = archive;
    }

    @Override
    public Optional<BinlogPosition> resumePosition() {
        return archive.resumePosition();
    }

    @Override
    public Optional<BinlogPosition> recheckPosition() throws IOException {
        return archive.recheckPosition();
    }

    @Override
    public boolean hasRoomToAppend() {
        return archive.hasRoomToAppend();
    }

    @Override
    public long freeBytes() {
        return archive.freeBytes();
    }

    @Override
    public void checkIdentity(MasterInfo master) throws IOException, ArchiveException {
        UpstreamIdentity id = master.flavor() == BinlogFlavor.MYSQL
                ? UpstreamIdentity.mysql(master.serverUuid(), master.serverId(), master.basename())
                : UpstreamIdentity.mariadb(master.serverId(), master.basename());
        archive.checkIdentity(id);
    }

    @Override
    public void startFile(String file, long position) throws IOException, ArchiveException {
        archive.writer().startFile(file, position);
    }

    @Override
    public void formatDescription(BinlogEvent fde) throws IOException, ArchiveException {
        archive.writer().appendFormatDescription(fde);
    }

    @Override
    public Appended append(BinlogEvent event) throws IOException, ArchiveException {
        return archive.writer().append(event);
    }

    @Override
    public void syncNow() throws IOException {
        archive.writer().syncNow();
    }

    @Override
    public void holdCommits() {
        archive.writer().holdCommits();
    }

    @Override
    public void releaseCommits() throws IOException {
        archive.writer().releaseCommits();
    }

    @Override
    public void discardPartialTransaction() throws IOException {
        archive.writer().discardPartialTransaction();
    }
}
