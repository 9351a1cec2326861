package dev.binlogproxy.failover;

import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.archive.UpstreamIdentity;
import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.binlog.position.BinlogPosition;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.position.MySqlGtidSet;
import dev.binlogproxy.client.ConnectionSettings;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Whether a candidate can become the master without losing or inventing a transaction: reachable, binary logging
 * on with the archive's basename, the archive's flavor, replicating from this proxy right now (a candidate whose
 * replication stopped days ago is the classic stale pick), close to the archive's end, no transactions of its own
 * (errant), and on MariaDB log_slave_updates on (otherwise its binlog would restart the GTID sequence and GTID
 * replicas could not go on).
 */
final class CandidateCheck {
    private final int proxyPort;
    private final long maxLag;

    CandidateCheck(int proxyPort, long maxLag) {
        this.proxyPort = proxyPort;
        this.maxLag = maxLag;
    }

    /** The verdict on one candidate, with what was seen. */
    record Verdict(ConnectionSettings settings, boolean usable, String reason, String readPosition, long lagBytes) {
        static Verdict no(ConnectionSettings s, String reason) {
            return new Verdict(s, false, reason, null, -1);
        }
    }

    /**
     * @param end the archive's readable end: what a replica of this proxy can have read
     */
    Verdict check(ServerAdmin admin, ConnectionSettings s, UpstreamIdentity archived, BinlogPosition end)
            throws IOException {
        if (admin.flavor() != archived.flavor()) {
            return Verdict.no(s, "it is " + admin.flavor() + ", the archive's master was " + archived.flavor());
        }
        if (!admin.flag("log_bin")) {
            return Verdict.no(s, "binary logging is off (log_bin)");
        }
        String basename = admin.currentBinlog().name();
        basename = basename.substring(0, basename.lastIndexOf('.'));
        if (!basename.equals(archived.basename())) {
            return Verdict.no(s, "its binlog basename is '" + basename + "', the archive's is '" + archived.basename()
                    + "': replicas could not go on at the same file names (set log_bin=" + archived.basename()
                    + " on every candidate)");
        }
        if (admin.flavor() == BinlogFlavor.MARIADB && !admin.flag("log_slave_updates")) {
            return Verdict.no(s, "log_slave_updates is off: its binlog lacks the replicated transactions, so its"
                    + " GTID sequence would restart and GTID replicas could not go on");
        }
        Map<String, String> rs = admin.replicaStatus();
        if (rs.isEmpty()) {
            return Verdict.no(s, "it is not a replica (SHOW SLAVE STATUS is empty)");
        }
        if (!String.valueOf(proxyPort).equals(rs.get("Master_Port"))) {
            return Verdict.no(s, "it replicates from " + rs.get("Master_Host") + ":" + rs.get("Master_Port")
                    + ", not from this proxy (port " + proxyPort + ")");
        }
        if (!"Yes".equals(rs.get("Slave_IO_Running")) || !"Yes".equals(rs.get("Slave_SQL_Running"))) {
            String err = (rs.getOrDefault("Last_IO_Error", "") + " " + rs.getOrDefault("Last_SQL_Error", "")).trim();
            return Verdict.no(s, "stale: replication is not running (IO " + rs.get("Slave_IO_Running") + ", SQL "
                    + rs.get("Slave_SQL_Running") + ")" + (err.isEmpty() ? "" : ": " + err));
        }
        String readFile = rs.get("Master_Log_File");
        long readPos = Long.parseLong(rs.getOrDefault("Read_Master_Log_Pos", "0"));
        String read = readFile + ":" + readPos;
        long lag = lag(readFile, readPos, end);
        if (lag < 0 || lag > maxLag) {
            return new Verdict(s, false, "stale: it has read up to " + read + ", the archive ends at " + end
                    + (lag < 0 ? "" : " (" + lag + " bytes behind, limit " + maxLag + ")"), read, lag);
        }
        String errant = errant(admin);
        if (errant != null) {
            return new Verdict(s, false, "errant transactions of its own: " + errant
                    + " (they are in no archive; promoting it would serve them to every replica)", read, lag);
        }
        return new Verdict(s, true, "replicating from this proxy, " + lag + " bytes behind its end", read, lag);
    }

    /** Bytes between a replica's read position and the archive's end; -1 when it is in an older file. */
    private static long lag(String file, long pos, BinlogPosition end) {
        if (file == null || !file.equals(end.file())) {
            return -1;
        }
        return Math.max(0, end.offset() - pos);
    }

    /** Transactions the candidate wrote itself, or null. */
    private static String errant(ServerAdmin admin) throws IOException {
        if (admin.flavor() == BinlogFlavor.MYSQL) {
            String uuid = admin.variable("server_uuid").orElse(null);
            String executed = admin.variable("gtid_executed").orElse("");
            if (uuid == null || executed.isBlank()) {
                return null;
            }
            List<MySqlGtidSet.Interval> own = MySqlGtidSet.parse(executed.replace("\n", "")).intervals(
                    UUID.fromString(uuid));
            return own.isEmpty() ? null : uuid + ":" + own;
        }
        long serverId = Long.parseLong(admin.variable("server_id").orElse("0"));
        // the binlog state has the last GTID of every server in every domain (the position only each domain's
        // newest, which a later replicated transaction would hide)
        String state = admin.variable("gtid_binlog_state").orElse("");
        return Arrays.stream(state.split(",")).map(String::trim).filter(t -> !t.isEmpty()).map(MariaGtid::parse)
                .filter(g -> g.serverId() == serverId).map(Object::toString).reduce((a, b) -> a + "," + b)
                .orElse(null);
    }

    /** The archive's readable end: the newest listed file and its readable size. */
    static BinlogPosition end(List<ArchivedFile> files) {
        ArchivedFile last = files.get(files.size() - 1);
        return new BinlogPosition(last.name(), Math.max(BinlogPosition.FIRST_EVENT_OFFSET, last.size()));
    }
}
