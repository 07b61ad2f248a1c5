#!/usr/bin/env bash
# Crash recovery in a freshly started `hashdir serve`, builds compared in interleaved launches; with
# --load, the first seconds after it.
#
#   bench/fresh-replay.sh --crashed DIR [--runs R] [--tree ROOT]... [--no-aot] [--load N [--seconds S]]
#
# DIR is a crashed store (e.g. DIR/crashed of `bench/durability.sh ... --phases load,replay
# --keep`). Each run launches `serve` once per tree (default: this one), one tree after the other,
# each on a fresh copy of DIR (`sync`ed first), exactly as durability.sh's process phase does (the
# launcher's JVM flags and AOT cache, --durability none, /ready polled every 5 ms by one Python
# process, SIGTERM at the first 200), and prints the ms to ready, the process's CPU, the CPU
# (user, sys) of the thread that recovered (the busiest at that moment) and the server's
# "recovered ... in N ms" line. Settings such as HASHDIR_CACHE_MB pass through the environment.
# With --load N the server runs with its defaults (durability sync) and, from the first 200 of
# /ready, the load generator sends N requests/s (open loop, 4 connections, mix 50:25:25 over
# 100,000 keys) for S seconds (default 25) while /metrics is polled every 250 ms: the run prints
# the server's "recovered in", the load generator's RESULT (latency corrected for coordinated
# omission) and the ms from ready until hashdir_checkpoint_lsn first moves (the first checkpoint
# after recovery is durable).
# Trees must be built (mvn -pl server,bench -am package); each gets its own AOT cache. Holds
# /tmp/hashdir-bench.lock for each launch.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
crashed=""
runs=3
aot=1
load=0
seconds=25
trees=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --crashed) crashed="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --tree) trees+=("$(cd "$2" && pwd)"); shift 2 ;;
    --no-aot) aot=0; shift ;;
    --load) load="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "fresh-replay.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
[[ -n "$crashed" && -d "$crashed" ]] || { echo "fresh-replay.sh: --crashed DIR is required" >&2; exit 2; }
[[ ${#trees[@]} -gt 0 ]] || trees=("$here")
work="$(dirname "$(cd "$crashed" && pwd)")/fresh-replay-work"
log="$work.log"

launch() { # tree
  local tree="$1" cpu busiest
  # shellcheck source=../scripts/lib.sh
  source "$tree/scripts/lib.sh"
  hashdir_select_jdk
  HASHDIR_AOT_FLAGS=""
  [[ $aot == 0 ]] || hashdir_aot_flags
  # shellcheck source=serve-lib.sh
  source "$here/bench/serve-lib.sh"
  rm -rf "$work"; cp -r "$crashed" "$work"; rm -f "$work/hashdir.lock"
  sync
  if [[ $load != 0 ]]; then
    after_recovery "$tree"
    return
  fi
  serve_until_ready "$work" "$log" || { echo "fresh-replay.sh: serve exited" >&2; return 1; }
  cpu=$(serve_cpu_ms)
  local tk; tk=$(getconf CLK_TCK)
  busiest=$(for t in /proc/"$SERVE_PID"/task/*; do
      awk -v tk="$tk" '{printf "%d %d %d\n", ($14 + $15) * 1000 / tk, $14 * 1000 / tk, $15 * 1000 / tk}' "$t/stat" 2>/dev/null
    done | sort -n -r | head -1 | awk '{printf "user %d sys %d ms", $2, $3}')
  serve_stop
  echo "$SERVE_MS ms to ready (process CPU $cpu ms; recovering thread $busiest); $(grep -o 'recovered .*' "$log" | sed 's/ from LSN.*//') (load $(cut -d' ' -f1 /proc/loadavg))"
}

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --load: serve with the server's defaults on the copy made, load it from ready, report
after_recovery() { # tree
  local tree="$1" hport zport pid lsn0 ckpt result start poller
  hport=$(free_port); zport=$(free_port)
  # shellcheck disable=SC2086
  "$JAVA_HOME/bin/java" $HASHDIR_JVM_FLAGS $HASHDIR_AOT_FLAGS -cp "$HASHDIR_CLASSPATH" \
      dev.hashdir.server.cli.Main serve --data "$work" --bind "tcp://127.0.0.1:$zport" \
      --http "127.0.0.1:$hport" > "$log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$hport/ready" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; return 1; }
    sleep 0.02
  done
  start=$(date +%s%N)
  metric() { curl -s "http://127.0.0.1:$hport/metrics" | awk '/^hashdir_checkpoint_lsn /{printf "%d", $2}'; }
  lsn0=$(metric)
  ( while sleep 0.25; do
      [[ "$(metric)" -gt "$lsn0" ]] 2>/dev/null && { echo "$(( ($(date +%s%N) - start) / 1000000 ))"; break; }
    done ) > "$work.ckpt" &
  poller=$!
  result=$("$JAVA_HOME/bin/java" -Xmx1g -cp "$tree/bench/target/hashdir-bench.jar:$tree/bench/target/lib/*" \
      dev.hashdir.bench.load.LoadGen --target hashdir --endpoint "tcp://127.0.0.1:$zport" --mode open --conns 4 \
      --rate "$load" --mix 50:25:25 --keys 100000 --warmup 0 --duration "$seconds" 2>&1 | grep '^RESULT' || true)
  kill "$poller" 2>/dev/null || true
  wait "$poller" 2>/dev/null || true
  ckpt=$(cat "$work.ckpt" 2>/dev/null)
  rm -f "$work.ckpt"
  kill -TERM "$pid"; wait "$pid" || true
  echo "$(grep -o 'recovered .* in [0-9]* ms' "$log" | sed 's/.* in /recovered in /'); first checkpoint after ready: ${ckpt:-not within the run} ms"
  echo "  ${result:-RESULT missing (log: $log)}"
}

echo "crashed store $crashed; $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= runs; r++)); do
  for tree in "${trees[@]}"; do
    echo "run $r $tree: $(flock /tmp/hashdir-bench.lock bash -c "$(declare -f free_port after_recovery launch); here='$here' work='$work' log='$log' crashed='$crashed' aot=$aot load=$load seconds=$seconds launch '$tree'")"
  done
done
rm -rf "$work" "$log"
echo "($(date -u +%Y-%m-%dT%H:%MZ); load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
