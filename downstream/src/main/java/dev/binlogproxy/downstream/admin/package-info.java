/**
 * What clients ask a master outside replication, and what it answers: {@link
 * dev.binlogproxy.downstream.admin.QueryHandler} takes COM_QUERY and the small commands of one session and gives a
 * {@link dev.binlogproxy.downstream.admin.Reply}. Queries are matched on tokens ({@code SqlLexer},
 * {@code StatementParser}), never on text, and answered by statement family ({@code Expressions} for SELECT and
 * SET, {@code ShowStatements}, {@code AdminStatements} for PURGE and KILL); anything else is
 * ER_NOT_SUPPORTED_YET.
 *
 * <p>The answers describe the master the proxy impersonates, {@link dev.binlogproxy.downstream.admin.ServedMaster},
 * as {@link dev.binlogproxy.downstream.admin.ArchiveState} reads it from the archive (identity, FDE, GTID state,
 * scanned incrementally); how a master of its flavor presents itself is its {@code MasterFlavor}. The session and
 * the server are seen through {@link dev.binlogproxy.downstream.admin.ClientSession} and {@link
 * dev.binlogproxy.downstream.admin.ServerInfo}. Everything runs on the session's event loop; ArchiveState is
 * shared and thread-safe.
 */
package dev.binlogproxy.downstream.admin;
