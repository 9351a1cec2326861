package dev.binlogproxy.downstream.admin;

import java.util.List;

/**
 * The proxy's own health table, as {@code SHOW BINLOG PROXY STATUS} returns it (admin users): one row per server
 * around the proxy. The application fills it in (master, failover candidates, replicas); the server only serves it.
 */
@FunctionalInterface
public interface ProxyStatus {
    /** One reading of the table. */
    record Table(List<String> columns, List<List<String>> rows) {
        public Table {
            columns = List.copyOf(columns);
            rows = List.copyOf(rows);
        }
    }

    Table now();
}
