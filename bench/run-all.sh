#!/usr/bin/env bash
# Every side-by-side system benchmark in one go, each against the anchor it measures in the same run (a real
# MariaDB 10.11 doing the same job), then the table of ratios and a report directory with PNG plots and a
# markdown summary (bench/report: BenchReport, Charts). Each run appends its ratios to bench/history.tsv, which
# the "ratios over runs" plot draws.
#
#   bench/run-all.sh            # full sizes: 1 GB backlog and fan-out, 3000 semi-sync commits, 10 failovers (~1 h)
#   bench/run-all.sh --quick    # smaller sizes and fewer rounds: under 10 minutes on 2 cores
#
# Outputs: the table on the console; bench/target/report-<UTC time>/ (summary.md, *.png; bench/target/report is
# the latest); each benchmark's console log in bench/target/<name>.log and its text summary where its own script
# puts it. A benchmark that fails is reported as not run; the others go on. Exit 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
mode=full
case "${1:-}" in
    --quick) mode=quick ;;
    "") ;;
    *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac
started=$(date +%s)
results=bench/target/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
report=bench/target/report-$stamp
rm -rf "$results"
mkdir -p "$results"

echo "building (proxy jar and bench)..."
mvn -B -q -ntp -pl proxy,bench -am package -DskipTests || exit 1
export BENCH_SKIP_BUILD=1

failed=0
run() { # name, then the command
    local name=$1 t0
    shift
    t0=$(date +%s)
    printf '%-10s ' "$name"
    if "$@" > "bench/target/$name.log" 2>&1; then
        echo "ok in $(( $(date +%s) - t0 )) s"
    else
        echo "FAILED after $(( $(date +%s) - t0 )) s: see bench/target/$name.log"
        failed=1
    fi
}

if [ "$mode" = quick ]; then
    BENCH_OPTS="-Dbench.rounds=3 -Dbench.warmUpCommits=500" run semisync bench/run-semisync.sh 1500
    BENCH_ROUNDS=2 run backlog bench/run-backlog.sh 256
    BENCH_OPTS="-Dbench.rounds=2" run fanout bench/run-serve.sh fanout 256 8
    run relay bench/run-serve.sh relay 500
    BENCH_OPTS="-Dbench.tailWarmUp=200" run tail bench/run-serve.sh tail 50 500
    BENCH_OPTS="-Dbench.scaleWarmUp=100" run scale bench/run-scale.sh 10,1000 300
    run failover bench/run-failover.sh failover 2
else
    run semisync bench/run-semisync.sh
    run backlog bench/run-backlog.sh
    run fanout bench/run-serve.sh fanout
    run relay bench/run-serve.sh relay
    run tail bench/run-serve.sh tail
    run scale bench/run-scale.sh 10,100,1000 1000
    run failover bench/run-failover.sh failover 10
fi

flags=$(sed -n 's:.*<chronicle.jvm.flags>\(.*\)</chronicle.jvm.flags>.*:\1:p' pom.xml | head -1)
# shellcheck disable=SC2086 # the flags are a list
java $flags -Djava.awt.headless=true -cp "$(cat bench/target/classpath.txt):bench/target/classes" \
    dev.binlogproxy.bench.report.BenchReport "$results" "$report" bench/history.tsv "$mode" || failed=1
ln -sfn "report-$stamp" bench/target/report
echo "$mode run: $(( ($(date +%s) - started) / 60 )) min $(( ($(date +%s) - started) % 60 )) s"
exit $failed
