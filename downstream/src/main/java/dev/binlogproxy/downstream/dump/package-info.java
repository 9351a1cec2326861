/**
 * The dump side of the master-side server: {@link dev.binlogproxy.downstream.dump.BinlogSender} turns a
 * {@link dev.binlogproxy.downstream.dump.DumpRequest} and the archive into the packet stream a real MySQL 8.0 or
 * MariaDB 10.11 master sends its replicas. The session side (package {@code dev.binlogproxy.downstream}) parses the
 * request and implements {@link dev.binlogproxy.downstream.dump.DumpOutput} on its channel.
 */
package dev.binlogproxy.downstream.dump;
