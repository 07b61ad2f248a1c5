# Sourced by bench/service.sh and bench/rtt-parts.sh (from the repository root, after scripts/lib.sh
# and hashdir_select_jdk): their result and data directories, fresh hashdir and Redis servers on
# loopback ports, and the load generator (dev.hashdir.bench.load.LoadGen). Needs java (JDK 25:
# $java), HASHDIR_JVM_FLAGS (scripts/lib.sh), redis-server and redis-cli, curl, python3.

# bench_dirs NAME: RESULTS_DIR ($results; when empty, a fresh /tmp/hashdir-NAME-results.XXXXXX, kept)
# with an empty results.txt ($out), and a fresh data directory ($data, /tmp/hashdir-NAME.XXXXXX; the
# caller deletes it)
bench_dirs() {
  [[ -n "$results" ]] || results="$(mktemp -d "/tmp/hashdir-$1-results.XXXXXX")"
  mkdir -p "$results"
  out="$results/results.txt"
  : > "$out"
  data="$(mktemp -d "/tmp/hashdir-$1.XXXXXX")"
}

# stop_served PID: stops that server (SIGTERM) and waits for it; nothing when PID is empty
stop_served() {
  if [[ -n "$1" ]]; then
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}

# loadgen ARGS...: the load generator with ARGS
loadgen() {
  "$java" -Xmx1g -cp "bench/target/hashdir-bench.jar:bench/target/lib/*" dev.hashdir.bench.load.LoadGen "$@"
}

# free_port: a TCP port free on 127.0.0.1 now
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# serve_fresh_hashdir ROOT DATA LOG ZPORT HPORT DURABILITY [ENV=VALUE ...]: ROOT's server jar serves a
# fresh store in DATA (deleted first) until /ready answers 200; sets SERVED_PID. Kills it and exits
# the script (status 1) when it does not get ready within 20 s.
serve_fresh_hashdir() {
  local root="$1" data="$2" log="$3" zport="$4" hport="$5" durability="$6"
  shift 6
  rm -rf "$data"
  # shellcheck disable=SC2086
  env "$@" "$java" $HASHDIR_JVM_FLAGS -cp "$root/server/target/hashdir-server.jar:$root/server/target/lib/*" \
    dev.hashdir.server.cli.HashdirCli serve --data "$data" --bind "tcp://127.0.0.1:$zport" \
    --http "127.0.0.1:$hport" --durability "$durability" >"$log" 2>&1 &
  SERVED_PID=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$hport/ready" >/dev/null && return 0
    sleep 0.2
  done
  echo "$(basename "$0"): hashdir did not get ready (log: $log)" >&2
  kill -KILL "$SERVED_PID" 2>/dev/null || true
  exit 1
}

# serve_fresh_redis DIR LOG PORT FSYNC: a fresh redis-server in DIR (emptied first), appendonly with
# appendfsync FSYNC, until it answers PING; sets SERVED_PID. Kills it and exits the script (status 1)
# when it does not start within 10 s.
serve_fresh_redis() {
  local dir="$1" log="$2" port="$3" fsync="$4"
  rm -rf "$dir"; mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --appendonly yes --appendfsync "$fsync" \
    --save '' --daemonize no --logfile "$log" &
  SERVED_PID=$!
  for _ in $(seq 100); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  echo "$(basename "$0"): redis-server did not start (log: $log)" >&2
  kill -KILL "$SERVED_PID" 2>/dev/null || true
  exit 1
}
