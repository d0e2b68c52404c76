#!/usr/bin/env bash
# bench/check.sh: how long `loadc check` takes on a generated 2,000-line scenario (target:
# under 20 ms). Prints the median and the best of RUNS runs, wall clock.
# Usage: bench/check.sh [LINES (default 2000)] [RUNS (default 30)]
set -euo pipefail
lines=${1:-2000}
runs=${2:-30}
. "$(dirname "$0")/lib.sh"
bash "$bench_root/.ci/deps" build
bench_build
python3 "$bench_root/bench/gen_scenario.py" "$lines" >"$bench_tmp/big.yaml"
echo "scenario: $(wc -l <"$bench_tmp/big.yaml") lines, $(grep -c '^  Class' "$bench_tmp/big.yaml") user classes"
"$LOADC" check "$bench_tmp/big.yaml"
python3 - "$LOADC" "$bench_tmp/big.yaml" "$runs" <<'PY'
import subprocess, sys, time
loadc, path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = []
for _ in range(runs):
    t0 = time.perf_counter()
    subprocess.run([loadc, "check", "-q", path], check=True, stdout=subprocess.DEVNULL)
    times.append((time.perf_counter() - t0) * 1000)
times.sort()
print("loadc check: median %.2f ms, best %.2f ms over %d runs (target < 20 ms)"
      % (times[len(times) // 2], times[0], runs))
PY
