#!/usr/bin/env bash
# bench/run_cpu.sh: client CPU per request of `loadc run` (the fast client and the curl client), side by side with wrk
# and Locust (FastHttpUser) in the same run: 50 keep-alive users without wait GET a 100-byte file
# from nginx (one worker pinned to CPU 1); each client is pinned to CPU 0 and runs SECONDS.
#
# For each client it prints the requests it counted, requests/s, and CPU microseconds per request
# two ways:
#   whole  = the process's user+system CPU (/usr/bin/time) / the requests the client counted
#            (startup and shutdown included: Python's imports weigh on Locust here);
#   steady = the process's CPU ticks / the requests nginx counted (stub_status), both over the
#            same window that skips the first 2 s and the last second;
# and, over that window, the client's and nginx's CPU use, and how much of CPU 0 was idle, stolen
# by the hypervisor, or busy with something else than the client (a client well below 100 % with
# a large other0 shared CPU 0 with other processes: rerun on a quiet machine, or use ROUNDS).
# Then the ratios to wrk (issue 8's target for the fast client: <= 1.3x; issue 4's for the curl
# client: <= 3x) and Locust's.
# With ROUNDS=N (default 1) the three clients run N times in turn and the medians are compared.
# It checks that each client's own count matches what nginx saw, within the 50 requests that
# can be in flight when the run stops, and that nothing failed; it exits 1 when a check fails.
# Usage: bench/run_cpu.sh [SECONDS (default 10, at least 5)]      ROUNDS=3 bench/run_cpu.sh
set -euo pipefail
secs=${1:-10}
rounds=${ROUNDS:-1}
[ "$secs" -ge 5 ] || { echo "run_cpu.sh: SECONDS must be at least 5" >&2; exit 2; }
users=50
. "$(dirname "$0")/lib.sh"
bash "$bench_root/.ci/deps" build bench
bench_need_locust
bench_build
bench_nginx 1
hz=$(getconf CLK_TCK)
bad=0

for client in fast curl; do
  cat >"$bench_tmp/cpu-$client.yaml" <<YAML
version: 1
name: run_cpu
users:
  Getter:
    client: $client
    tasks:
      - get: /100b.txt
YAML
done

cat >"$bench_tmp/locustfile.py" <<'PY'
from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser


class Getter(FastHttpUser):
    wait_time = constant(0)

    @task
    def get(self):
        self.client.get("/100b.txt")
PY

# cpu0_ticks: "idle steal busy" ticks of CPU 0 since boot (/proc/stat).
cpu0_ticks() { awk '$1 == "cpu0" {print $5 + $6, $9, $2 + $3 + $4 + $7 + $8}' /proc/stat; }

# measure NAME CMD...: runs CMD pinned to CPU 0 under /usr/bin/time; sets CPU_S (whole process,
# seconds), WIN_TICKS, WIN_SECS, WIN_REQS (nginx's count in the window), SRV_REQS (nginx's count
# over the whole run), SRV_TICKS (nginx's CPU in the window), IDLE0 and STEAL0 (CPU 0's idle and
# stolen ticks in the window), OTHER0 (CPU 0 busy but not with the client: interrupts, other
# processes), RC; its stdout and stderr are in $bench_tmp/NAME.out and .err.
measure() {
  local name=$1 tpid cpid s0 s1 s2 s3 c1 c2 n1 n2 t1 t2 i1 i2 st1 st2 b1 b2
  shift
  s0=$(bench_nginx_requests)
  /usr/bin/time -f '%U %S' -o "$bench_tmp/$name.time" taskset -c 0 "$@" \
    >"$bench_tmp/$name.out" 2>"$bench_tmp/$name.err" &
  tpid=$!
  bench_pids+=("$tpid")
  cpid=$(bench_child_pid "$tpid")
  sleep 2
  t1=$(bench_now); c1=$(bench_cpu_ticks "$cpid"); n1=$(bench_cpu_ticks "$NGINX_PID")
  read -r i1 st1 b1 < <(cpu0_ticks)
  s1=$(bench_nginx_requests)
  sleep $((secs - 3))
  t2=$(bench_now); c2=$(bench_cpu_ticks "$cpid"); n2=$(bench_cpu_ticks "$NGINX_PID")
  read -r i2 st2 b2 < <(cpu0_ticks)
  s2=$(bench_nginx_requests)
  RC=0
  bench_wait_bounded "$tpid" $((secs + 30)) "$cpid" || RC=$?
  s3=$(bench_nginx_requests)
  CPU_S=$(tail -1 "$bench_tmp/$name.time" | awk '{print $1 + $2}')
  WIN_TICKS=$((c2 - c1))
  SRV_TICKS=$((n2 - n1))
  IDLE0=$((i2 - i1))
  STEAL0=$((st2 - st1))
  OTHER0=$((b2 - b1 - WIN_TICKS))
  WIN_SECS=$(awk -v a="$t1" -v b="$t2" 'BEGIN {print b - a}')
  WIN_REQS=$((s2 - s1 - 1))
  SRV_REQS=$((s3 - s0 - 3))
}

