package dev.binlogproxy.downstream.dump;

import java.io.IOException;

import dev.binlogproxy.archive.ArchiveReader;
import dev.binlogproxy.binlog.ChecksumAlgorithm;
import dev.binlogproxy.binlog.EventType;
import dev.binlogproxy.binlog.MalformedEventException;
import dev.binlogproxy.binlog.event.MySqlGtidEvent;
import dev.binlogproxy.binlog.position.MySqlGtid;
import dev.binlogproxy.binlog.position.MySqlGtidSet;
import dev.binlogproxy.binlog.txn.EventRole;

/**
 * MySQL COM_BINLOG_DUMP_GTID skipping: a GTID event starts or ends an excluded group (its GTID is in the replica's
 * set); other events follow the group they are in; a ROTATE is never skipped. Anonymous GTIDs, like any non-GTID
 * event, stay in the current group (MySQL's rule). 8.0.15 answers every skipped event with a heartbeat at its end,
 * and a batch read that ends inside a skipped group with one more.
 */
final class MySqlSkip implements GtidSkip {
    private final MySqlGtidSet executed;
    private boolean excluding;

    MySqlSkip(MySqlGtidSet executed) {
        this.executed = executed;
    }

    @Override
    public boolean leaveOut(ArchiveReader.Entry e, int type, EventRole role, ChecksumAlgorithm checksum,
                            StandIns out) throws IOException {
        if (type == EventType.ROTATE.code()) {
            excluding = false;
            return false;
        }
        if (type == EventType.GTID.code()) {
            MySqlGtid g;
            try {
                g = MySqlGtidEvent.decode(e.event(), checksum).gtid();
            } catch (MalformedEventException bad) {
                throw new IOException(e.file() + ":" + e.offset() + ": bad GTID event: " + bad.getMessage(), bad);
            }
            excluding = executed.contains(g);
        }
        if (excluding) {
            out.heartbeat();
        }
        return excluding;
    }

    @Override
    public void batchEnded(StandIns out) throws IOException {
        if (excluding) {
            out.heartbeat();
        }
    }

    @Override
    public boolean finished() {
        return false;
    }

    @Override
    public boolean clearsFirstCreateTimestamp() {
        return !executed.isEmpty();
    }
}
