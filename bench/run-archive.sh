#!/usr/bin/env bash
# Archive benchmarks that run as plain main classes (see GroupCommitBench, ReopenBench):
#
#   bench/run-archive.sh groupcommit        # tx/s, ack latency, transactions per fdatasync; 1-32 committers
#   bench/run-archive.sh reopen [MB]        # open time on a large newest file: clean, torn tail, no index
#   bench/run-archive.sh append [rounds [warm-up rounds]]
#                                           # ArchiveAppendBenchmark's held appends, its checks-only floor and a raw
#                                           # FileChannel write, alternating in one JVM, median ratios
#                                           # (-Dbench.mix, -Dbench.durability, -Dbench.readKiB)
#   BENCH_OPTS=-Dbench.seconds=10 bench/run-archive.sh groupcommit
#
# Summaries: bench/target/group-commit-summary.txt, bench/target/reopen-summary.txt,
# bench/target/append-summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-}"
shift || true
case "$what" in
    groupcommit) main=dev.binlogproxy.bench.GroupCommitBench ;;
    reopen) main=dev.binlogproxy.bench.ReopenBench ;;
    # with the collector bin/binlog-proxy runs (the anchor's speed depends on it: docs/results.md, session 16),
    # unless BENCH_OPTS names one (the JVM refuses two), as the launcher does with BINLOG_PROXY_JAVA_OPTS
    append)
        main=dev.binlogproxy.bench.ArchiveAppendBenchmark
        case " ${BENCH_OPTS:-} " in
            *"-XX:+Use"*"GC"*) ;;
            *) BENCH_OPTS="-XX:+UseSerialGC ${BENCH_OPTS:-}" ;;
        esac ;;
    *) echo "usage: $0 groupcommit | reopen [MB] | append [rounds [warm-up rounds]]" >&2; exit 2 ;;
esac
mvn -B -q -pl bench -am package -DskipTests
flags=$(sed -n 's:.*<chronicle.jvm.flags>\(.*\)</chronicle.jvm.flags>.*:\1:p' pom.xml | head -1)
# shellcheck disable=SC2086 # the flags are a list
java $flags ${BENCH_OPTS:-} -cp "$(cat bench/target/classpath.txt):bench/target/classes" \
    -Dbinlogproxy.fixtures=binlog-store/src/test/resources/fixtures "$main" "$@" 2>&1 | grep -v DEBUG
