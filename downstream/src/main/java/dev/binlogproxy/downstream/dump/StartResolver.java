package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.archive.ArchiveReader;
import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.binlog.position.BinlogPosition;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Finds where a dump starts, or the ERR 1236 a real master answers instead (messages as MySQL 8.0.15 and MariaDB
 * 10.11 word them). What is common is here: waiting for an empty archive, waiting for an archive behind a
 * replica that moved from another proxy, finding the file. What differs is the flavor's: the position rules
 * ({@link DumpFlavor#startPosition}) and the GTID starts, which follow the kind of start point the client sent
 * (COM_BINLOG_DUMP_GTID's set: {@link MySqlDump#startAfter}; MariaDB's connect state: {@link
 * MariaDbDump#startAfter}).
 */
final class StartResolver {
    static final String NO_SUCH_FILE = "Could not find first log file name in binary log index file";

    /** @param skip what a GTID dump leaves out before the replica's first missing transaction; null if nothing */
    record Start(String file, long position, GtidSkip skip) {
    }

    /**
     * A replica moved from another proxy of the same master may ask for a position this archive has not reached
     * yet (past the end of the newest file, or a newer file). A real master is never behind its replicas; a proxy
     * can be, for a moment. Such a request waits up to this long for the archive to catch up before the ERR 1236
     * a master would send.
     */
    static final long CATCH_UP_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** An empty archive has no reader to wait on: look again this often. */
    private static final long EMPTY_POLL_MS = 20;

    private StartResolver() {
    }

    static Start resolve(BinlogArchive archive, DumpRequest request, DumpFlavor flavor)
            throws IOException, InterruptedException {
        List<ArchivedFile> files = archive.files();
        // A proxy started on an empty archive has no file until the mirror's first one: a master always has one.
        long deadline = System.nanoTime() + CATCH_UP_NANOS;
        while (files.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(EMPTY_POLL_MS);
            files = archive.files();
        }
        StartPoint sp = request.start();
        if (sp instanceof StartPoint.FilePosition fp) {
            if (aheadOfArchive(files, fp)) {
                files = awaitCatchUp(archive, fp);
            }
            if (!fp.file().isEmpty() && files.stream().noneMatch(f -> f.name().equals(fp.file()))
                    && archive.fetchBack(fp.file())) {
                // only object storage had it (tiering): fetched back, with every file up to the oldest listed
                files = archive.files();
            }
            return byPosition(files, fp, flavor);
        }
        if (files.isEmpty()) {
            throw DumpRefusedException.fatal(NO_SUCH_FILE);
        }
        while (true) {
            ArchiveHeads heads = new ArchiveHeads(archive, files);
            try {
                if (sp instanceof StartPoint.MySqlGtids g) {
                    return MySqlDump.startAfter(heads, g.executed());
                }
                return MariaDbDump.startAfter(heads, ((StartPoint.MariaGtids) sp).connectState());
            } catch (DumpRefusedException e) {
                // The replica needs older transactions than the oldest listed file has: with tiering, fetch the
                // file before it back and look again (heads only grow from file to file, so the newest tiered
                // files are the likeliest), until the start is found or the tier has nothing older.
                if (!e.isBeforeTheArchive() || archive.fetchBackPrevious().isEmpty()) {
                    throw e;
                }
                files = archive.files();
            }
        }
    }

    private static boolean aheadOfArchive(List<ArchivedFile> files, StartPoint.FilePosition fp) {
        if (files.isEmpty() || fp.file().isEmpty()) {
            return false;
        }
        ArchivedFile newest = files.get(files.size() - 1);
        if (fp.file().equals(newest.name())) {
            return fp.position() > newest.size();
        }
        try {
            BinlogPosition asked = BinlogPosition.startOf(fp.file());
            BinlogPosition last = BinlogPosition.startOf(newest.name());
            return asked.hasFileSequence() && last.hasFileSequence() && asked.basename().equals(last.basename())
                    && asked.compareTo(last) > 0;
        } catch (IllegalArgumentException notAFileName) {
            return false;
        }
    }

    private static List<ArchivedFile> awaitCatchUp(BinlogArchive archive, StartPoint.FilePosition fp)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + CATCH_UP_NANOS;
        List<ArchivedFile> files = archive.files();
        try (ArchiveReader r = open(archive, files.get(files.size() - 1).name())) {
            while (true) {
                long seen = r.generation();
                files = archive.files();
                long left = deadline - System.nanoTime();
                if (!aheadOfArchive(files, fp) || left <= 0) {
                    return files;
                }
                if (!r.await(seen, left)) {
                    throw new IOException("archive closed");
                }
            }
        }
    }

    private static Start byPosition(List<ArchivedFile> files, StartPoint.FilePosition fp, DumpFlavor flavor) {
        if (files.isEmpty()) {
            throw DumpRefusedException.fatal(NO_SUCH_FILE);
        }
        String name = fp.file().isEmpty() ? files.get(0).name() : fp.file();
        ArchivedFile file = files.stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> DumpRefusedException.fatal(NO_SUCH_FILE));
        return new Start(name, flavor.startPosition(name, fp.position(), file.size()), null);
    }

    static ArchiveReader open(BinlogArchive archive, String file) throws IOException {
        try {
            return archive.openReader(BinlogPosition.startOf(file));
        } catch (ArchiveException e) {
            throw DumpRefusedException.fatal(NO_SUCH_FILE);
        }
    }
}
