package dev.binlogproxy.downstream.dump;

import java.io.IOException;
import java.util.List;

import dev.binlogproxy.archive.ArchiveReader;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.position.MariaGtid;
import dev.binlogproxy.binlog.txn.EventRole;

/**
 * What a GTID dump leaves out of the files it sends because the replica has it, and what its master sends in
 * its place; one rule per flavor ({@link MySqlSkip}, {@link MariaSkip}), made by the flavor's GTID start.
 */
sealed interface GtidSkip permits MySqlSkip, MariaSkip {

    /** What the sender sends in place of events a skip leaves out. */
    interface StandIns {
        /** A heartbeat naming where the replica stands (the end of the event just left out). */
        void heartbeat() throws IOException;

        /** A fake GTID_LIST: sending resumes at {@code logPos}, with this binlog state. */
        void gtidList(long logPos, List<MariaGtid> state) throws IOException;
    }

    /** Takes the dump's next event: true if it is left out; what goes in its place, if anything, went to {@code out}. */
    boolean leaveOut(ArchiveReader.Entry e, int type, EventRole role, ChecksumAlgorithm checksum, StandIns out)
            throws IOException;

    /** Everything readable was read: a master may say where a batch that ended inside a left-out group stands. */
    void batchEnded(StandIns out) throws IOException;

    /** Nothing more will be left out: the sender can drop the skip. */
    boolean finished();

    /**
     * Seen on both masters: a GTID dump that has transactions to skip clears create_timestamp of the first FDE, as
     * a dump from past 4 does.
     */
    boolean clearsFirstCreateTimestamp();
}
