#!/usr/bin/env bash
# bench/check_overhead.sh: what a JSON check and a capture cost (issue 5). The same keep-alive
# GET /json against `loadc serve` (pinned to CPU 1), 20 users without wait, `loadc run` pinned to
# CPU 0 with one worker thread: once plain, once with a JSON check and a JSON capture (the body
# kept and parsed). Prints client CPU microseconds per request (whole process / requests) for
# each, and the difference. Usage: bench/check_overhead.sh [SECONDS (default 8)] [ROUNDS (3)]
set -euo pipefail
secs=${1:-8}
rounds=${2:-3}
. "$(dirname "$0")/lib.sh"
bash "$bench_root/.ci/deps" build bench
bench_build
bench_serve 1

cat >"$bench_tmp/plain.yaml" <<'YAML'
users:
  U:
    tasks:
      - get: /json
YAML
cat >"$bench_tmp/checked.yaml" <<'YAML'
users:
  U:
    tasks:
      - get: /json
        check:
          json: {"$.count": {gt: 0}}
        capture:
          item: {json: "$.items[*].id", pick: random}
YAML

# run NAME: prints "requests cpu_seconds failures"
run() {
  /usr/bin/time -f '%U %S' -o "$bench_tmp/$1.time" taskset -c 0 "$LOADC" run "$bench_tmp/$1.yaml" \
    -H "$SERVE_URL" -u 20 -r 20 -t "${secs}s" --threads 1 --only-summary >"$bench_tmp/$1.out" 2>/dev/null || true
  local reqs fails cpu
  read -r reqs fails < <(awk '$1 == "Aggregated" && !d {f = $3; sub(/\(.*/, "", f); print $2, f; d = 1}' "$bench_tmp/$1.out")
  cpu=$(tail -1 "$bench_tmp/$1.time" | awk '{print $1 + $2}')
  echo "$reqs $cpu $fails"
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "JSON check + capture overhead: GET /json (309 bytes) from loadc serve, 20 users, ${secs}s, $rounds rounds"
printf '%-8s %10s %10s %10s\n' run requests "cpu s" "us/req"
p_all="" c_all=""
for r in $(seq "$rounds"); do
  for name in plain checked; do
    read -r reqs cpu fails < <(run "$name")
    if [ "${fails:-1}" != 0 ] || [ -z "$reqs" ] || [ "$reqs" = 0 ]; then
      echo "CHECK FAILED: $name: requests ${reqs:-?}, failures ${fails:-?}"; exit 1
    fi
    us=$(awk -v c="$cpu" -v n="$reqs" 'BEGIN {printf "%.2f", c * 1e6 / n}')
    printf '%-8s %10s %10s %10s\n' "$name" "$reqs" "$cpu" "$us"
    if [ "$name" = plain ]; then p_all="$p_all $us"; else c_all="$c_all $us"; fi
  done
done
p=$(echo "$p_all" | median); c=$(echo "$c_all" | median)
awk -v p="$p" -v c="$c" 'BEGIN {printf "median: plain %.2f us/req, with check + capture %.2f us/req: +%.2f us (%.0f %%)\n", p, c, c - p, (c - p) / p * 100}'
