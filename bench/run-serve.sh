#!/usr/bin/env bash
# Side-by-side serve benchmarks (see ServeBench): the proxy's master side against a real MariaDB doing the same
# job in the same run. Summary: bench/target/serve-summary.txt.
#
#   bench/run-serve.sh                    # fan-out of a 1 GB backlog, relay latency, 100 tailing sessions
#   bench/run-serve.sh fanout 64 8        # fan-out only: 64 MB backlog, 8 clients (quick)
#   bench/run-serve.sh relay 300          # relay latency, 300 commits
#   bench/run-serve.sh tail 100 1000      # 100 sessions, 1000 commits
#   BENCH_OPTS=-Dbench.proxy=false bench/run-serve.sh   # anchors only
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${BENCH_SKIP_BUILD:-}" ] || mvn -B -q -ntp -pl bench -am package -DskipTests
[ -n "${BENCH_SKIP_BUILD:-}" ] || [ -f proxy/target/binlog-proxy.jar ] || mvn -B -q -ntp -pl proxy -am package -DskipTests
flags=$(sed -n 's:.*<chronicle.jvm.flags>\(.*\)</chronicle.jvm.flags>.*:\1:p' pom.xml | head -1)
# shellcheck disable=SC2086 # the flags are lists
java $flags ${BENCH_OPTS:-} -cp "$(cat bench/target/classpath.txt):bench/target/classes" \
    -Dbench.summary=bench/target/serve-summary.txt \
    dev.binlogproxy.bench.serve.ServeBench "$@" 2>&1 | grep --line-buffered -v DEBUG
