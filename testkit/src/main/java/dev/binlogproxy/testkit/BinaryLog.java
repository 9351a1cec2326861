package dev.binlogproxy.testkit;

/**
 * One row of {@code SHOW BINARY LOGS}.
 *
 * @param name file name, e.g. {@code mysql-bin.000001}
 * @param size size in bytes as the server reports it
 */
public record BinaryLog(String name, long size) {
}
