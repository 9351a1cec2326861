package dev.binlogproxy.downstream.dump;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.binlogproxy.archive.ArchiveReader;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventFlags;
import dev.binlogproxy.binlog.EventHeader;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.event.MariaGtidEvent;
import dev.binlogproxy.binlog.file.GtidStartLocator;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MariaGtidPosition;
import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.MySqlProtocolException;
import dev.binlogproxy.protocol.packet.ComBinlogDump;

/**
 * A dump as MariaDB 10.11 sends it (sql_repl.cc): GTID starts from @slave_connect_state, ANNOTATE_ROWS on request,
 * and for replicas of a low @mariadb_slave_capability events left out or replaced by same-sized stand-ins.
 */
final class MariaDbDump implements DumpFlavor {
    static final MariaDbDump INSTANCE = new MariaDbDump();

    /** Dump flag 0x02, BINLOG_SEND_ANNOTATE_ROWS_EVENT. */
    private static final int FLAG_SEND_ANNOTATE_ROWS = DumpRequest.FLAG_0X02;
    /** @mariadb_slave_capability levels (MARIA_SLAVE_CAPABILITY_*). */
    private static final int CAPABILITY_ANNOTATE = 1;
    private static final int CAPABILITY_TOLERATE_HOLES = 2;
    private static final int CAPABILITY_BINLOG_CHECKPOINT = 3;
    private static final int CAPABILITY_GTID = 4;
    /** ER_INCORRECT_GTID_STATE. */
    private static final int ER_INCORRECT_GTID_STATE = 1942;

    private MariaDbDump() {
    }

    /**
     * A replica in GTID mode sets @slave_connect_state first; then the file and position in the command mean
     * nothing and the GTID position picks the start, as on a real MariaDB master.
     */
    @Override
    public StartPoint startOf(ComBinlogDump command, Map<String, String> userVariables) {
        if (!userVariables.containsKey("slave_connect_state")) {
            return new StartPoint.FilePosition(command.fileName(), command.position());
        }
        String state = userVariables.get("slave_connect_state");
        try {
            return new StartPoint.MariaGtids(state == null ? MariaGtidPosition.EMPTY : MariaGtidPosition.parse(state));
        } catch (IllegalArgumentException e) {
            throw new MySqlProtocolException(ER_INCORRECT_GTID_STATE, ErrorCodes.SQLSTATE_GENERAL,
                    "Could not parse GTID list: " + e.getMessage());
        }
    }

    /** MariaDB reads 0..3 as "from the start". */
    @Override
    public long startPosition(String file, long position, long fileSize) {
        long pos = Math.max(position, BinlogPosition.FIRST_EVENT_OFFSET);
        if (pos > fileSize) {
            throw DumpRefusedException.fatal("Client requested master to start replication from impossible position; "
                    + DumpRefusedException.coordinates(file, pos, 4, 4));
        }
        return pos;
    }

    /** MariaDB names the file it opened, 4, and the FDE's end. */
    @Override
    public String checksumRefusal(String requestedFile, long position, String file, long fdeEnd) {
        return DumpRefusedException.CHECKSUM_UNREADABLE + DumpRefusedException.coordinates(file, 4, file, 4, fdeEnd);
    }

    /** Flag 0x02 asks for ANNOTATE_ROWS here; MariaDB has no HEARTBEAT_V2. */
    @Override
    public boolean heartbeatV2(DumpRequest request, FormatDescription firstFde) {
        return false;
    }

    @Override
    public boolean leftOut(ArchiveReader.Entry e, int type, DumpRequest request, ChecksumAlgorithm checksum) {
        if (request.skipReplication() && (e.flags() & EventFlags.MARIA_SKIP_REPLICATION) != 0) {
            return true;
        }
        int cap = request.mariadbSlaveCapability();
        if (type == EventType.MARIA_ANNOTATE_ROWS.code()) {
            // Seen on 10.11: asked for (flag 0x02) -> sent, whatever the capability; else dropped for a replica
            // that tolerates holes, sent as is to one that only knows the type, replaced for one that does not.
            return !annotateRowsAsked(request) && cap >= CAPABILITY_TOLERATE_HOLES;
        }
        return cap >= CAPABILITY_TOLERATE_HOLES && needsStandIn(e, type, request, checksum);
    }

