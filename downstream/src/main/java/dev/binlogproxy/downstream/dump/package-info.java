/**
 * Dumps: {@link dev.binlogproxy.downstream.dump.BinlogSender} turns a {@link
 * dev.binlogproxy.downstream.dump.DumpRequest} (read from the dump command and the session's variables by {@link
 * dev.binlogproxy.downstream.dump.DumpRequests}) and the archive into the packet stream a real MySQL 8.0 or MariaDB
 * 10.11 master sends its replicas, through a {@link dev.binlogproxy.downstream.dump.DumpOutput}. In the server,
 * {@link dev.binlogproxy.downstream.dump.DumpRun} decides the start on the dump-start pool and steps the sender on
 * the session's event loop, and {@code ChannelDumpOutput} frames the packets onto the channel (batches, file
 * regions, file mappings).
 *
 * <p>Inside: {@code StartResolver} finds the start (file and position, or the GTID start through
 * {@code binlog.file.GtidStartLocator}); {@code DumpFlavor} ({@code MySqlDump}, {@code MariaDbDump}) holds what the
 * flavors do differently; {@code GtidSkip} ({@code MySqlSkip}, {@code MariaSkip}) what a GTID dump leaves out;
 * {@code FakeEvents} the events in no file, built by binlog-store's typed encoders; {@code IdleDumps} parks a loop's
 * idle dumps behind one archive listener, and {@code SharedRuns} hands what one dump of a loop read and framed to
 * the others at the same place.
 */
package dev.binlogproxy.downstream.dump;
