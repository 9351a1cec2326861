package dev.binlogproxy.testkit;

import java.util.Map;

/** Reading SHOW SLAVE STATUS while waiting on a replica: is it still replicating, and a one-line summary. */
final class ReplicaStatus {
    private ReplicaStatus() {
    }

    /** Fails when a replication thread stopped (with its Last_*_Error), so a wait does not run into its timeout. */
    static void requireRunning(DbServer replica, Map<String, String> status) {
        boolean ioRunning = !"No".equals(status.get("Slave_IO_Running"));
        boolean sqlRunning = "Yes".equals(status.get("Slave_SQL_Running"));
        boolean ioError = !"0".equals(status.getOrDefault("Last_IO_Errno", "0"));
        boolean sqlError = !"0".equals(status.getOrDefault("Last_SQL_Errno", "0"));
        // An I/O error while the thread still runs is a retry in progress (master restarting): keep waiting.
        if ((!sqlRunning && sqlError) || (!ioRunning && ioError)) {
            throw new TestkitException("Replication on " + replica + " stopped with an error: " + summary(status));
        }
        if (!ioRunning || !sqlRunning) {
            throw new TestkitException("Replication on " + replica + " is not running: " + summary(status));
        }
    }

    static String summary(Map<String, String> s) {
        return "Slave_IO_Running=" + s.get("Slave_IO_Running")
                + ", Slave_SQL_Running=" + s.get("Slave_SQL_Running")
                + ", Last_IO_Errno=" + s.get("Last_IO_Errno") + ", Last_IO_Error=" + s.get("Last_IO_Error")
                + ", Last_SQL_Errno=" + s.get("Last_SQL_Errno") + ", Last_SQL_Error=" + s.get("Last_SQL_Error")
                + ", Master_Log_File=" + s.get("Master_Log_File")
                + ", Read_Master_Log_Pos=" + s.get("Read_Master_Log_Pos")
                + ", Exec_Master_Log_Pos=" + s.get("Exec_Master_Log_Pos")
                + (s.containsKey("Executed_Gtid_Set") ? ", Executed_Gtid_Set=" + s.get("Executed_Gtid_Set") : "")
                + (s.containsKey("Gtid_IO_Pos") ? ", Gtid_IO_Pos=" + s.get("Gtid_IO_Pos") : "");
    }
}
