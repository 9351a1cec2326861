package dev.binlogproxy.downstream.dump;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;

import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.position.MySqlGtidSet;
import dev.binlogproxy.protocol.ErrorCodes;
import dev.binlogproxy.protocol.MySqlProtocolException;
import dev.binlogproxy.protocol.packet.ComBinlogDump;
import dev.binlogproxy.protocol.packet.ComBinlogDumpGtid;
import dev.binlogproxy.protocol.packet.Commands;

import io.netty.buffer.ByteBuf;

/**
 * Reads a dump command and the session variables the client set before it into a {@link DumpRequest}: where it
 * starts, the checksum it announced (@master_binlog_checksum or @source_binlog_checksum), its heartbeat period,
 * whether it negotiated semi-sync, MariaDB's capability level and skip_replication.
 */
public final class DumpRequests {

    private DumpRequests() {
    }

    /**
     * @param command           COM_BINLOG_DUMP or COM_BINLOG_DUMP_GTID
     * @param flavor            the served master's
     * @param userVariables     the user variables the client set, lower-case names (a value may be null)
     * @param sessionVariables  the session system variables it set
     * @param semiSyncOffered   whether the server said yes to the semi-sync probe
     * @throws MySqlProtocolException for a command that does not decode (1835) or a connect state that does not
     *                                parse (1942)
     */
    public static DumpRequest read(int command, ByteBuf payload, BinlogFlavor flavor, Map<String, String> userVariables,
                                   Map<String, String> sessionVariables, boolean semiSyncOffered) {
        StartPoint start;
        long serverId;
        int flags;
        if (command == Commands.COM_BINLOG_DUMP_GTID) {
            ComBinlogDumpGtid d = ComBinlogDumpGtid.decode(payload);
            start = mysqlGtids(d);
            serverId = d.serverId();
            flags = d.flags();
        } else if (command == Commands.COM_BINLOG_DUMP) {
            ComBinlogDump d = ComBinlogDump.decode(payload);
            start = DumpFlavor.of(flavor).startOf(d, userVariables);
            serverId = d.serverId();
            flags = d.flags();
        } else {
            throw new IllegalArgumentException("not a dump command: " + Commands.name(command));
        }
        return request(start, serverId, flags, flavor, userVariables, sessionVariables, semiSyncOffered);
    }

    private static StartPoint mysqlGtids(ComBinlogDumpGtid d) {
        try {
            return new StartPoint.MySqlGtids(MySqlGtidSet.decode(d.gtidSet()));
        } catch (RuntimeException e) {
            throw new MySqlProtocolException(ErrorCodes.ER_MALFORMED_PACKET, ErrorCodes.SQLSTATE_GENERAL,
                    "Malformed communication packet: COM_BINLOG_DUMP_GTID GTID set: " + e.getMessage());
        }
    }

    private static DumpRequest request(StartPoint start, long serverId, int flags, BinlogFlavor flavor,
                                       Map<String, String> user, Map<String, String> session,
                                       boolean semiSyncOffered) {
        String checksum = user.containsKey("source_binlog_checksum") ? user.get("source_binlog_checksum")
                : user.get("master_binlog_checksum");
        ChecksumAlgorithm clientChecksum = null;
        if (checksum != null) {
            try {
                clientChecksum = ChecksumAlgorithm.ofVariable(checksum);
            } catch (IllegalArgumentException e) {
                clientChecksum = null; // an unknown spelling reads as "never said": the sender refuses if it must
            }
        }
        long heartbeat = nanos(user.containsKey("source_heartbeat_period") ? user.get("source_heartbeat_period")
                : user.get("master_heartbeat_period"));
        boolean semiSync = semiSyncOffered && (isTrue(user.get("rpl_semi_sync_slave"))
                || isTrue(user.get("rpl_semi_sync_replica")));
        int capability = (int) Math.max(0, Math.min(Integer.MAX_VALUE, integer(user.get("mariadb_slave_capability"))));
        String skip = session.get("skip_replication");
        boolean skipReplication = skip != null && (skip.equalsIgnoreCase("ON") || skip.equals("1"));
        return new DumpRequest(start, serverId, flags, flavor, clientChecksum, heartbeat, semiSync, capability,
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
