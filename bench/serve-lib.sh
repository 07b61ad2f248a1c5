# Sourced by bench/durability.sh and bench/fresh-replay.sh: `hashdir serve` launched as ./hashdir
# launches it (the caller's JAVA_HOME, HASHDIR_JVM_FLAGS, HASHDIR_AOT_FLAGS, HASHDIR_CLASSPATH from
# scripts/lib.sh), timed from launch to ready.

SERVE_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# serve_until_ready DATA LOG: starts serve on DATA (--durability none, random loopback ports, output
# to LOG) and waits until GET /ready answers 200 (bench/ready-poll.py: one process polling every
# 5 ms). Sets SERVE_PID and SERVE_MS (ms from launch to ready). When the server exits first or the
# poller fails: prints LOG, kills the server (it must not outlive the benchmark lock it inherited)
# and returns 1.
serve_until_ready() {
  local data="$1" log="$2" hport zport start
  hport=$((20000 + RANDOM % 20000)); zport=$((hport + 1))
  start=$(date +%s%N)
  # shellcheck disable=SC2086
  "$JAVA_HOME/bin/java" $HASHDIR_JVM_FLAGS $HASHDIR_AOT_FLAGS -cp "$HASHDIR_CLASSPATH" \
      dev.hashdir.server.cli.Main serve --data "$data" --bind "tcp://127.0.0.1:$zport" \
      --http "127.0.0.1:$hport" --durability none > "$log" 2>&1 &
  SERVE_PID=$!
  if ! SERVE_MS=$(/usr/bin/python3 "$SERVE_LIB_DIR/ready-poll.py" "$hport" "$SERVE_PID" "$start"); then
    cat "$log" >&2
    kill -KILL "$SERVE_PID" 2>/dev/null || true
    wait "$SERVE_PID" 2>/dev/null || true
    return 1
  fi
}

# serve_cpu_ms: the CPU time (user + system) of the server started by serve_until_ready, in ms.
serve_cpu_ms() {
  awk -v tk="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / tk)}' "/proc/$SERVE_PID/stat"
}

# serve_stop: SIGTERM to that server (a clean stop), then waits for it.
serve_stop() {
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID" || true
}
