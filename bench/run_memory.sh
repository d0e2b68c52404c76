#!/usr/bin/env bash
# bench/run_memory.sh: memory per waiting user of `loadc run` (CLIENT=fast, the default, or curl): the RSS of a run
# with USERS users that each made one request and now wait 10 s (wait: {constant: 10s}), minus
# the RSS of the same run with 10 users, divided by USERS - 10 (targets: fast <= 4 KB, issue 8;
# curl <= 20 KB, issue 4).
# The target is `loadc serve` on CPU 1 (it raises its own open-file limit); loadc runs with the
# open-file limit raised to the hard limit, spawn rate RATE, run time 15 s.
#
# VmRSS (/proc/PID/status) is polled every 100 ms; "waiting" is the largest value seen between
# the end of spawning (+1 s) and 9.5 s, when every user has made its first request and waits;
# "after spawn" is the largest from the end of spawning to the end of the run (it includes the
# second round of requests at 10-11 s). It checks that loadc counted exactly the requests the
# server saw (/__stats), that no request failed, that every user held its own keep-alive
# connection (the server's open connections while they wait) and reused it (accepted
# connections == users); it exits 1 when a check fails.
# Usage: bench/run_memory.sh [USERS (default 10000)] [RATE (default 5000)]
#        THREADS=N bench/run_memory.sh   (loadc's --threads; default: loadc's, one per core)
#        CLIENT=curl bench/run_memory.sh (the HTTP client; default fast)
set -euo pipefail
users=${1:-10000}
rate=${2:-5000}
small=10
runtime=15
. "$(dirname "$0")/lib.sh"
bash "$bench_root/.ci/deps" build
bench_build
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((users + 100)) ]; then
  echo "run_memory.sh: open-file hard limit $(ulimit -Hn) is too low for $users users" >&2
  exit 2
fi
bench_serve 1
threads=()
[ -n "${THREADS:-}" ] && threads=(--threads "$THREADS")
bad=0

cat >"$bench_tmp/mem.yaml" <<YAML
version: 1
name: run_memory
users:
  Waiter:
    client: ${CLIENT:-fast}
    wait: {constant: 10s}
    tasks:
      - get: /bytes/100
YAML

stats() { curl -fsS "$SERVE_URL/__stats"; }
jfield() { /usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# measure N: runs loadc with N users; sets WAIT_KB, AFTER_KB, OPEN (server connections open while
# waiting, the asking one excluded), ACCEPTED, SRV_REQS, REQS, FAILS, RC.
measure() {
  local n=$1 tpid pid t0 now el rss spawn_done
  curl -fsS "$SERVE_URL/__reset" >/dev/null
  "$LOADC" run "$bench_tmp/mem.yaml" -H "$SERVE_URL" -u "$n" -r "$rate" -t "${runtime}s" \
    "${threads[@]}" --only-summary >"$bench_tmp/mem-$n.out" 2>"$bench_tmp/mem-$n.err" &
  pid=$!
  bench_pids+=("$pid")
  t0=$(bench_now)
  # spawning takes ceil(n / k) - 1 steps of 1 s, k = max(1, floor(rate)) users per step
  spawn_done=$(awk -v n="$n" -v r="$rate" 'BEGIN {k = int(r); if (k < 1) k = 1; print int((n + k - 1) / k)}')
  WAIT_KB=0 AFTER_KB=0 OPEN=""
  while kill -0 "$pid" 2>/dev/null; do
    now=$(bench_now)
    el=$(awk -v a="$t0" -v b="$now" 'BEGIN {print b - a}')
    if awk -v e="$el" 'BEGIN {exit !(e > 60)}'; then
      echo "run_memory.sh: loadc still running after 60 s: SIGTERM" >&2
      kill -TERM "$pid" 2>/dev/null || true
      break
    fi
    if awk -v e="$el" -v s="$spawn_done" 'BEGIN {exit !(e >= s)}'; then
      rss=$(bench_rss_kb "$pid")
      if [ -n "$rss" ]; then
        [ "$rss" -gt "$AFTER_KB" ] && AFTER_KB=$rss
        if awk -v e="$el" 'BEGIN {exit !(e < 9.5)}'; then
          [ "$rss" -gt "$WAIT_KB" ] && WAIT_KB=$rss
        fi
      fi
      if [ -z "$OPEN" ] && awk -v e="$el" 'BEGIN {exit !(e >= 6)}'; then
        OPEN=$(stats | jfield 'd["connections"]["open"] - 1')
      fi
    fi
    sleep 0.1
  done
  RC=0
  wait "$pid" || RC=$?
  local s
  s=$(stats)
  SRV_REQS=$(jfield 'd["total"]' <<<"$s")
  # the two /__stats requests since the reset came on connections of their own
  ACCEPTED=$(jfield 'd["connections"]["accepted"] - 2' <<<"$s")
  read -r REQS FAILS < <(awk '$1 == "Aggregated" && !done {f = $3; sub(/\(.*/, "", f); print $2, f; done = 1}' \
    "$bench_tmp/mem-$n.out")
  REQS=${REQS:-0} FAILS=${FAILS:-missing}
  printf '%8s users: RSS waiting %8s KB, after spawn %8s KB; requests %7s (server %7s), failed %s;' \
    "$n" "$WAIT_KB" "$AFTER_KB" "$REQS" "$SRV_REQS" "$FAILS"
  printf ' connections: open while waiting %s, accepted %s\n' "${OPEN:-?}" "$ACCEPTED"
  if [ "$REQS" != "$SRV_REQS" ]; then echo "  CHECK FAILED: loadc counted $REQS requests, the server $SRV_REQS"; bad=1; fi
  if [ "$FAILS" != 0 ]; then echo "  CHECK FAILED: $FAILS failed requests"; bad=1; fi
  if [ "$RC" != 0 ]; then echo "  CHECK FAILED: loadc exited with status $RC"; bad=1; fi
  if [ "${OPEN:-}" != "$n" ]; then echo "  CHECK FAILED: $n users but ${OPEN:-?} connections open while waiting"; bad=1; fi
  if [ "$ACCEPTED" != "$n" ]; then echo "  CHECK FAILED: $n users but $ACCEPTED connections accepted (keep-alive not reused?)"; bad=1; fi
  if [ "$REQS" -lt $((2 * n)) ]; then echo "  CHECK FAILED: expected about $((2 * n)) requests (two per user)"; bad=1; fi
}

echo "memory per waiting user: loadc run (client ${CLIENT:-fast}), wait constant 10 s, one GET /bytes/100 per task against"
echo "loadc serve; spawn rate $rate/s, run time ${runtime}s, open files $(ulimit -n)${THREADS:+, --threads $THREADS}"
measure "$small"
s_wait=$WAIT_KB s_after=$AFTER_KB
measure "$users"
target=4
[ "${CLIENT:-fast}" = curl ] && target=20
awk -v bw="$WAIT_KB" -v sw="$s_wait" -v ba="$AFTER_KB" -v sa="$s_after" -v n=$((users - small)) -v t="$target" 'BEGIN {
  printf "per user (waiting):     %.2f KB (%d bytes)   (target <= %d KB)\n", (bw - sw) / n, (bw - sw) * 1024 / n, t
  printf "per user (after spawn): %.2f KB (%d bytes)\n", (ba - sa) / n, (ba - sa) * 1024 / n
}'
if [ "$bad" != 0 ]; then
  for n in "$small" "$users"; do
    echo "--- $n users: stdout"; tail -12 "$bench_tmp/mem-$n.out"
    echo "--- $n users: stderr"; tail -12 "$bench_tmp/mem-$n.err"
  done
  exit 1
fi
