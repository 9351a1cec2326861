package dev.binlogproxy.downstream.admin;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntPredicate;
import java.util.function.Supplier;

import dev.binlogproxy.archive.ArchiveException;
import dev.binlogproxy.archive.ArchiveReader;
import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.UpstreamIdentity;
import dev.binlogproxy.binlog.BinlogEvent;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.event.MariaGtidEvent;
import dev.binlogproxy.binlog.event.MariaGtidList;
import dev.binlogproxy.binlog.event.MySqlGtidEvent;
import dev.binlogproxy.binlog.event.PreviousGtids;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MariaGtidPosition;
import dev.binlogproxy.binlog.position.MySqlGtidSet;

/**
 * What the archive says about the master it mirrors, for the server's answers: identity and version (FDE), and
 * the GTID state at the archive's end (MySQL gtid_executed, MariaDB gtid_binlog_pos), computed the way the master
 * computes it: the newest file's PREVIOUS_GTIDS / GTID_LIST plus the GTIDs in that file. The scan is incremental:
 * each call reads only what was archived since the last one, and only in the newest file, and copies only the
 * events it decodes. Thread-safe.
 *
 * <p>It runs on a session's event loop (a login asks for the master's version), which may be the upstream's. A
 * scan through every event archived since the previous login held that loop for 0.4-0.5 s per GB when the login
 * came after a catch-up (docs/results.md, session 14); hence the newest file only, and no copies.
 */
public final class ArchiveState {
    /** The events the state is made of; every other event is stepped over by its header. */
    private static final IntPredicate DECODED = type -> type == EventType.FORMAT_DESCRIPTION.code()
            || type == EventType.PREVIOUS_GTIDS.code() || type == EventType.GTID.code()
            || type == EventType.MARIA_GTID_LIST.code() || type == EventType.MARIA_GTID.code();

    private final BinlogArchive archive;
    private final Supplier<Map<String, String>> upstreamVariables;

    /** Scan state: where the last scan stopped (always an event boundary), and the state there. */
    private BinlogPosition scanned;
    private MySqlGtidSet mysqlExecuted = MySqlGtidSet.EMPTY;
    private MariaGtidPosition mariaPosition = MariaGtidPosition.EMPTY;
    private FormatDescription newestFde;
    private boolean sawGtidEvents;

    public ArchiveState(BinlogArchive archive, Supplier<Map<String, String>> upstreamVariables) {
        this.archive = archive;
        this.upstreamVariables = upstreamVariables;
    }

    public BinlogArchive archive() {
        return archive;
    }

    /** Empty until the archive has its master's identity and a first file. */
    public synchronized Optional<ServedMaster> master() {
        Optional<UpstreamIdentity> id = archive.identity();
        if (id.isEmpty() || archive.files().isEmpty()) {
            return Optional.empty();
        }
        try {
            refresh();
        } catch (IOException | ArchiveException e) {
            if (newestFde == null) {
                return Optional.empty();
            }
        }
        if (newestFde == null) {
            return Optional.empty();
        }
        UpstreamIdentity u = id.get();
        return Optional.of(new ServedMaster(u.flavor(), newestFde.serverVersion(), u.serverId(), u.serverUuid(),
                newestFde.checksumAlgorithm(), upstreamVariables.get()));
    }

    /** MySQL: every GTID in the archive and before it (the newest file's PREVIOUS_GTIDS plus its own). */
    synchronized MySqlGtidSet mysqlExecuted() throws IOException, ArchiveException {
        refresh();
        return mysqlExecuted;
    }

    /** MySQL: GTIDs not in the archive any more: the oldest file's PREVIOUS_GTIDS. */
    MySqlGtidSet mysqlPurged() throws IOException, ArchiveException {
        List<ArchivedFile> files = archive.files();
        if (files.isEmpty()) {
            return MySqlGtidSet.EMPTY;
        }
        try (ArchiveReader r = archive.openReader(BinlogPosition.startOf(files.get(0).name()))) {
            ChecksumAlgorithm c = r.formatDescription().checksumAlgorithm();
            for (int n = 0; n < 4; n++) {
                BinlogEvent e = r.next();
                if (e == null) {
                    break;
                }
                if (e.typeCode() == EventType.PREVIOUS_GTIDS.code()) {
                    return PreviousGtids.decode(e, c).gtids();
                }
            }
        }
        return MySqlGtidSet.EMPTY;
    }

