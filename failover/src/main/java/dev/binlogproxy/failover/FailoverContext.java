package dev.binlogproxy.failover;

import dev.binlogproxy.archive.BinlogArchive;
import dev.binlogproxy.client.ConnectionSettings;
import dev.binlogproxy.failover.UndoJournal.Undo;
import dev.binlogproxy.upstream.MirrorService;
import dev.binlogproxy.upstream.UpstreamSettings;
import io.netty.channel.EventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What a failover works with: the archive, the mirror (null while a restarted proxy finishes or rolls back an
 * interrupted failover, before its mirror starts), the settings, the journal, a connection pool thread for the
 * admin connections; and how an inverse ({@link Undo}) is carried out, the same in-process and after a restart.
 */
final class FailoverContext {
    private static final Logger log = LoggerFactory.getLogger(FailoverContext.class);

    private final BinlogArchive archive;
    private final MirrorService mirror;
    private final FailoverSettings settings;
    private final UndoJournal journal;
    private final EventLoopGroup group;
    private final String proxyHost;
    private final int proxyPort;
    private final Supplier<Map<String, String>> masterVariables;
    private final ConnectionSettings upstreamLogin;
    private final MasterProbe probe;

    FailoverContext(BinlogArchive archive, MirrorService mirror, FailoverSettings settings, UndoJournal journal,
                    EventLoopGroup group, String proxyHost, int proxyPort,
                    Supplier<Map<String, String>> masterVariables, ConnectionSettings upstreamLogin) {
        this.archive = archive;
        this.mirror = mirror;
        this.settings = settings;
        this.journal = journal;
        this.group = group;
        this.proxyHost = proxyHost;
        this.proxyPort = proxyPort;
        this.masterVariables = masterVariables;
        this.upstreamLogin = upstreamLogin;
        this.probe = new MasterProbe(settings.probeInterval());
    }

    BinlogArchive archive() {
        return archive;
    }

    MirrorService mirror() {
        return mirror;
    }

    FailoverSettings settings() {
        return settings;
    }

    UndoJournal journal() {
        return journal;
    }

    EventLoopGroup group() {
        return group;
    }

    String proxyHost() {
        return proxyHost;
    }

    int proxyPort() {
        return proxyPort;
    }

    Supplier<Map<String, String>> masterVariables() {
        return masterVariables;
    }

    MasterProbe probe() {
        return probe;
    }

    /**
     * The administrator's login for a server: a candidate's own account when it is one; for the master (a
     * switchover makes it read-only) the first candidate's account, which a fleet shares (created on the master,
     * replicated everywhere); the upstream's replication account when there is no candidate.
     */
    ConnectionSettings login(String host, int port) {
        return settings.candidate(host, port).orElseGet(() -> settings.candidates().isEmpty()
                ? upstreamLogin.withAddress(host, port) : settings.candidates().get(0).withAddress(host, port));
    }

    private static String restartReplica(ServerAdmin admin, Undo.RestartReplica r) throws java.io.IOException {
        Map<String, String> st = admin.replicaStatus();
        if ("Yes".equals(st.get("Slave_IO_Running")) && "Yes".equals(st.get("Slave_SQL_Running"))) {
            return "replication was never stopped: left as it is";
        }
        String file = st.getOrDefault("Relay_Master_Log_File", "");
        boolean wiped = file == null || file.isEmpty() || "0".equals(st.get("Exec_Master_Log_Pos"));
        if (!r.gtid() && wiped) {
            admin.execute("STOP SLAVE", "CHANGE MASTER TO MASTER_LOG_FILE = '" + r.file().replace("'", "''")
                    + "', MASTER_LOG_POS = " + r.position(), "START SLAVE");
            return "replicates again from " + r.file() + ":" + r.position();
        }
        admin.execute("START SLAVE");
        return "replicates again" + (r.gtid() ? " (GTID)" : " from " + file);
    }

    /**
     * Carries out one inverse. Returns null when done, else why not (the rollback goes on with the next one).
     *
     * @param original the mirror's settings before the failover; null in a restarted process
     */
    String undo(Undo undo, UpstreamSettings original) {
        try {
            if (undo instanceof Undo.Sql sql) {
                try (ServerAdmin admin = ServerAdmin.connect(group, login(sql.host(), sql.port()))) {
                    admin.execute(sql.statements().toArray(String[]::new));
                }
                log.info("rollback on {}:{}: {}", sql.host(), sql.port(), sql.statements());
            } else if (undo instanceof Undo.RestartReplica r) {
                try (ServerAdmin admin = ServerAdmin.connect(group, login(r.host(), r.port()))) {
                    log.info("rollback on {}:{}: {}", r.host(), r.port(), restartReplica(admin, r));
                }
            } else if (undo instanceof Undo.AbandonEpoch a) {
                if (archive.abandonEpoch(a.epoch())) {
                    log.info("rollback: the archive forgot epoch {}", a.epoch());
                }
            } else if (undo instanceof Undo.PauseMirror && mirror != null && original != null) {
                if (mirror.state() != MirrorService.State.PAUSED) {
                    mirror.pause(Duration.ofSeconds(15));
                }
                mirror.repoint(original);
            }
            return null;
        } catch (Exception e) {
            log.error("rollback step {} failed: {}", undo.encode(), e.toString());
            return undo.encode() + ": " + e.getMessage();
        }
    }
}
