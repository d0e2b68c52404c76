#!/usr/bin/env bash
# bench/run_callgrind.sh: where the curl client's instructions go. Runs `loadc run` under
# callgrind (USERS users without wait, spawn rate RATE, SECONDS of run time, one worker thread,
# GET /bytes/100 from `loadc serve`, which runs natively) and prints the TOP functions of loadc's
# own code (cmd/, config/, engine/, report/) by inclusive instruction count, with their share of
# the whole program, then the TOP functions of any object by exclusive count. loadc is built in
# Release with -g added (same optimisation, symbols and lines) into build/bench-prof.
# Usage: bench/run_callgrind.sh [SECONDS (default 2)] [USERS (default 10)] [RATE (default 5)] [TOP (default 10)]
set -euo pipefail
secs=${1:-2}
users=${2:-10}
rate=${3:-5}
top=${4:-10}
. "$(dirname "$0")/lib.sh"
bash "$bench_root/.ci/deps" build
command -v valgrind >/dev/null || {
  echo "bench: installing valgrind" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind >/dev/null
}
cmake -S "$bench_root" -B "$bench_root/build/bench-prof" -DCMAKE_BUILD_TYPE=Release -DLC_TESTS=OFF \
  -DCMAKE_C_FLAGS=-g >/dev/null
cmake --build "$bench_root/build/bench-prof" -j "$(nproc)" --target loadc >/dev/null
LOADC="$bench_root/build/bench-prof/cmd/loadc"
bench_serve 1

cat >"$bench_tmp/cg.yaml" <<YAML
version: 1
name: run_callgrind
users:
  Getter:
    tasks:
      - get: /bytes/100
YAML

out=${CALLGRIND_OUT:-$bench_tmp/callgrind.out}
timeout -k 5 $((secs * 20 + 60)) valgrind --tool=callgrind --callgrind-out-file="$out" \
  "$LOADC" run "$bench_tmp/cg.yaml" -H "$SERVE_URL" --threads 1 -u "$users" -r "$rate" \
  -t "${secs}s" --only-summary >"$bench_tmp/cg.stdout" 2>"$bench_tmp/cg.stderr" || true
reqs=$(awk '$1 == "Aggregated" {print $2; exit}' "$bench_tmp/cg.stdout")
echo "requests under callgrind: ${reqs:-none}; $(awk '$1 == "Aggregated" {print "failed: " $3; exit}' "$bench_tmp/cg.stdout")"
server=$(curl -fsS "$SERVE_URL/__stats" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])')
echo "requests the server saw: $server"

callgrind_annotate --inclusive=yes --threshold=100 "$out" >"$bench_tmp/incl.txt"
callgrind_annotate --threshold=100 "$out" >"$bench_tmp/excl.txt"
/usr/bin/python3 - "$bench_tmp/incl.txt" "$bench_tmp/excl.txt" "$bench_root" "$top" "${reqs:-0}" <<'PY'
import re, sys
incl, excl, root, top, reqs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
row = re.compile(r"^\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(.*?):(\S+)")
def rows(path):
    total = None
    out = []
    for line in open(path):
        if total is None:
            m = re.match(r"^\s*([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS", line)
            if m:
                total = int(m.group(1).replace(",", ""))
            continue
        m = row.match(line)
        if m:
            out.append((int(m.group(1).replace(",", "")), m.group(3), m.group(4).split(" [")[0]))
    return total, out
total, inc = rows(incl)
own = ("cmd/", "config/", "engine/", "report/")
def is_own(f):
    f = f[len(root) + 1:] if f.startswith(root + "/") else f
    return f.startswith(own)
print("program total: %s instructions" % format(total, ","))
print("\ntop %d functions of loadc's own code by inclusive instructions:" % top)
print("(share: of the whole program, startup included; Ir/req: inclusive instructions per request)")
print("%16s %7s %9s  %s" % ("Ir incl", "share", "Ir/req", "function (file)"))
n = 0
seen = set()
for ir, f, fn in inc:
    # a function can be listed twice, under its absolute and its relative source path
    key = (f.replace(root + "/", ""), fn)
    if is_own(f) and n < top and key not in seen:
        seen.add(key)
        print("%16s %6.1f%% %9s  %s (%s)" % (format(ir, ","), 100.0 * ir / total,
              format(ir // reqs, ",") if reqs else "-", fn, f.replace(root + "/", "")))
        n += 1
_, exc = rows(excl)
print("\ntop %d functions of any object by exclusive instructions:" % top)
for ir, f, fn in exc[:top]:
    print("%16s %6.1f%%  %s (%s)" % (format(ir, ","), 100.0 * ir / total, fn, f.replace(root + "/", "")))
PY
