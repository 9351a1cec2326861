#!/usr/bin/env bash
# The kernel's floor for serving over loopback TCP (bench/floor/loopback-send.c): the CPU seconds per GB a sender
# pays to push 1 GB of page-cached file to a reader that discards it, by write size and way of writing. What
# mariadbd's and the proxy's CPU per GB in the fan-out (bench/run-serve.sh fanout) are set against.
#
#   bench/run-floor.sh            # 3 rounds of every mode and write size, 1 GB in /dev/shm
#   bench/run-floor.sh 5 512      # 5 rounds, 512 MB
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
mb=${2:-1024}
command -v cc >/dev/null || { echo "run-floor: needs a C compiler (apt-get install gcc)" >&2; exit 1; }
mkdir -p bench/target
cc -O2 -o bench/target/loopback-send bench/floor/loopback-send.c
file=$(mktemp /dev/shm/floor.XXXXXX)
trap 'rm -f "$file"' EXIT
head -c $((mb << 20)) /dev/urandom > "$file"
echo "loopback send floor, $(nproc) cpus, $(uname -r), lo MTU $(ip -o link show lo | sed -n 's/.*mtu \([0-9]*\).*/\1/p'); load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
  echo "round $r"
  for w in 16384 32768 65483 65536 131072; do
    bench/target/loopback-send pread "$file" 8192 $w
  done
  bench/target/loopback-send framed "$file" 8192 65483
  bench/target/loopback-send framed "$file" 8192 65536
  bench/target/loopback-send writev "$file" 8192 65483
  bench/target/loopback-send sendfile "$file"
done