# report NAME CLIENT_REQS FAILS: prints a row, sets RPS, US_WHOLE and US_STEADY; checks counts.
report() {
  local name=$1 reqs=$2 fails=$3 diff pct
  pct() { awk -v t="$1" -v hz="$hz" -v s="$WIN_SECS" 'BEGIN {printf "%.0f%%", t / hz / s * 100}'; }
  RPS=$(awk -v n="$WIN_REQS" -v s="$WIN_SECS" 'BEGIN {printf "%.0f", n / s}')
  US_WHOLE=$(awk -v c="$CPU_S" -v n="$reqs" 'BEGIN {printf "%.2f", n ? c * 1e6 / n : 0}')
  US_STEADY=$(awk -v t="$WIN_TICKS" -v hz="$hz" -v n="$WIN_REQS" \
    'BEGIN {printf "%.2f", n ? t / hz * 1e6 / n : 0}')
  printf '%-8s %10s %9s %8s %8s %8s %8s %8s %8s %8s\n' "$name" "$reqs" "$RPS" "$US_WHOLE" "$US_STEADY" \
    "$(pct "$WIN_TICKS")" "$(pct "$SRV_TICKS")" "$(pct "$IDLE0")" "$(pct "$STEAL0")" "$(pct "$OTHER0")"
  diff=$((SRV_REQS - reqs))
  if [ "$diff" -lt 0 ] || [ "$diff" -gt "$users" ]; then
    echo "  CHECK FAILED: $name counted $reqs requests, nginx saw $SRV_REQS (difference $diff, allowed 0..$users)"
    bad=1
  fi
  if [ "$fails" != 0 ]; then echo "  CHECK FAILED: $name reports $fails failed requests"; bad=1; fi
  if [ "$RC" != 0 ]; then echo "  CHECK FAILED: $name exited with status $RC"; bad=1; fi
}

