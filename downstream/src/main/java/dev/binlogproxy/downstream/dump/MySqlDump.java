package dev.binlogproxy.downstream.dump;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import dev.binlogproxy.archive.ArchiveReader;
import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.archive.UpstreamIdentity;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.event.FormatDescription;
import dev.binlogproxy.binlog.file.GtidStartLocator;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.position.MySqlGtid;
import dev.binlogproxy.binlog.position.MySqlGtidSet;
import dev.binlogproxy.protocol.packet.ComBinlogDump;

/** A dump as MySQL 8.0.15 sends it (rpl_binlog_sender.cc), and what 8.0.26+ adds (HEARTBEAT_V2). */
final class MySqlDump implements DumpFlavor {
    static final MySqlDump INSTANCE = new MySqlDump();

    /** Dump flag 0x02, BINLOG_THROUGH_POSITION: the replica reads HEARTBEAT_V2 (from a master that sends it). */
    private static final int FLAG_THROUGH_POSITION = DumpRequest.FLAG_0X02;
    /** MySQL sends HEARTBEAT_V2 from 8.0.26 on; older masters answer flag 0x02 with v1 heartbeats. */
    private static final int[] HEARTBEAT_V2_SINCE = {8, 0, 26};

    /** MySQL's ER_SLAVE_HAS_MORE_GTIDS_THAN_MASTER text. */
    private static final String MORE_GTIDS = "Slave has more GTIDs than the master has, using the master's SERVER_UUID."
            + " This may indicate that the end of the binary log was truncated or that the last binary log file was"
            + " lost, e.g., after a power or disk failure when sync_binlog != 1. The master may or may not have rolled"
            + " back transactions that were already replicated to the slave. Suggest to replicate any transactions"
            + " that master has rolled back from slave to master, and/or commit empty transactions on master to"
            + " account for transactions that have been committed on master but are not included in GTID_EXECUTED.";
    /** ER_MASTER_HAS_PURGED_REQUIRED_GTIDS as 8.0.15 sends it: it names the sets only in its error log. */
    private static final String PURGED = "Cannot replicate because the master purged required binary logs."
            + " Replicate the missing transactions from elsewhere, or provision a new slave from backup."
            + " Consider increasing the master's binary log expiration period. To find the missing"
            + " transactions, see the master's error log or the manual for GTID_SUBTRACT.";
    /** MySQL cuts error messages to MYSQL_ERRMSG_SIZE - 1 bytes. */
    private static final int MAX_MESSAGE = 511;

    private MySqlDump() {
    }

    @Override
    public StartPoint startOf(ComBinlogDump command, Map<String, String> userVariables) {
        return new StartPoint.FilePosition(command.fileName(), command.position());
    }

    @Override
    public long startPosition(String file, long position, long fileSize) {
        if (position < BinlogPosition.FIRST_EVENT_OFFSET) {
            throw DumpRefusedException.fatal("Client requested master to start replication from position < 4");
        }
        if (position > fileSize) {
            throw DumpRefusedException.fatal("Client requested master to start replication from position > file size");
        }
        return position;
    }

    /** MySQL names the file the client asked for (empty for a GTID dump) and the FDE's end. */
    @Override
    public String checksumRefusal(String requestedFile, long position, String file, long fdeEnd) {
        return DumpRefusedException.CHECKSUM_UNREADABLE
                + DumpRefusedException.coordinates(requestedFile, position, file, fdeEnd, fdeEnd);
    }

    @Override
    public boolean heartbeatV2(DumpRequest request, FormatDescription firstFde) {
        return (request.flags() & FLAG_THROUGH_POSITION) != 0
                && BinlogSender.versionAtLeast(firstFde.serverVersion(), HEARTBEAT_V2_SINCE);
    }

    @Override
    public boolean leftOut(ArchiveReader.Entry e, int type, DumpRequest request, ChecksumAlgorithm checksum) {
        return false;
    }

    @Override
    public byte[] standIn(ArchiveReader.Entry e, int type, DumpRequest request, ChecksumAlgorithm checksum) {
        return null;
    }

    /**
     * COM_BINLOG_DUMP_GTID: the newest file whose PREVIOUS_GTIDS the replica has all of (so nothing it lacks is in
     * an earlier file); refused when even the oldest file's PREVIOUS_GTIDS (the purged GTIDs) are not all in its
     * set, or when it has GTIDs of the master's own UUID that the archive never had.
     */
    static StartResolver.Start startAfter(ArchiveHeads heads, MySqlGtidSet executed) throws IOException {
        int first;
        try {
            first = GtidStartLocator.mysql(executed).locate(heads.count(), heads::previousGtids);
        } catch (GtidStartLocator.PurgedException e) {
            throw DumpRefusedException.beforeTheArchive(PURGED);
        }
        BinlogArchive archive = heads.archive();
        Optional<UUID> master = archive.identity().flatMap(UpstreamIdentity::serverUuid);
        if (master.isPresent()) {
            List<MySqlGtidSet.Interval> mine = executed.intervals(master.get());
            if (!mine.isEmpty()) {
                MySqlGtid last = new MySqlGtid(master.get(), mine.get(mine.size() - 1).last());
                if (!heads.previousGtids(heads.count() - 1).contains(last)
                        && archive.findTransaction(last).isEmpty()) {
                    throw DumpRefusedException.fatal(MORE_GTIDS.substring(0, Math.min(MORE_GTIDS.length(),
                            MAX_MESSAGE)));
                }
            }
        }
        return new StartResolver.Start(heads.name(first), BinlogPosition.FIRST_EVENT_OFFSET, new MySqlSkip(executed));
    }
}
