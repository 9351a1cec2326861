/**
 * The archive: the store of record for the binlog files a proxy mirrors from its master.
 *
 * <h2>On disk</h2>
 * <pre>
 * &lt;dir&gt;/mysql-bin.000001 ...   the master's files, same names, byte-identical (mysqlbinlog reads them as they are)
 * &lt;dir&gt;/archive.properties      which masters, one epoch each: flavor, server_uuid, server_id, basename, the first
 *                               file each owns, where the previous one's data ended; replaced atomically
 * &lt;dir&gt;/archive.lock            an OS lock: one process per archive
 * &lt;dir&gt;/index/                  Chronicle Queue event index journal; rebuilt from the files whenever it disagrees
 * &lt;dir&gt;/tiering.journal         with tiering: the files whose copy in object storage is verified (the tiering
 *                               module's; the only thing that lets a purge delete a local copy)
 * &lt;dir&gt;/tier-cache/             with tiering: closed files fetched back for readers (listed before the oldest)
 * </pre>
 *
 * <h2>Public API</h2>
 * {@link dev.binlogproxy.archive.BinlogArchive} (open, identity and the history of masters ({@code epochs},
 * {@code epochOf}, {@code adopt}), resume position, readers, lookups, purge, verify),
 * {@link dev.binlogproxy.archive.ArchiveWriter} (what the upstream dump delivers),
 * {@link dev.binlogproxy.archive.ArchiveReader} (what downstream sessions serve), and their small value types.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>The files are the authority. The index journal and every in-memory structure can be rebuilt from them.</li>
 *   <li>A transaction is visible (readers, lookups) and acknowledged (its durable future) only when it is whole
 *       and, in {@code FSYNC} mode, synced; visibility, the index and acks advance together on one commit thread,
 *       in order. Readers never see bytes a disconnect or a crash could still take back.</li>
 *   <li>A rotation is visible at once, as on a master: a new file is listed only together with its head (FDE and
 *       the first event after it), and the old file's ROTATE becomes readable in that same step (see
 *       {@code Inventory}).</li>
 *   <li>Nothing corrupt is ever written: every event is checked (log_pos chain, CRC, boundaries) before it is.</li>
 *   <li>With a {@link dev.binlogproxy.archive.Tier} attached, a local copy is purged only once the tier records its
 *       remote copy as verified; a file only the tier holds is fetched back whole (checked) into the cache and
 *       listed in front of the oldest file, so readers and lookups read it as any closed file.</li>
 *   <li>Recovery cuts only what cannot have been acknowledged (a torn or unfinished tail of the newest file) and
 *       refuses to touch anything else.</li>
 *   <li>The archive follows a history of masters ({@link dev.binlogproxy.archive.MasterEpoch}). A new master is
 *       followed only through one explicit, crash-safe adopt, at a first file above everything the archive has;
 *       it ends the old master's epoch at its last complete transaction (cutting a ROTATE to a file that never
 *       came), so a replica reads from the old master's last file into the new master's first as after a master's
 *       crash. Every file belongs to exactly one epoch and is byte-identical to that master's file.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * The upstream session calls the writer; one commit thread per archive syncs, indexes, publishes and completes
 * futures; any number of reader threads read files directly and wait on the inventory's condition, which the commit
 * thread signals.
 */
package dev.binlogproxy.archive;
