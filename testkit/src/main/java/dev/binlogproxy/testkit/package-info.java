/**
 * Real MySQL 8.0.15 and MariaDB 10.11 servers for tests, benchmarks and the demo, on 127.0.0.1, without Docker.
 *
 * <p>Public API: {@link dev.binlogproxy.testkit.DbServer} (one server: start, SQL helpers, replication, binlog
 * files, kill/restart/close), {@link dev.binlogproxy.testkit.ServerOptions} (how to start it),
 * {@link dev.binlogproxy.testkit.RealServer} (JUnit 5 extension). Everything else is package-private.
 *
 * <p>System properties: {@code binlogproxy.testkit.root} (instance directories, default
 * {@code ${java.io.tmpdir}/binlog-proxy-testkit}), {@code binlogproxy.testkit.cache} (unpacked MySQL and template
 * data directories, default {@code ~/.cache/binlog-proxy}).
 */
package dev.binlogproxy.testkit;
