package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.archive.ArchiveReader;
import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;
import dev.binlogproxy.binlog.event.MariaGtidList;
import dev.binlogproxy.binlog.event.PreviousGtids;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MySqlGtidSet;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The GTID heads of the archive's files as a dump start sees them (one list of files, taken once), each read when
 * first asked for and kept: MySQL's PREVIOUS_GTIDS, MariaDB's GTID_LIST. A file without the event has an empty
 * head. No wait: the archive lists a file only together with its head (FDE and the PREVIOUS_GTIDS / GTID_LIST
 * after it), as a master writes them with the file, so a file without the event here is a file without it.
 */
final class ArchiveHeads {
    private final BinlogArchive archive;
    private final List<ArchivedFile> files;
    /** Heads read so far, null where not yet. */
    private final List<MySqlGtidSet> previousGtids;
    private final List<List<MariaGtid>> gtidLists;

    ArchiveHeads(BinlogArchive archive, List<ArchivedFile> files) {
        this.archive = archive;
        this.files = List.copyOf(files);
        this.previousGtids = new ArrayList<>(Collections.nCopies(files.size(), null));
        this.gtidLists = new ArrayList<>(Collections.nCopies(files.size(), null));
    }

    int count() {
        return files.size();
    }

    String name(int index) {
        return files.get(index).name();
    }

    BinlogArchive archive() {
        return archive;
    }

    MySqlGtidSet previousGtids(int index) throws IOException {
        if (previousGtids.get(index) == null) {
            String file = name(index);
            try (ArchiveReader r = open(file)) {
                ArchiveReader.Entry e = headerEvent(r, file, EventType.PREVIOUS_GTIDS);
                previousGtids.set(index, e == null ? MySqlGtidSet.EMPTY
                        : PreviousGtids.decode(e.event(), checksum(r)).gtids());
            } catch (MalformedEventException bad) {
                throw new IOException(file + ": bad PREVIOUS_GTIDS: " + bad.getMessage(), bad);
            }
        }
        return previousGtids.get(index);
    }

    List<MariaGtid> gtidList(int index) throws IOException {
        if (gtidLists.get(index) == null) {
            String file = name(index);
            try (ArchiveReader r = open(file)) {
                ArchiveReader.Entry e = headerEvent(r, file, EventType.MARIA_GTID_LIST);
                gtidLists.set(index, e == null ? List.of() : MariaGtidList.decode(e.event(), checksum(r)).gtids());
            } catch (MalformedEventException bad) {
                throw new IOException(file + ": bad GTID_LIST: " + bad.getMessage(), bad);
            }
        }
        return gtidLists.get(index);
    }

    private static ChecksumAlgorithm checksum(ArchiveReader r) {
        return r.formatDescription().checksumAlgorithm();
    }

    /** The event of this type among the control events at the head of the file (after the FDE), if any. */
    private static ArchiveReader.Entry headerEvent(ArchiveReader r, String file, EventType type) throws IOException {
        for (int i = 0; i < 4; i++) {
            ArchiveReader.Entry e = r.nextEntry(Long.MAX_VALUE, t -> true);
            if (e == null || !e.file().equals(file)) {
                return null;
            }
            int t = e.typeCode();
            if (t == type.code()) {
                return e;
            }
            if (t != EventType.FORMAT_DESCRIPTION.code() && t != EventType.PREVIOUS_GTIDS.code()
                    && t != EventType.MARIA_GTID_LIST.code() && t != EventType.MARIA_BINLOG_CHECKPOINT.code()
                    && t != EventType.MARIA_START_ENCRYPTION.code()) {
                return null;
            }
        }
        return null;
    }

    private ArchiveReader open(String file) throws IOException {
        return StartResolver.open(archive, file);
    }
}
