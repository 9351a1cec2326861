#!/usr/bin/env bash
# How tailing sessions scale on one proxy (see ScaleBench): 10, 100, 1,000 replicas dumping from a fresh
# bin/binlog-proxy each, beside the same count dumping from the MariaDB master. Summary:
# bench/target/scale-summary.txt; numbers in bench/target/results/scale.tsv.
#
#   bench/run-scale.sh                 # 10,100,1000 sessions, 1000 commits each
#   bench/run-scale.sh 10,1000 500     # the counts and commits given
#   BENCH_OPTS=-Dbench.master=false bench/run-scale.sh   # the proxy only
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${BENCH_SKIP_BUILD:-}" ] || mvn -B -q -ntp -pl bench -am package -DskipTests
[ -n "${BENCH_SKIP_BUILD:-}" ] || [ -f proxy/target/binlog-proxy.jar ] || mvn -B -q -ntp -pl proxy -am package -DskipTests
flags=$(sed -n 's:.*<chronicle.jvm.flags>\(.*\)</chronicle.jvm.flags>.*:\1:p' pom.xml | head -1)
# shellcheck disable=SC2086 # the flags are lists
java $flags ${BENCH_OPTS:-} -cp "$(cat bench/target/classpath.txt):bench/target/classes" \
    -Dbench.summary=bench/target/scale-summary.txt \
    dev.binlogproxy.bench.serve.ScaleBench "$@" 2>&1 | grep -v DEBUG
