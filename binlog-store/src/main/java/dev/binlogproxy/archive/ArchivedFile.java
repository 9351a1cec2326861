package dev.binlogproxy.archive;

/**
 * One binlog file of the archive, as SHOW BINARY LOGS lists it.
 *
 * @param size bytes readers may read: the whole file once it is closed, the end of the last complete transaction
 *             while it is written
 */
public record ArchivedFile(String name, long size) {
}
