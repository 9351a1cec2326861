package dev.binlogproxy.failover;

/**
 * The steps of a promotion, in the order they run (the Booking.com procedure, automated). Each step that changes
 * a server or the archive journals its inverse first ({@link UndoJournal}). {@link #REPOINT} is the point of no
 * return: once the mirror follows the candidate in the archive's new epoch, a failure is finished forward, never
 * rolled back (a candidate that dies after it is simply the next master to fail over from).
 */
public enum Step {
    /** Old master read-only and its in-flight commits archived (switchover only). */
    DRAIN_OLD_MASTER("old master read-only, in-flight commits archived"),
    /** The execBefore hook: fence the old master; a non-zero exit aborts. */
    FENCE("fence (execBefore)"),
    /** The mirror stops at a transaction boundary: the archive's end is final. */
    PAUSE_MIRROR("mirror paused at the archive's last complete transaction"),
    /** The candidate applies everything the archive has (everything the proxy acknowledged). */
    CATCH_UP("candidate applied the archive's last transaction"),
    /** STOP SLAVE, RESET SLAVE (connection settings kept for a rollback). */
    STOP_REPLICATION("candidate's replication stopped"),
    /** FLUSH BINARY LOGS until the candidate's current file is above the archive's last file. */
    ALIGN_NUMBERING("candidate's binlog numbered past the archive"),
    /** Semi-sync master on, as the old master had it. */
    SEMI_SYNC("semi-sync master on the candidate"),
    /** The archive records the candidate as its next master epoch. */
    ADOPT("archive adopted the candidate as its next epoch"),
    /** The mirror follows the candidate from its new file, position 4. */
    REPOINT("mirror repointed at the candidate"),
    /** read_only off: the first write is already acknowledged by the proxy. */
    WRITABLE("candidate writable"),
    /** RESET SLAVE ALL, so a restart never makes the new master a replica again. */
    FORGET_REPLICATION("candidate's old replication settings removed"),
    /** The execAfter hook (move a VIP, DNS). */
    ANNOUNCE("announced (execAfter)"),
    /** The old master joins as a replica of the proxy at the new master's first file (switchover, optional). */
    REJOIN_OLD_MASTER("old master replicates from the proxy");

    private final String description;

    Step(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    /** Whether this step is past the point of no return. */
    boolean forwardOnly() {
        return ordinal() > REPOINT.ordinal();
    }
}
