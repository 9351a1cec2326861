package dev.binlogproxy.downstream;

import java.math.BigDecimal;
import java.util.Locale;

import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.position.MariaGtidPosition;
import dev.binlogproxy.binlog.position.MySqlGtidSet;
import dev.binlogproxy.downstream.dump.DumpRequest;
import dev.binlogproxy.downstream.dump.StartPoint;
import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.MySqlProtocolException;
import dev.binlogproxy.protocol.packet.ComBinlogDump;
import dev.binlogproxy.protocol.packet.ComBinlogDumpGtid;

/**
 * Reads a dump command and the session variables the client set before it into a {@link DumpRequest}: the
 * checksum it announced (@master_binlog_checksum or @source_binlog_checksum), its heartbeat period, whether it
 * negotiated semi-sync, MariaDB's capability level, GTID connect state and skip_replication.
 */
final class DumpRequests {

    private DumpRequests() {
    }

    /**
     * COM_BINLOG_DUMP. On MariaDB a replica in GTID mode sets @slave_connect_state first; then the file and
     * position in the command mean nothing and the GTID position picks the start, as on a real MariaDB master.
     */
    static StartPoint filePosition(ComBinlogDump d, ServedMaster m, SessionVariables vars) {
        if (m.isMariaDb() && vars.hasUser("slave_connect_state")) {
            String state = vars.user("slave_connect_state");
            try {
                return new StartPoint.MariaGtids(state == null ? MariaGtidPosition.EMPTY
                        : MariaGtidPosition.parse(state));
            } catch (IllegalArgumentException e) {
                // ER_INCORRECT_GTID_STATE
                throw new MySqlProtocolException(1942, ErrorCodes.SQLSTATE_GENERAL,
                        "Could not parse GTID list: " + e.getMessage());
            }
        }
        return new StartPoint.FilePosition(d.fileName(), d.position());
    }

    static StartPoint mysqlGtids(ComBinlogDumpGtid d) {
        try {
            return new StartPoint.MySqlGtids(MySqlGtidSet.decode(d.gtidSet()));
        } catch (RuntimeException e) {
            throw new MySqlProtocolException(ErrorCodes.ER_MALFORMED_PACKET, ErrorCodes.SQLSTATE_GENERAL,
                    "Malformed communication packet: COM_BINLOG_DUMP_GTID GTID set: " + e.getMessage());
        }
    }

    static DumpRequest request(StartPoint start, long serverId, int flags, ServedMaster m, SessionVariables vars,
                               boolean semiSyncOffered) {
        String checksum = vars.hasUser("source_binlog_checksum") ? vars.user("source_binlog_checksum")
                : vars.user("master_binlog_checksum");
        ChecksumAlgorithm clientChecksum = null;
        if (checksum != null) {
            try {
                clientChecksum = ChecksumAlgorithm.ofVariable(checksum);
            } catch (IllegalArgumentException e) {
                clientChecksum = null; // an unknown spelling reads as "never said": the sender refuses if it must
            }
        }
        long heartbeat = nanos(vars.hasUser("source_heartbeat_period") ? vars.user("source_heartbeat_period")
                : vars.user("master_heartbeat_period"));
        boolean semiSync = semiSyncOffered && (isTrue(vars.user("rpl_semi_sync_slave"))
                || isTrue(vars.user("rpl_semi_sync_replica")));
        int capability = (int) Math.max(0, Math.min(Integer.MAX_VALUE, integer(vars.user("mariadb_slave_capability"))));
        String skip = vars.system().get("skip_replication");
        boolean skipReplication = skip != null && (skip.equalsIgnoreCase("ON") || skip.equals("1"));
        return new DumpRequest(start, serverId, flags, m.flavor(), clientChecksum, heartbeat, semiSync, capability,
                skipReplication);
    }

    private static boolean isTrue(String v) {
        if (v == null) {
            return false;
        }
        String s = v.trim().toLowerCase(Locale.ROOT);
        return !(s.isEmpty() || s.equals("0") || s.equals("off") || s.equals("false"));
    }

    private static long integer(String v) {
        if (v == null) {
            return 0;
        }
        try {
            return new BigDecimal(v.trim()).longValue();
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** A heartbeat period in nanoseconds; replicas send integers, some tools decimals. */
    private static long nanos(String v) {
        return Math.max(0, integer(v));
    }
}
