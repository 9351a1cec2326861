package dev.binlogproxy.archive;

/** When an appended transaction counts as stored, which is when its durable future completes (and a semi-sync ack may go out). */
public enum Durability {
    /**
     * After fdatasync of the binlog file. One syncing thread covers every transaction appended while the previous
     * sync ran (group commit), so throughput grows with concurrency while each transaction waits about one or two
     * sync times. A transaction acknowledged in this mode survives kill -9 and power loss.
     */
    FSYNC,
    /**
     * After write() to the page cache: survives kill -9 of the proxy but not a machine crash. MySQL's default replica
     * semantics (relay log without sync_relay_log).
     */
    WRITE
}
