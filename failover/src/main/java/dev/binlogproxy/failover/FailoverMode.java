package dev.binlogproxy.failover;

/** Whether the proxy replaces a dead master by itself. */
public enum FailoverMode {
    /** Detect a dead master and promote a candidate. */
    AUTO,
    /** Detect and report; promote only on command ({@code binlog-proxy failover}). */
    MANUAL,
    /** Neither: the mirror reconnects to its master forever. */
    OFF
}
