#!/usr/bin/env bash
# Side-by-side backlog benchmark (see BacklogBench): a ~1 GB binlog backlog on a real MariaDB master copied by
# mariadb-binlog --read-from-remote-server --raw and mirrored by the proxy (write and fsync), in one run.
# Summary: bench/target/backlog-summary.txt.
#
#   bench/run-backlog.sh           # 1024 MB backlog, 2 rounds
#   bench/run-backlog.sh 256       # smaller backlog
#   BENCH_ROUNDS=3 bench/run-backlog.sh
#   BENCH_OPTS="-Dbench.rowBytes=200 -Dbench.rowsPerTransaction=5" bench/run-backlog.sh 256   # small transactions
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${BENCH_SKIP_BUILD:-}" ] || mvn -B -q -pl bench -am package -DskipTests
[ -n "${BENCH_SKIP_BUILD:-}" ] || [ -f proxy/target/binlog-proxy.jar ] || mvn -B -q -ntp -pl proxy -am package -DskipTests
flags=$(sed -n 's:.*<chronicle.jvm.flags>\(.*\)</chronicle.jvm.flags>.*:\1:p' pom.xml | head -1)
# shellcheck disable=SC2086 # the flags are a list
java $flags ${BENCH_OPTS:-} -cp "$(cat bench/target/classpath.txt):bench/target/classes" \
    -Dbench.summary=bench/target/backlog-summary.txt -Dbench.rounds="${BENCH_ROUNDS:-2}" \
    dev.binlogproxy.bench.BacklogBench "$@" 2>&1 | grep -v DEBUG
