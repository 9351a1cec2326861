/**
 * Tiering: the archive's closed files copied to S3-compatible object storage, verified, recorded durably
 * ({@code ARCHIVE/tiering.journal}), and fetched back when a reader wants a file whose local copy retention
 * removed. The AWS SDK lives here only; the archive (binlog-store) knows tiering through its
 * {@link dev.binlogproxy.archive.Tier} interface, and the application wires the two.
 *
 * <p>Rules: never the newest (active) file; a local copy is deleted only after the durable record says its remote
 * copy is verified; uploads run on their own thread, never on the mirror's ack path; a copy fetched back is
 * checked (size, SHA-256, every event's CRC) before any reader sees it.
 */
package dev.binlogproxy.tiering;
