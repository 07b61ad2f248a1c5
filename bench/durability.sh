#!/usr/bin/env bash
# Durability figures at a given store size: checkpoint stalls of the engine thread, open-to-ready
# after a clean close, WAL replay rate (dev.hashdir.bench.DurabilityBenchmark).
#
#   bench/durability.sh [--keys N] [--runs R] [--replay-records M] [--stall-records S] [--cache-mb MB]
#                       [--phases load,stall,open,replay] [--dir DIR] [--keep] [--no-build]
#                       [--slow-ms MS] [--process [--no-aot]]
#
# load:   a new store of N keys (one value each, 32-byte digest keys), inserted in batches of 1000
#         with a WAL commit each, checkpoints driven as the server's EngineMaintenance does (begin
#         every 100,000 records, one checkpointStep(64) per later batch); every checkpoint call is
#         timed on the inserting thread (the engine thread), each longer than --slow-ms (default 5)
#         printed. Closed cleanly.
# stall:  R runs (after 1 warmup run) of S further inserts into a copy of that store: the longest
#         and the p99.9 checkpoint call of each run, and a breakdown by kind of call.
# open:   R times DurableHashDir.open of the closed store, then R times the server's path
#         (HashdirServer.start + recover, until serving: when /ready says 200).
# replay: a child JVM puts M more keys (committed, no checkpoint) and halts; R times a copy of
#         that crashed store is opened and the replay of the M records timed, in a JVM that runs
#         only this phase (the first run, "first=", is that JVM's first: code not yet compiled).
# process: (after the above, with --process) R times `hashdir serve` in a fresh JVM on the clean
#         store, then R times on a copy of the crashed one: milliseconds from launching java to the
#         first 200 from /ready (JVM start included), the process's CPU time until then, and the
#         server's own "recovered ... in" line. Launched as ./hashdir does: with its AOT cache
#         (made first when missing or stale), or without it with --no-aot.
# The run holds /tmp/hashdir-bench.lock so no two benchmarks overlap. Data under DIR (default a
# fresh directory under ${TMPDIR:-/tmp}, deleted at the end unless --keep; about 1.3 GB per copy
# at 10M keys, three copies at most).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=../scripts/lib.sh
source "$root/scripts/lib.sh"
hashdir_select_jdk

build=1
keep=0
process=0
aot=1
runs=5
dir=""
phases="load,stall,open,replay"
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-build) build=0; shift ;;
    --keep) keep=1; shift ;;
    --dir) dir="$2"; shift 2 ;;
    --process) process=1; shift ;;
    --no-aot) aot=0; shift ;;
    --runs) runs="$2"; args+=("$1" "$2"); shift 2 ;;
    --phases) phases="$2"; shift 2 ;;
    --keys|--replay-records|--stall-records|--cache-mb|--checkpoint-records|--batch|--warmup|--wal-durability|--slow-ms)
      args+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "durability.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

if [[ $build == 1 ]]; then
  echo "building bench (mvn -q -pl bench -am package -DskipTests) ..."
  hashdir_mvn -q -pl bench -am package -DskipTests
fi
if [[ -z "$dir" ]]; then
  dir="$(mktemp -d "${TMPDIR:-/tmp}/hashdir-durability.XXXXXX")"
  [[ $keep == 1 ]] || trap 'rm -rf "$dir"' EXIT
fi
echo "data in $dir; $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# bench JVM_PHASES: DurabilityBenchmark with the arguments given and --phases JVM_PHASES
bench() {
  flock /tmp/hashdir-bench.lock "$JAVA_HOME/bin/java" $HASHDIR_JVM_FLAGS -Xmx4g \
      -cp "bench/target/hashdir-bench.jar:bench/target/lib/*" dev.hashdir.bench.DurabilityBenchmark \
      --dir "$dir" "${args[@]}" --phases "$1"
}
# The replay runs in a JVM of its own, as a restarted server's does: after the stall phase in the
# same JVM, C2's code for the put path was compiled from the checkpointing inserts' profile: the
# three replays took 4.2, 3.9 and 2.5 s of CPU there, against 3.5, 2.3 and 2.1 s in a JVM that only
# replayed (docs/benchmarks.md, "Session 14").
others=$(tr ',' '\n' <<<"$phases" | { grep -vx replay || true; } | paste -sd, -)
[[ -z "$others" ]] || bench "$others"
[[ ",$phases," != *,replay,* ]] || bench replay

# shellcheck source=serve-lib.sh
source "$root/bench/serve-lib.sh"

# launches `hashdir serve` on $1 and prints the ms until /ready answers 200, then stops it (SIGTERM)
serve_to_ready() {
  local cpu
  serve_until_ready "$1" "$dir/serve.log" || { echo "durability.sh: serve exited" >&2; return 1; }
  cpu=$(serve_cpu_ms)
  serve_stop
  echo "$SERVE_MS ms to ready (process CPU $cpu ms); $(grep -o 'recovered .*' "$dir/serve.log" | sed 's/ from LSN.*//')"
}

if [[ $process == 1 ]]; then
  [[ -f "$HASHDIR_SERVER_JAR" ]] || hashdir_mvn -q -pl server -am package -DskipTests
  HASHDIR_AOT_FLAGS="" # --no-aot; else as ./hashdir serve launches (the AOT cache made first if missing)
  [[ $aot == 0 ]] || hashdir_aot_flags
  echo "process runs: JVM flags $HASHDIR_JVM_FLAGS ${HASHDIR_AOT_FLAGS:-(no AOT cache)}"
  exec 9>/tmp/hashdir-bench.lock; flock 9
  sync # nothing written before (a copy of the store) is still being written back during the runs
  for ((r = 1; r <= runs; r++)); do
    # the store as a clean close leaves it, in the page cache: this machine drops cached files now
    # and then (the 1.3 GB store was found 5% resident minutes after its close), which made an
    # open read its page map and directory from the disk
    cat "$dir/store/hashdir.h5" "$dir/store/wal/"* >/dev/null
    echo "process clean open run $r: $(serve_to_ready "$dir/store")"
  done
  if [[ -d "$dir/crashed" ]]; then
    for ((r = 1; r <= runs; r++)); do
      rm -rf "$dir/work"; cp -r "$dir/crashed" "$dir/work"; rm -f "$dir/work/hashdir.lock"
      # the copy's 1.3 GB of dirty pages are written back first: else that writeback runs under the
      # recovery measured and its fsyncs (the WAL's open forces the segment and the directory) wait
      sync
      echo "process crash recovery run $r: $(serve_to_ready "$dir/work")"
    done
    rm -rf "$dir/work"
  fi
  flock -u 9
fi
echo "($(date -u +%Y-%m-%dT%H:%MZ); load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
