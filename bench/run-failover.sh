#!/usr/bin/env bash
# Failover and switchover as users run the proxy (bin/binlog-proxy run, failover auto, detectTimeout 1s), against
# a MariaDB 10.11 master killed -9 under a write load; fresh servers each round. Summary:
# bench/target/failover-summary.txt.
#
#   bench/run-failover.sh                  # 10 kills
#   bench/run-failover.sh failover 3       # quick
#   bench/run-failover.sh switchover 5     # the write pause of a planned switchover
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${BENCH_SKIP_BUILD:-}" ] || mvn -B -q -ntp -pl bench -am package -DskipTests
[ -n "${BENCH_SKIP_BUILD:-}" ] || [ -f proxy/target/binlog-proxy.jar ] || mvn -B -q -ntp -pl proxy -am package -DskipTests
flags=$(sed -n 's:.*<chronicle.jvm.flags>\(.*\)</chronicle.jvm.flags>.*:\1:p' pom.xml | head -1)
# shellcheck disable=SC2086 # the flags are lists
java $flags ${BENCH_OPTS:-} -cp "$(cat bench/target/classpath.txt):bench/target/classes" \
    -Dbench.summary=bench/target/failover-summary.txt \
    dev.binlogproxy.bench.FailoverBench "$@" 2>&1 | grep -v DEBUG
