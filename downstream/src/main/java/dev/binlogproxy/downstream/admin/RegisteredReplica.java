package dev.binlogproxy.downstream.admin;

/**
 * A replica that sent COM_REGISTER_SLAVE, as SHOW SLAVE HOSTS / SHOW REPLICAS lists it.
 *
 * @param uuid what the replica set as {@code @slave_uuid} / {@code @replica_uuid}; empty if it did not
 */
public record RegisteredReplica(long connectionId, long serverId, String host, int port, long masterId, String uuid) {
}
