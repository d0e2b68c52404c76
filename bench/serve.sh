#!/usr/bin/env bash
# bench/serve.sh: how fast is the built-in target `loadc serve`, side by side with nginx, both
# pinned to CPU 1 and driven by wrk pinned to CPU 0, keep-alive GETs of 100 bytes over loopback.
# Prints requests/s and server CPU microseconds per request for each, and the ratios.
# Usage: bench/serve.sh [SECONDS (default 5)]
set -euo pipefail
secs=${1:-5}
. "$(dirname "$0")/lib.sh"
bash "$bench_root/.ci/deps" build bench
bench_build
bench_nginx 1
bench_serve 1
hz=$(getconf CLK_TCK)

measure() { # measure NAME URL PID CONNS -> prints a row, sets RPS and CPU_US
  local name=$1 url=$2 pid=$3 conns=$4 t0 t1 out
  t0=$(bench_cpu_ticks "$pid")
  out=$(taskset -c 0 wrk -t1 -c"$conns" -d"${secs}s" "$url")
  t1=$(bench_cpu_ticks "$pid")
  RPS=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  local reqs
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  CPU_US=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v n="$reqs" 'BEGIN {printf "%.2f", t / hz * 1e6 / n}')
  printf '%-14s %6s conns %12s req/s %8s us CPU/req\n' "$name" "$conns" "$RPS" "$CPU_US"
}

echo "loadc serve vs nginx (1 worker), wrk -t1, ${secs}s each, 100-byte bodies"
for c in 50 1000; do
  measure nginx "$NGINX_URL/100b.txt" "$NGINX_PID" "$c"; n_rps=$RPS; n_cpu=$CPU_US
  measure "loadc serve" "$SERVE_URL/bytes/100" "$SERVE_PID" "$c"; s_rps=$RPS; s_cpu=$CPU_US
  awk -v a="$s_rps" -v b="$n_rps" -v c="$s_cpu" -v d="$n_cpu" -v k="$c" \
    'BEGIN {printf "ratio at %d conns: loadc serve / nginx = %.2f x req/s, %.2f x CPU per request\n", k, a / b, c / d}'
done
