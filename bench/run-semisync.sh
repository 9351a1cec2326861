#!/usr/bin/env bash
# Side-by-side semi-sync ack benchmark (see SemiSyncAckBench): a real MariaDB replica vs the proxy as the
# master's only semi-sync replica, in one run. Summary: bench/target/semisync-summary.txt.
#
#   bench/run-semisync.sh          # 3000 commits per configuration
#   bench/run-semisync.sh 10000
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${BENCH_SKIP_BUILD:-}" ] || mvn -B -q -pl bench -am package -DskipTests
flags=$(sed -n 's:.*<chronicle.jvm.flags>\(.*\)</chronicle.jvm.flags>.*:\1:p' pom.xml | head -1)
# shellcheck disable=SC2086 # the flags are a list
java $flags ${BENCH_OPTS:-} -cp "$(cat bench/target/classpath.txt):bench/target/classes" \
    -Dbench.summary=bench/target/semisync-summary.txt \
    dev.binlogproxy.bench.SemiSyncAckBench "$@" 2>&1 | grep -v DEBUG
