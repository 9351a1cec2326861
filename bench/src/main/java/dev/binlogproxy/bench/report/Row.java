package dev.binlogproxy.bench.report;

/**
 * One line of the benchmark table: the proxy's number, the anchor measured in the same run, their ratio and the
 * target. {@code ratioKey} names the ratio in the history file (null: no ratio, e.g. failover has no same-run
 * anchor).
 */
record Row(String benchmark, String proxy, String anchor, double ratio, String target, String ratioKey,
           boolean met) {
}
