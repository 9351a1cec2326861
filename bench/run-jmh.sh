#!/usr/bin/env bash
# Builds bench (and the modules it needs) and runs the JMH micro-benchmarks with short settings sized for a
# 2-core machine (about 4 minutes). JSON results: bench/target/jmh.json; log: bench/target/jmh.log; the
# anchor/ratio summary BenchMain prints at the end: bench/target/jmh-summary.txt.
#
#   bench/run-jmh.sh                          # everything
#   bench/run-jmh.sh ChecksumBenchmark        # extra arguments go to JMH: a benchmark regex, -p size=64, -prof gc, ...
#   JMH_OPTS="-f 2 -wi 5 -i 10" bench/run-jmh.sh   # longer, steadier runs
set -euo pipefail

cd "$(dirname "$0")/.."
JMH_OPTS=${JMH_OPTS:-"-f 1 -wi 3 -i 5 -w 1s -r 1s"}

mvn -B -q -pl bench -am package -DskipTests

mkdir -p bench/target
# ArchiveAppendBenchmark opens an archive, whose index is Chronicle Queue: its JVM flags (forks inherit them)
flags=$(sed -n 's:.*<chronicle.jvm.flags>\(.*\)</chronicle.jvm.flags>.*:\1:p' pom.xml | head -1)
# shellcheck disable=SC2086 # JMH_OPTS and the flags are lists of options
java $flags -cp "$(cat bench/target/classpath.txt):bench/target/classes" \
    -Dbinlogproxy.fixtures=binlog-store/src/test/resources/fixtures \
    -Dbench.summary=bench/target/jmh-summary.txt \
    dev.binlogproxy.bench.BenchMain \
    $JMH_OPTS -rf json -rff bench/target/jmh.json "$@" 2>&1 | tee bench/target/jmh.log
