package dev.binlogproxy.downstream.admin;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the statements read of the server that runs them: its listener, archive, sessions and replicas. */
public interface ServerInfo {

    ArchiveState archive();

    /** The proxy's own replication from its master; null if it has none. */
    UpstreamStatus upstream();

    /** The @@server_id replicas see: the configured one, else the upstream master's. */
    long servedServerId(ServedMaster master);

    String hostname();

    int port();

    boolean tlsEnabled();

    /** Whether the server says yes to semi-sync (rpl_semi_sync_master_enabled). */
    boolean semiSync();

    Collection<? extends ClientSession> sessions();

    Optional<? extends ClientSession> session(long connectionId);

    /** Replicas registered now (COM_REGISTER_SLAVE on a connection still open). */
    List<RegisteredReplica> replicas();

    /** The proxy's health table (SHOW BINLOG PROXY STATUS); null before the application set one. */
    ProxyStatus proxyStatus();

    /** SHOW STATUS: name to value. */
    Map<String, String> status();

    long uptimeSeconds();
}
