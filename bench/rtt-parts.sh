#!/usr/bin/env bash
# The single-client round trip taken apart: put and get (closed loop, 1 connection, window 1) against
# hashdir at durability none and sync and against Redis at appendfsync no and always, each server
# fresh, the configurations alternated round by round. What the fdatasync adds (sync - none, always -
# no) and what the pipeline's hand-offs add (hashdir none: put - get) then come from the same minutes.
# With --against ROOT, a second hashdir build (a checkout whose server jar is built, e.g. a git
# worktree of the commit before a change) runs after this one's in every round, at durability sync
# (or --durability D) only (put and get, plus 4 x 64 and 8 x 128 puts): an A/B of two builds, alternated. With
# --against-env NAME=VALUE (repeatable), the second server runs with that environment, e.g.
# HASHDIR_PIPELINE_INLINE_COMMIT=0: an A/B of a setting (the second build is this one unless --against).
#
# Usage: bench/rtt-parts.sh [--runs N] [--duration SEC] [--warmup SEC] [--against ROOT]
#                           [--against-env NAME=VALUE]... [--durability sync|async|none] [--no-redis]
#                           [-o RESULTS_DIR] [--no-build]
#
# RESULT lines (LoadGen's, label = build-durability-op) go to RESULTS_DIR/results.txt, medians per label
# to RESULTS_DIR/summary.txt (default RESULTS_DIR: a fresh /tmp/hashdir-rtt-results.XXXXXX, kept). Each
# round holds /tmp/hashdir-bench.lock. Needs JDK 25, Maven, redis-server (unless --no-redis), python3,
# curl, flock.
set -euo pipefail

runs=3
duration=5
warmup=2
against=""
against_env=()
ab_durability=sync
redis=1
results=""
build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --against) against="$(cd "$2" && pwd)"; shift 2 ;;
    --no-redis) redis=0; shift ;;
    -o) results="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --against-env) against_env+=("$2"); shift 2 ;;
    --durability) ab_durability="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "rtt-parts.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ ${#against_env[@]} -gt 0 && -z "$against" ]]; then
  against="$root"
fi
[[ $redis == 0 ]] || command -v redis-server >/dev/null \
  || { echo "rtt-parts.sh: needs redis-server (apt-get install redis-server), or --no-redis" >&2; exit 2; }
if [[ -n "$against" && ! -f "$against/server/target/hashdir-server.jar" ]]; then
  echo "rtt-parts.sh: $against/server/target/hashdir-server.jar is missing: build it there first" \
    "(mvn -pl server -am package -DskipTests)" >&2
  exit 2
fi

cd "$root"
# shellcheck source=../scripts/lib.sh
source "$root/scripts/lib.sh"
hashdir_select_jdk
java="$JAVA_HOME/bin/java"
if [[ $build == 1 ]]; then
  hashdir_mvn -q -pl server,bench -am package -DskipTests
fi

# shellcheck source=servers-lib.sh
source "$root/bench/servers-lib.sh"
bench_dirs rtt
pid=""
stop() { stop_served "$pid"; pid=""; }
trap 'stop; rm -rf "$data"' EXIT
zport=$(free_port); hport=$(free_port); rport=$(free_port)
seed=2000

# start_hashdir ROOT DURABILITY [NAME=VALUE...]: a fresh store served by ROOT's server jar, with that environment
start_hashdir() {
  serve_fresh_hashdir "$1" "$data/hashdir" "$results/hashdir-server.log" "$zport" "$hport" "$2" "${@:3}"
  pid=$SERVED_PID
}

# start_redis FSYNC: a fresh instance, appendonly with appendfsync FSYNC
start_redis() {
  serve_fresh_redis "$data/redis" "$results/redis.log" "$rport" "$1"
  pid=$SERVED_PID
}

# run LABEL TARGET LOADGEN-ARGS...: one measured run against the server started last
run() {
  local label="$1" target="$2" addr
  shift 2
  if [[ "$target" == hashdir ]]; then addr=(--endpoint "tcp://127.0.0.1:$zport"); else addr=(--redis "127.0.0.1:$rport"); fi
  seed=$((seed + 1))
  loadgen --target "$target" "${addr[@]}" --server-pid "$pid" --label "$label" --seed "$seed" \
    --warmup "$warmup" --duration "$duration" --keys 10000 "$@" | grep '^RESULT' | tee -a "$out"
}
# round_trips LABEL-PREFIX TARGET: puts, then gets, over one key space of 10,000 keys (--key-seed 42):
# the gets ask for keys the puts made (since a98716e; before, each run's keys followed its own seed
# and the gets missed)
round_trips() {
  run "$1-put" "$2" --mode closed --conns 1 --window 1 --mix 100:0:0
  run "$1-get" "$2" --mode closed --conns 1 --window 1 --mix 0:100:0
}

echo "uptime: $(uptime)" | tee "$results/uptime.txt"
for ((r = 1; r <= runs; r++)); do
  exec 9>/tmp/hashdir-bench.lock; flock 9
  if [[ -n "$against" ]]; then
    for name in this against; do
      if [[ $name == this ]]; then
        start_hashdir "$root" "$ab_durability"
      else
        start_hashdir "$against" "$ab_durability" "${against_env[@]}"
      fi
      round_trips "$name-$ab_durability" hashdir
      run "$name-$ab_durability-put4x64" hashdir --mode closed --conns 4 --window 64 --mix 100:0:0
      run "$name-$ab_durability-put8x128" hashdir --mode closed --conns 8 --window 128 --mix 100:0:0
      stop
    done
  else
    for durability in none sync; do
      start_hashdir "$root" "$durability"; round_trips "hashdir-$durability" hashdir; stop
    done
  fi
  if [[ $redis == 1 ]]; then
    for fsync in no always; do
      start_redis "$fsync"; round_trips "redis-$fsync" redis; stop
    done
  fi
  flock -u 9; exec 9>&-
done
echo "uptime after: $(uptime)" | tee -a "$results/uptime.txt"

/usr/bin/python3 - "$out" <<'EOF' | tee "$results/summary.txt"
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    kv = dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
    rows.setdefault(kv["label"], []).append(kv)
print("| label | runs | p50 us (median; each run) | p99 us (median) | ops/s (median) |")
print("|---|---:|---|---:|---:|")
for label, rs in rows.items():
    p50 = [float(r["p50_us"]) for r in rs]
    print("| %s | %d | %.1f (%s) | %.1f | %.0f |" % (label, len(rs), statistics.median(p50),
          " / ".join("%.0f" % v for v in p50), statistics.median(float(r["p99_us"]) for r in rs),
          statistics.median(float(r["throughput"]) for r in rs)))
EOF
