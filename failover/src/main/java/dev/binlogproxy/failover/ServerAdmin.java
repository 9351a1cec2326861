package dev.binlogproxy.failover;

import dev.binlogproxy.binlog.BinlogFlavor;
import dev.binlogproxy.client.ConnectionSettings;
import dev.binlogproxy.client.MasterInfo;
import dev.binlogproxy.client.ReplicaHandshake;
import dev.binlogproxy.client.ServerConnection;
import dev.binlogproxy.protocol.packet.TextResultSet;
import io.netty.channel.EventLoopGroup;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An administrator's connection to a server that takes part in a failover (a candidate, the old master): the
 * statements failover runs, in the server's own dialect, over the project's client.
 */
final class ServerAdmin implements AutoCloseable {
    private final ServerConnection conn;
    private final ConnectionSettings settings;

    private ServerAdmin(ServerConnection conn, ConnectionSettings settings) {
        this.conn = conn;
        this.settings = settings;
    }

    static ServerAdmin connect(EventLoopGroup group, ConnectionSettings settings) throws IOException {
        return new ServerAdmin(ServerConnection.open(group, settings), settings);
    }

    String address() {
        return settings.address();
    }

    BinlogFlavor flavor() {
        return conn.flavor();
    }

    /** {@code @@GLOBAL.name}, or empty when the server has no such variable. */
    Optional<String> variable(String name) throws IOException {
        return Optional.ofNullable(conn.queryValue("SELECT @@GLOBAL." + name));
    }

    boolean flag(String name) throws IOException {
        String v = variable(name).orElse("0");
        return v.equals("1") || v.equalsIgnoreCase("ON");
    }

    /** SHOW SLAVE STATUS as column to value; empty when the server is not a replica. */
    Map<String, String> replicaStatus() throws IOException {
        TextResultSet rs = conn.query("SHOW SLAVE STATUS");
        Map<String, String> out = new LinkedHashMap<>();
        if (!rs.rows().isEmpty()) {
            List<String> names = rs.columnNames();
            List<String> row = rs.rows().get(0);
            for (int i = 0; i < names.size(); i++) {
                out.put(names.get(i), row.get(i));
            }
        }
        return out;
    }

    List<MasterInfo.MasterLog> binaryLogs() throws IOException {
        return ReplicaHandshake.binaryLogs(conn);
    }

    /** The file the server writes now (SHOW MASTER STATUS). */
    MasterInfo.MasterLog currentBinlog() throws IOException {
        TextResultSet rs = conn.query("SHOW MASTER STATUS");
        if (rs.rows().isEmpty()) {
            throw new IOException(address() + " has binary logging off");
        }
        return new MasterInfo.MasterLog(rs.rows().get(0).get(0), Long.parseLong(rs.rows().get(0).get(1)));
    }

    /**
     * Waits until the replica's SQL thread has applied its master's events up to {@code file:position}.
     *
     * @return true when reached, false on timeout
     * @throws IOException when the server says replication is not running (MASTER_POS_WAIT gives NULL)
     */
    boolean awaitApplied(String file, long position, Duration timeout) throws IOException {
        String r = conn.queryValue("SELECT MASTER_POS_WAIT('" + file.replace("'", "''") + "', " + position + ", "
                + Math.max(1, timeout.toSeconds()) + ")");
        if (r == null) {
            throw new IOException(address() + ": replication is not running (MASTER_POS_WAIT returned NULL)");
        }
        return Long.parseLong(r) >= 0;
    }

    void execute(String... statements) throws IOException {
        conn.execute(statements);
    }

    TextResultSet query(String sql) throws IOException {
        return conn.query(sql);
    }

    @Override
    public void close() {
        conn.close();
    }
}
