/**
 * The master-side server: replicas, binlog tools and mysql clients connect here as if to the master the proxy
 * mirrors, log in, ask what it is, and dump the archive.
 *
 * <h2>Packages</h2>
 * <pre>
 * downstream          DownstreamServer (listener, sessions, replicas, dumps by server_id, ack listeners), Session
 *                     (one connection: routes each packet to the package that owns it), ServerSettings, metrics
 * downstream.login    ServerAuthenticator: the connection phase as a state machine fed packets, returning steps
 * downstream.admin    QueryHandler: the SQL and small commands clients send; the variables and state it reports
 * downstream.dump     BinlogSender: a dump request and the archive to a real master's packet stream; DumpRun
 *                     steps it on the session's event loop, ChannelDumpOutput frames it onto the channel
 * </pre>
 *
 * <h2>Public API</h2>
 * {@link dev.binlogproxy.downstream.DownstreamServer#start} with {@link dev.binlogproxy.downstream.ServerSettings}
 * (users as {@code login.UserAccount}), then {@code port()}, {@code replicas()}, {@code addAckListener} and
 * {@code close()}. {@code dump.BinlogSender} with its request and output types also runs on its own (tools,
 * benchmarks). The subpackages' other public types are what the session needs of them.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>The proxy is its master, as replicas see it: version, server_id, server_uuid, checksum and GTID state come
 *       from the archive; a master of that flavor's other variables from the upstream.</li>
 *   <li>What MySQL 8.0 and MariaDB 10.11 do differently is in one class per flavor and concern, chosen once from
 *       the archive's flavor: {@code admin.MasterFlavor} (greeting, variables, SHOW columns) and
 *       {@code dump.DumpFlavor} (dump start rules and texts, heartbeats, flag 0x02, filters for old replicas).
 *       Nothing else asks which flavor it serves.</li>
 *   <li>A protocol violation closes only its session, with the ERR a server sends (code and SQLSTATE).</li>
 *   <li>Framing is {@code protocol.Framing}'s and the event-packet prefix {@code protocol.packet.EventPacket}'s;
 *       every rewritten or fake event is built by binlog-store's typed encoders, which compute the CRC.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * Each session runs on its channel's event loop (two loops for all sessions): login, queries, and its dump's
 * steps. Only a dump's start decision, which may wait for the archive, runs on the small {@code dump-start} pool.
 */
package dev.binlogproxy.downstream;
