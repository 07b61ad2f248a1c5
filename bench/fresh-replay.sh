#!/usr/bin/env bash
# Crash recovery in a freshly started `hashdir serve`, builds compared in interleaved launches.
#
#   bench/fresh-replay.sh --crashed DIR [--runs R] [--tree ROOT]... [--no-aot]
#
# DIR is a crashed store (e.g. DIR/crashed of `bench/durability.sh ... --phases load,replay
# --keep`). Each run launches `serve` once per tree (default: this one), one tree after the other,
# each on a fresh copy of DIR (`sync`ed first), exactly as durability.sh's process phase does (the
# launcher's JVM flags and AOT cache, --durability none, /ready polled every 5 ms by one Python
# process, SIGTERM at the first 200), and prints the ms to ready, the process's CPU, the CPU
# (user, sys) of the thread that recovered (the busiest at that moment) and the server's
# "recovered ... in N ms" line. Settings such as HASHDIR_CACHE_MB pass through the environment.
# Trees must be built (mvn -pl server -am package); each gets its own AOT cache. Holds
# /tmp/hashdir-bench.lock for each launch.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
crashed=""
runs=3
aot=1
trees=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --crashed) crashed="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --tree) trees+=("$(cd "$2" && pwd)"); shift 2 ;;
    --no-aot) aot=0; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
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
  serve_until_ready "$work" "$log" || { echo "fresh-replay.sh: serve exited" >&2; return 1; }
  cpu=$(serve_cpu_ms)
  local tk; tk=$(getconf CLK_TCK)
  busiest=$(for t in /proc/"$SERVE_PID"/task/*; do
      awk -v tk="$tk" '{printf "%d %d %d\n", ($14 + $15) * 1000 / tk, $14 * 1000 / tk, $15 * 1000 / tk}' "$t/stat"
    done | sort -n -r | head -1 | awk '{printf "user %d sys %d ms", $2, $3}')
  serve_stop
  echo "$SERVE_MS ms to ready (process CPU $cpu ms; recovering thread $busiest); $(grep -o 'recovered .*' "$log" | sed 's/ from LSN.*//') (load $(cut -d' ' -f1 /proc/loadavg))"
}

echo "crashed store $crashed; $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= runs; r++)); do
  for tree in "${trees[@]}"; do
    echo "run $r $tree: $(flock /tmp/hashdir-bench.lock bash -c "$(declare -f launch); here='$here' work='$work' log='$log' crashed='$crashed' aot=$aot launch '$tree'")"
  done
done
rm -rf "$work" "$log"
echo "($(date -u +%Y-%m-%dT%H:%MZ); load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