# summary_counts FILE: "requests failures" from the Aggregated row of a Locust-style summary.
summary_counts() {
  awk '$1 == "Aggregated" && !done {f = $3; sub(/\(.*/, "", f); print $2, f; done = 1}' "$1"
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "client CPU per request: $users keep-alive users without wait, GET 100 bytes from nginx"
echo "(1 worker on CPU 1), each client on CPU 0, ${secs}s each, $rounds round(s); window = ${secs}s less"
echo "the first 2 s and the last 1 s. us/req: client CPU microseconds per request; whole: process"
echo "CPU / client's count; steady: window CPU / nginx's count in the window; cli, nginx: their CPU"
echo "use in the window; idle0, steal0, other0: CPU 0 idle, stolen, busy with anything but the"
echo "client (interrupts, other processes) in the window"
echo
declare -A whole steady rps
for r in $(seq "$rounds"); do
  [ "$rounds" -gt 1 ] && echo "round $r"
  printf '%-8s %10s %9s %8s %8s %8s %8s %8s %8s %8s\n' client requests "req/s" "us whole" "us steady" \
    cli nginx idle0 steal0 other0

  # (a) wrk
  measure wrk wrk -t1 -c"$users" -d"${secs}s" "$NGINX_URL/100b.txt"
  reqs=$(awk '/requests in/ {print $1}' "$bench_tmp/wrk.out")
  fails=$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {n += 1} END {print n + 0}' \
    "$bench_tmp/wrk.out")
  report wrk "${reqs:-0}" "$fails"
  whole[wrk]+=" $US_WHOLE" steady[wrk]+=" $US_STEADY" rps[wrk]+=" $RPS"

  # (b) loadc run, one worker thread: the fast client, then the curl client
  for client in fast curl; do
    measure "$client" "$LOADC" run "$bench_tmp/cpu-$client.yaml" -H "$NGINX_URL" --threads 1 \
      -u "$users" -r "$users" -t "${secs}s" --only-summary
    read -r reqs fails < <(summary_counts "$bench_tmp/$client.out") || true
    report "$client" "${reqs:-0}" "${fails:-missing}"
    whole[$client]+=" $US_WHOLE" steady[$client]+=" $US_STEADY" rps[$client]+=" $RPS"
  done

  # (c) Locust, FastHttpUser, one process; its summary (stderr) has the final counts (its
  # --csv stats file can miss the last second)
  measure locust /usr/bin/locust -f "$bench_tmp/locustfile.py" --headless -u "$users" -r "$users" \
    -t "${secs}s" -H "$NGINX_URL" --only-summary --loglevel WARNING
  read -r reqs fails < <(summary_counts "$bench_tmp/locust.err") || true
  report locust "${reqs:-0}" "${fails:-missing}"
  whole[locust]+=" $US_WHOLE" steady[locust]+=" $US_STEADY" rps[locust]+=" $RPS"
  echo
done

if [ "$rounds" -gt 1 ]; then
  echo "medians over $rounds rounds:"
  printf '%-8s %9s %8s %8s\n' client "req/s" "us whole" "us steady"
  for n in wrk fast curl locust; do
    printf '%-8s %9s %8s %8s\n' "$n" "$(median <<<"${rps[$n]}")" "$(median <<<"${whole[$n]}")" \
      "$(median <<<"${steady[$n]}")"
  done
  echo
fi
med() { median <<<"${1}"; }
ratios() { # NAME WHOLE STEADY RPS TARGET
  awk -v n="$1" -v w="$2" -v st="$3" -v r="$4" -v t="$5" -v ww="$(med "${whole[wrk]}")" \
    -v ws="$(med "${steady[wrk]}")" -v wr="$(med "${rps[wrk]}")" 'BEGIN {
    printf "%-14s %5.2f x CPU per request (whole), %5.2f x (steady), %.2f x req/s%s\n",
      n " / wrk:", w / ww, st / ws, r / wr, t }'
}
for n in fast curl locust; do
  t=""
  [ "$n" = fast ] && t="   (target <= 1.3x)"
  [ "$n" = curl ] && t="   (target <= 3x)"
  ratios "$n" "$(med "${whole[$n]}")" "$(med "${steady[$n]}")" "$(med "${rps[$n]}")" "$t"
done
awk -v cw="$(med "${whole[locust]}")" -v cs="$(med "${steady[locust]}")" \
  -v fw="$(med "${whole[fast]}")" -v fs="$(med "${steady[fast]}")" 'BEGIN {
  printf "locust / fast:  %5.2f x CPU per request (whole), %5.2f x (steady)\n", cw / fw, cs / fs }'
if [ "$bad" != 0 ]; then
  echo "some checks failed; outputs of the last round:"
  for n in wrk fast curl locust; do
    echo "--- $n stdout"; tail -20 "$bench_tmp/$n.out"; echo "--- $n stderr"; tail -20 "$bench_tmp/$n.err"
  done
  exit 1
fi