    /**
     * What MariaDB sends a replica with a low @mariadb_slave_capability instead of events it cannot handle (same
     * size, so positions hold; seen on 10.11): a GTID that opens a BEGIN group becomes a BEGIN query; below
     * capability 2 (holes not tolerated) GTID_LIST, BINLOG_CHECKPOINT, standalone GTIDs and unasked ANNOTATE_ROWS
     * become dummy events (from 2 on they are left out, see {@link #leftOut}).
     */
    @Override
    public byte[] standIn(ArchiveReader.Entry e, int type, DumpRequest request, ChecksumAlgorithm checksum)
            throws IOException {
        if (request.mariadbSlaveCapability() >= CAPABILITY_GTID) {
            return null;
        }
        if (needsStandIn(e, type, request, checksum)) {
            EventHeader header = e.header() != null ? EventHeader.read(e.header()) : EventHeader.of(e.event());
            byte[] d = FakeEvents.dummy(header, e.size(), checksum);
            if (d == null) {
                throw DumpRefusedException.fatal("Failed to replace binlog event with a dummy event: event too"
                        + " short.");
            }
            return d;
        }
        if (type == EventType.MARIA_GTID.code()) {
            byte[] begin = FakeEvents.beginInsteadOfGtid(e.event(), checksum);
            if (begin == null) {
                throw DumpRefusedException.fatal("Failed to replace GTID event with backwards-compatible event:"
                        + " corrupt event.");
            }
            return begin;
        }
        return null;
    }

    private static boolean annotateRowsAsked(DumpRequest request) {
        return (request.flags() & FLAG_SEND_ANNOTATE_ROWS) != 0;
    }

    /** Whether a replica of this capability cannot take the event as it is (GTID groups aside, see above). */
    private static boolean needsStandIn(ArchiveReader.Entry e, int type, DumpRequest request,
                                        ChecksumAlgorithm checksum) {
        int cap = request.mariadbSlaveCapability();
        if (type == EventType.MARIA_GTID_LIST.code()) {
            return cap < CAPABILITY_GTID;
        }
        if (type == EventType.MARIA_BINLOG_CHECKPOINT.code()) {
            return cap < CAPABILITY_BINLOG_CHECKPOINT;
        }
        if (type == EventType.MARIA_ANNOTATE_ROWS.code()) {
            return cap < CAPABILITY_ANNOTATE && !annotateRowsAsked(request);
        }
        if (type == EventType.MARIA_GTID.code() && cap < CAPABILITY_GTID) {
            return (MariaGtidEvent.flags2Of(e.event(), checksum) & MariaGtidEvent.FL_STANDALONE) != 0;
        }
        return false;
    }

    /**
     * @slave_connect_state: every GTID of a domain the archive logs must be in the archive (or be the last GTID
     * before a file, as its GTID_LIST says); then the newest file whose GTID_LIST leaves nothing the replica lacks
     * to an earlier file. Groups up to the replica's GTID in each domain are skipped from that file on.
     */
    static StartResolver.Start startAfter(ArchiveHeads heads, MariaGtidPosition state) throws IOException {
        BinlogArchive archive = heads.archive();
        List<List<MariaGtid>> lists = new ArrayList<>();
        for (int i = 0; i < heads.count(); i++) {
            lists.add(heads.gtidList(i));
        }
        List<MariaGtid> wanted = new ArrayList<>();
        for (MariaGtid g : state.gtids()) {
            if (archive.findTransaction(g).isPresent()) {
                wanted.add(g);
                continue;
            }
            boolean atAFileStart = lists.stream().anyMatch(l -> l.contains(g));
            boolean known = atAFileStart || lists.stream().anyMatch(l -> l.stream()
                    .anyMatch(x -> x.domainId() == g.domainId())) || archive.holdsMariaDomain(g.domainId());
            if (!known) {
                continue; // a domain this master never logged: MariaDB ignores it
            }
            if (!atAFileStart) {
                String message = "Error: connecting slave requested to start from GTID " + g
                        + ", which is not in the master's binlog";
                // older than what the oldest file's GTID_LIST says of its domain: an older (tiered) file may hold it
                boolean older = !lists.isEmpty() && lists.get(0).stream().anyMatch(x -> x.domainId() == g.domainId()
                        && x.seqNo() > g.seqNo());
                throw older ? DumpRefusedException.beforeTheArchive(message) : DumpRefusedException.fatal(message);
            }
            wanted.add(g);
        }
        MariaGtidPosition connect = MariaGtidPosition.of(wanted);
        int first;
        try {
            first = GtidStartLocator.mariadb(connect).locate(heads.count(), heads::gtidList);
        } catch (GtidStartLocator.PurgedException e) {
            throw DumpRefusedException.beforeTheArchive("Could not find GTID state requested by slave in any binlog"
                    + " files. Probably the slave state is too old and required binlog files have been purged.");
        }
        List<MariaGtid> list = lists.get(first);
        Map<Long, MariaGtid> skipUntil = new HashMap<>();
        for (MariaGtid g : connect.gtids()) {
            // A GTID that is the last before this file: nothing of its domain to skip here.
            if (!list.contains(g)) {
                skipUntil.put(g.domainId(), g);
            }
        }
        GtidSkip skip = skipUntil.isEmpty() ? null : new MariaSkip(skipUntil, list);
        return new StartResolver.Start(heads.name(first), BinlogPosition.FIRST_EVENT_OFFSET, skip);
    }
}
