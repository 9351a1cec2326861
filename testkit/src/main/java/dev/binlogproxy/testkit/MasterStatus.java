package dev.binlogproxy.testkit;

/** One row of SHOW MASTER STATUS: the binlog file the server writes and its end position. */
public record MasterStatus(String file, long position) {
    @Override
    public String toString() {
        return file + ":" + position;
    }
}
