package dev.binlogproxy.downstream.dump;

import dev.binlogproxy.binlog.position.MariaGtidPosition;
import dev.binlogproxy.binlog.position.MySqlGtidSet;

import java.util.Objects;

/** Where a dump starts, as the client asked for it. */
public sealed interface StartPoint {

    /** COM_BINLOG_DUMP: a file and an offset in it; an empty file name means the oldest file, like a real master. */
    record FilePosition(String file, long position) implements StartPoint {
        public FilePosition {
            Objects.requireNonNull(file, "file");
        }
    }

    /** COM_BINLOG_DUMP_GTID: the GTIDs the replica has executed; the master sends every other transaction. */
    record MySqlGtids(MySqlGtidSet executed) implements StartPoint {
        public MySqlGtids {
            Objects.requireNonNull(executed, "executed");
        }
    }

    /** MariaDB {@code @slave_connect_state}: per domain, the last GTID the replica has applied. */
    record MariaGtids(MariaGtidPosition connectState) implements StartPoint {
        public MariaGtids {
            Objects.requireNonNull(connectState, "connectState");
        }
    }
}
