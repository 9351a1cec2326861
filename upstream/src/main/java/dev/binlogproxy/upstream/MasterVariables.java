package dev.binlogproxy.upstream;

import dev.binlogproxy.client.ServerConnection;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import io.netty.channel.EventLoopGroup;

import dev.binlogproxy.protocol.packet.TextResultSet;

/**
 * Reads the master's global variables over a short connection of its own (the dump connection is busy
 * streaming), so that the proxy's server can answer replicas with the master's real values (gtid_mode, version
 * comment, binlog format, ...). SHOW VARIABLES needs no privilege beyond the replication user's.
 */
public final class MasterVariables {

    private MasterVariables() {
    }

    /** {@code SHOW GLOBAL VARIABLES}, lower-case names. */
    public static Map<String, String> read(EventLoopGroup group, UpstreamSettings settings) throws IOException {
        try (ServerConnection conn = ServerConnection.open(group, settings.connection())) {
            TextResultSet rs = conn.query("SHOW GLOBAL VARIABLES");
            Map<String, String> out = new TreeMap<>();
            for (List<String> row : rs.rows()) {
                if (row.size() >= 2 && row.get(0) != null) {
                    out.put(row.get(0).toLowerCase(Locale.ROOT), row.get(1) == null ? "" : row.get(1));
                }
            }
            return out;
        }
    }
}
