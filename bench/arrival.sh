#!/usr/bin/env bash
# bench/arrival.sh: the open model's accuracy (issue 7).
#  1. Rate: arrivals per second asked for vs achieved, at 100, 1,000 and 10,000/s: the server's
#     request count (each arrival makes one GET) over the stage's duration, loadc's own count of
#     started/dropped/late arrivals and the lateness of their starts (from its summary).
#  2. Latency: against `loadc serve`'s /delay/50 (answers 50 ms after the request arrives), the
#     p50 and p99 loadc reports, service time and from the intended start, at 100 arrivals/s,
#     beside wrk's (closed model, -c 10, --latency) for the same endpoint. Target: within 1 ms
#     of 50 ms.
# loadc serve runs on CPU 1, loadc on CPU 0 (`--threads 1`), wrk on CPU 0.
# Usage: bench/arrival.sh [SECONDS (default 5; 10,000/s uses min(SECONDS, 2) to stay within
#        the ephemeral ports: every arrival is a new connection)]
set -euo pipefail
secs=${1:-5}
. "$(dirname "$0")/lib.sh"
bash "$bench_root/.ci/deps" bench
bench_build
ulimit -n "$(ulimit -Hn)"
bench_serve 1

stats_total() { curl -fsS "$SERVE_URL/__stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }

scenario() { # RATE SECONDS PATH MAX_USERS
  cat >"$bench_tmp/a.yaml" <<YAML
version: 1
name: arrival_bench
load:
  arrival:
    max_users: $4
    stages:
      - {duration: ${2}s, rate: $1}
users:
  Visitor:
    tasks:
      - get: $3
YAML
}

echo "1. arrival rate: asked vs achieved (server count / duration); loadc on CPU 0, --threads 1"
printf "%10s %8s %10s %10s %10s %9s %9s %7s %12s %12s\n" "asked/s" "secs" "scheduled" "started" "server" "achieved/s" "dropped" "late" "lateness p99" "max"
for rate in 100 1000 10000; do
  d=$secs
  [ "$rate" -ge 10000 ] && [ "$d" -gt 2 ] && d=2
  scenario "$rate" "$d" /bytes/10 100000
  curl -fsS "$SERVE_URL/__reset" >/dev/null
  taskset -c 0 "$LOADC" run "$bench_tmp/a.yaml" -H "$SERVE_URL" --threads 1 --stop-timeout 10s \
    --only-summary >"$bench_tmp/out" 2>"$bench_tmp/err" || true
  line=$(grep '^Arrivals:' "$bench_tmp/out" || echo "Arrivals: ? scheduled, ? started, ? dropped")
  sched=$(echo "$line" | sed -E 's/Arrivals: ([0-9?]+) scheduled.*/\1/')
  started=$(echo "$line" | sed -E 's/.* ([0-9?]+) started.*/\1/')
  dropped=$(echo "$line" | sed -E 's/.* ([0-9?]+) dropped.*/\1/')
  late=$(echo "$line" | sed -E 's/.*\), ([0-9?]+) late.*/\1/')
  p99=$(echo "$line" | sed -E 's/.*lateness p99 ([0-9.]+) ms.*/\1/')
  mx=$(echo "$line" | sed -E 's/.*max ([0-9.]+) ms\).*/\1/')
  srv=$(stats_total)
  printf "%10s %8s %10s %10s %10s %9.1f %9s %7s %9s ms %9s ms\n" "$rate" "$d" "$sched" "$started" "$srv" \
    "$(awk -v a="$srv" -v b="$d" 'BEGIN {print a / b}')" "$dropped" "$late" "$p99" "$mx"
done

echo
echo "2. latency against /delay/50 (the true answer is 50 ms after the request arrives)"
scenario 100 "$secs" /delay/50 10000
curl -fsS "$SERVE_URL/__reset" >/dev/null
taskset -c 0 "$LOADC" run "$bench_tmp/a.yaml" -H "$SERVE_URL" --threads 1 --stop-timeout 10s \
  --only-summary >"$bench_tmp/out" 2>"$bench_tmp/err" || true
svc=$(awk '/^Response time percentiles \(ms, from/ {f=1; next} f && /Aggregated/ {print $2, $9; exit}' "$bench_tmp/out")
itd=$(awk '/^Response time percentiles from the intended start/ {f=1; next} f && /Aggregated/ {print $2, $9; exit}' "$bench_tmp/out")
wrkout=$(taskset -c 0 wrk -t1 -c10 -d"${secs}s" --latency "$SERVE_URL/delay/50" 2>&1)
w50=$(echo "$wrkout" | awk '$1 == "50%" {print $2}')
w99=$(echo "$wrkout" | awk '$1 == "99%" {print $2}')
printf "%-44s %10s %10s\n" "" "p50" "p99"
printf "%-44s %10s %10s\n" "loadc, open model 100/s, service time (ms)" $svc
printf "%-44s %10s %10s\n" "loadc, open model 100/s, intended start (ms)" $itd
printf "%-44s %10s %10s\n" "wrk -t1 -c10 --latency" "$w50" "$w99"
