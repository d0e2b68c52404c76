# bench/lib.sh: shared helpers for the benchmarks (sourced). Everything listens on 127.0.0.1
# only, on ports picked free, and is stopped on exit.

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_tmp=$(mktemp -d /tmp/loadc-bench.XXXXXX)
bench_pids=()
bench_cleanup() {
  for p in "${bench_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${bench_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$bench_tmp"
}
trap bench_cleanup EXIT

# bench_build: builds loadc (Release) and sets $LOADC.
bench_build() {
  cmake -S "$bench_root" -B "$bench_root/build/bench" -DCMAKE_BUILD_TYPE=Release -DLC_TESTS=OFF \
    >/dev/null || return 1
  cmake --build "$bench_root/build/bench" -j "$(nproc)" --target loadc >/dev/null || return 1
  LOADC="$bench_root/build/bench/cmd/loadc"
}

# bench_free_port: prints a free TCP port on 127.0.0.1.
bench_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# bench_nginx CPU: starts nginx (one worker, pinned to CPU) serving $bench_tmp/www; sets
# $NGINX_URL and $NGINX_PID (the worker's pid, whose CPU time is what the server spends).
bench_nginx() {
  local cpu=$1 port
  port=$(bench_free_port)
  mkdir -p "$bench_tmp/www" "$bench_tmp/nginx"
  chmod 755 "$bench_tmp" # mktemp -d makes it 0700: nginx's worker (www-data) would answer 403
  head -c 100 /dev/zero | tr '\0' 'a' >"$bench_tmp/www/100b.txt"
  cat >"$bench_tmp/nginx/nginx.conf" <<CONF
worker_processes 1;
# no worker_cpu_affinity: the worker inherits the CPU that taskset gave the master ("auto" would
# bind it to CPU 0, where the clients run)
daemon off;
error_log $bench_tmp/nginx/error.log warn;
pid $bench_tmp/nginx/nginx.pid;
events { worker_connections 20000; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 75s;
  server {
    listen 127.0.0.1:$port;
    root $bench_tmp/www;
    location = /__nginx_status { stub_status; }
  }
}
CONF
  taskset -c "$cpu" nginx -c "$bench_tmp/nginx/nginx.conf" -p "$bench_tmp/nginx" \
    2>"$bench_tmp/nginx/stderr" &
  bench_pids+=($!)
  for _ in $(seq 50); do
    curl -fsS "http://127.0.0.1:$port/100b.txt" >/dev/null 2>&1 && break
    sleep 0.1
  done
  NGINX_URL="http://127.0.0.1:$port"
  NGINX_PID=$(pgrep -f "nginx: worker process" -P "$(cat "$bench_tmp/nginx/nginx.pid")" | head -1)
}

# bench_serve CPU: starts `loadc serve` pinned to CPU; sets $SERVE_URL and $SERVE_PID.
bench_serve() {
  local cpu=$1
  mkfifo "$bench_tmp/serve.fifo"
  taskset -c "$cpu" "$LOADC" serve --port 0 --quiet >"$bench_tmp/serve.fifo" &
  SERVE_PID=$!
  bench_pids+=("$SERVE_PID")
  exec 9<"$bench_tmp/serve.fifo"
  read -r -t 10 SERVE_URL <&9
}

# bench_cpu_ticks PID: user+system CPU time of PID in clock ticks.
bench_cpu_ticks() {
  awk '{print $14 + $15}' "/proc/$1/stat"
}

# bench_nginx_requests: nginx's count of requests since start (stub_status), this one included:
# the difference of two readings is the requests in between plus one.
bench_nginx_requests() {
  curl -fsS "$NGINX_URL/__nginx_status" | awk 'NR == 3 {print $3}'
}

# bench_need_locust: installs Locust from Debian (python3-locust) when it is missing.
bench_need_locust() {
  /usr/bin/python3 -c 'import locust' 2>/dev/null && return 0
  echo "bench: installing python3-locust" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-locust \
    >/dev/null || { $sudo apt-get update -qq >/dev/null &&
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        python3-locust >/dev/null; }
}

# bench_child_pid PID: waits (up to 10 s) for the first child of PID (the program run under
# `/usr/bin/time taskset -c N PROGRAM`, whose pid stays that of taskset, which execs) and prints it.
bench_child_pid() {
  local c
  for _ in $(seq 200); do
    c=$(pgrep -P "$1" | head -1 || true)
    [ -n "$c" ] && { echo "$c"; return 0; }
    sleep 0.05
  done
  return 1
}

# bench_wait_bounded PID LIMIT CHILD: waits for PID (a job of this shell) to end; if it is still
# running after LIMIT seconds, sends CHILD SIGTERM, then SIGKILL 5 s later. Returns PID's status.
bench_wait_bounded() {
  local pid=$1 limit=$2 child=$3 t=0
  while kill -0 "$pid" 2>/dev/null && [ "$t" -lt $((limit * 10)) ]; do sleep 0.1; t=$((t + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    echo "bench: pid $child still running after ${limit}s: SIGTERM" >&2
    kill -TERM "$child" 2>/dev/null || true
    sleep 5
    kill -KILL "$child" 2>/dev/null || true
  fi
  wait "$pid"
}

# bench_rss_kb PID: resident set size of PID in KiB (VmRSS), empty when PID is gone.
bench_rss_kb() {
  awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || true
}

# bench_now: wall clock in seconds, with nanoseconds.
bench_now() {
  date +%s.%N
}