    /** MariaDB: per domain the last GTID archived (gtid_binlog_pos). */
    synchronized MariaGtidPosition mariaBinlogPosition() throws IOException, ArchiveException {
        refresh();
        return mariaPosition;
    }

    /**
     * MySQL gtid_mode as the archive shows it, when the upstream's variable is unknown: ON once GTID events or a
     * non-empty PREVIOUS_GTIDS appear, else OFF.
     */
    synchronized String derivedGtidMode() throws IOException, ArchiveException {
        refresh();
        return sawGtidEvents || !mysqlExecuted.isEmpty() ? "ON" : "OFF";
    }

    private void refresh() throws IOException, ArchiveException {
        List<ArchivedFile> files = archive.files();
        if (files.isEmpty()) {
            return;
        }
        String newest = files.get(files.size() - 1).name();
        // The newest file restates the state before it (PREVIOUS_GTIDS, GTID_LIST), so a scan that stopped in an
        // older file starts over there: the files between cannot change the answer.
        boolean restart = scanned == null || !scanned.file().equals(newest);
        BinlogPosition from = restart ? BinlogPosition.startOf(newest) : scanned;
        if (!restart && files.get(files.size() - 1).size() <= scanned.offset()) {
            return; // nothing new
        }
        if (restart) {
            mysqlExecuted = MySqlGtidSet.EMPTY;
            mariaPosition = MariaGtidPosition.EMPTY;
        }
        try (ArchiveReader r = archive.openReader(from)) {
            FormatDescription fde = r.formatDescription();
            if (restart || newestFde == null) {
                newestFde = fde;
            }
            ArchiveReader.Entry entry;
            while ((entry = r.nextEntry(BinlogEvent.HEADER_LENGTH, DECODED)) != null) {
                BinlogEvent e = entry.event();
                if (e == null) {
                    // stepped over (not read, not copied); it changes nothing, so where the scan stopped is still
                    // the last event it decoded, or the reader's position after the loop
                    continue;
                }
                ChecksumAlgorithm c = r.formatDescription().checksumAlgorithm();
                int type = e.typeCode(); // a ROTATE is always read, and changes nothing either
                if (type == EventType.FORMAT_DESCRIPTION.code()) {
                    newestFde = FormatDescription.decode(e);
                } else if (type == EventType.PREVIOUS_GTIDS.code()) {
                    // A new file restates everything before it: start from its statement.
                    mysqlExecuted = PreviousGtids.decode(e, c).gtids();
                } else if (type == EventType.GTID.code()) {
                    MySqlGtidEvent g = MySqlGtidEvent.decode(e, c);
                    sawGtidEvents = true;
                    mysqlExecuted = mysqlExecuted.add(g.gtid());
                } else if (type == EventType.MARIA_GTID_LIST.code()) {
                    // the list is the binlog state: one GTID per domain and server_id (after a failover a
                    // domain has the old master's and the new one's), the domain's newest last; so the
                    // position takes the last of each domain, as MariaDB's gtid_binlog_pos does
                    MariaGtidPosition p = MariaGtidPosition.EMPTY;
                    for (MariaGtid g : MariaGtidList.decode(e, c).gtids()) {
                        p = p.with(g);
                    }
                    mariaPosition = p;
                } else if (type == EventType.MARIA_GTID.code()) {
                    mariaPosition = mariaPosition.with(MariaGtidEvent.decode(e, c).gtid());
                }
                scanned = r.position();
            }
            scanned = r.position();
        }
    }

    /** The newest file and its readable end: SHOW MASTER STATUS. */
    Optional<BinlogPosition> end() {
        List<ArchivedFile> files = archive.files();
        if (files.isEmpty()) {
            return Optional.empty();
        }
        ArchivedFile last = files.get(files.size() - 1);
        return Optional.of(new BinlogPosition(last.name(), last.size()));
    }
}
