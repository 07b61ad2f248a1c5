#!/usr/bin/env bash
# The service against Redis (issue 5): hashdir serve (durability sync) vs redis-server (appendonly,
# appendfsync always), driven by the same load generator (dev.hashdir.bench.load.LoadGen) with the same
# connections, pipelining depth, op mix and keys, then a summary (bench/service-summary.py).
#
# Usage: bench/service.sh [--runs N] [--phases LIST] [--duration SEC] [--warmup SEC] [--keys K]
#                    [--settings LIST] [--settle SEC] [--refill drained|each] [--hashdir-env NAME=VALUE]...
#                    [-o RESULTS_DIR] [--no-build]
#
# Phases (default all, in this order):
#   throughput  closed loop, 100% put to fresh keys, (conns x window) in 1x64 4x64 8x128: durable put rate;
#               both servers started on empty stores every round (STORE lines: sizes and memory after it)
#   rtt         closed loop, 1 connection, window 1: round trip of put (fresh keys) and get (preloaded keys)
#   latency     Redis's max rate (closed loop 4x64, mix 50:25:25 put:get:contains over K preloaded keys),
#               then open loop at half of it against both: p50/p99 at the same offered rate
#   controller  hashdir's max rate (closed loop 4x64, 100% put, --refill each; the slowest of the runs, so that 90% is
#               below what the server sustains), then open loop at 10/50/90% of it with the adaptive batch
#               controller and each fixed setting (--settings; default 4096/0,4096/1000,32/0,4096/200 =
#               max batch / max wait in us), the settings interleaved round by round (the order rotating by one
#               setting a round); after each restart
#               --settle SEC (default 8) of closed-loop puts, not measured, so that a fresh JVM's JIT
#               warm-up is not what the open-loop tails measure; each level after a forced checkpoint
#               (POST /checkpoint), so that the automatic checkpoints fall alike in every setting's runs
# Closed loops refill a connection's window after reading every reply already received, in one write
# (--refill drained, the default since session 10), or after each reply (--refill each: one write per
# request, as before; its system calls made the generator the machine's largest CPU user). The
# controller phase's max-put runs always use --refill each (see there).
# --hashdir-env NAME=VALUE (repeatable) starts every hashdir server with that environment, e.g.
# HASHDIR_CHECKPOINT_RECORDS=100000000 (a setting's own variables come after it). After each measured
# hashdir run its /metrics go to RESULTS_DIR/metrics/NNN-LABEL.txt (the server's counters and
# histograms since its start: subtract the previous file of the same server for one run's share).
# Every LoadGen run has a fresh seed; the runs of one round (one repeat of a phase, both targets; the
# whole controller phase) hold /tmp/hashdir-bench.lock together (flock), so that no other benchmark
# overlaps them and a busy lock is waited for once a round, not once a run. The servers run
# for a phase (hashdir restarted for each controller setting and round). RESULT lines go to RESULTS_DIR/results.txt
# (with the server's CPU use during the measuring window), the summary to RESULTS_DIR/summary.md (default RESULTS_DIR:
# a fresh /tmp/hashdir-service-results.XXXXXX, kept); data under a fresh /tmp directory, deleted at the end.
#
# Needs JDK 25 (JAVA_HOME, else /usr/lib/jvm/temurin-25-jdk-amd64), Maven, redis-server, python3, curl, flock.
set -euo pipefail

runs=3
duration=5
warmup=2
phases="throughput,rtt,latency,controller"
keys=100000
settings="4096/0,4096/1000,32/0,4096/200"
settle=8
refill=drained
results=""
build=1
hashdir_env=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --phases) phases="$2"; shift 2 ;;
    --keys) keys="$2"; shift 2 ;;
    --settings) settings="$2"; shift 2 ;;
    --settle) settle="$2"; shift 2 ;;
    --refill) refill="$2"; shift 2 ;;
    --hashdir-env)
      [[ "$2" =~ ^[A-Z_][A-Z0-9_]*=.*$ ]] || { echo "service.sh: --hashdir-env must be NAME=VALUE, got '$2'" >&2; exit 2; }
      hashdir_env+=("$2"); shift 2 ;;
    -o) results="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,37p' "$0"; exit 0 ;;
    *) echo "service.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "service.sh: --runs must be a positive integer, got '$runs'" >&2; exit 2; }
[[ "$settle" =~ ^[0-9]+$ ]] || { echo "service.sh: --settle must be a whole number of seconds, got '$settle'" >&2; exit 2; }
[[ "$refill" =~ ^(drained|each)$ ]] || { echo "service.sh: --refill must be drained or each, got '$refill'" >&2; exit 2; }
[[ "$keys" =~ ^[1-9][0-9]*$ ]] || { echo "service.sh: --keys must be a positive integer, got '$keys'" >&2; exit 2; }
[[ "$phases" =~ ^(throughput|rtt|latency|controller)(,(throughput|rtt|latency|controller))*$ ]] \
  || { echo "service.sh: --phases must name throughput, rtt, latency, controller; got '$phases'" >&2; exit 2; }
[[ "$settings" =~ ^[0-9]+/[0-9]+(,[0-9]+/[0-9]+)*$ ]] \
  || { echo "service.sh: --settings must be MAXBATCH/WAITUS pairs separated by commas, got '$settings'" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "service.sh: needs redis-server (apt-get install redis-server)" >&2; exit 2; }

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=../scripts/lib.sh
source "$root/scripts/lib.sh"
hashdir_select_jdk
java="$JAVA_HOME/bin/java"

if [[ $build == 1 ]]; then
  echo "building (mvn -q -pl bench -am package -DskipTests) ..."
  hashdir_mvn -q -pl server,bench -am package -DskipTests
fi

# shellcheck source=servers-lib.sh
source "$root/bench/servers-lib.sh"
bench_dirs service
server_pid=""
redis_pid=""
stop_hashdir() { stop_served "$server_pid"; server_pid=""; }
stop_redis() { stop_served "$redis_pid"; redis_pid=""; }
cleanup() { stop_hashdir; stop_redis; rm -rf "$data"; }
trap cleanup EXIT
zport=$(free_port); hport=$(free_port); rport=$(free_port)

# start_hashdir [ENV=VALUE ...]: a fresh store, durability sync
start_hashdir() {
  stop_hashdir
  serve_fresh_hashdir "$root" "$data/hashdir" "$results/hashdir-server.log" "$zport" "$hport" sync \
    ${hashdir_env[@]+"${hashdir_env[@]}"} "$@"
  server_pid=$SERVED_PID
}

# start_redis: a fresh instance, every write fsynced before it is answered
start_redis() {
  stop_redis
  serve_fresh_redis "$data/redis" "$results/redis.log" "$rport" always
  redis_pid=$SERVED_PID
}

seed=1000
lock() { exec 9>/tmp/hashdir-bench.lock; flock 9; }
unlock() { flock -u 9; exec 9>&-; }

# run LABEL TARGET LOADGEN-ARGS...: one measured run under the bench lock; appends its RESULT line
run() {
  local label="$1" target="$2"; shift 2
  local pid addr line
  if [[ "$target" == hashdir ]]; then pid=$server_pid; else pid=$redis_pid; fi
  if [[ "$target" == hashdir ]]; then addr=(--endpoint "tcp://127.0.0.1:$zport"); else addr=(--redis "127.0.0.1:$rport"); fi
  seed=$((seed + 1))
  line=$(loadgen --target "$target" "${addr[@]}" --server-pid "$pid" --label "$label" --seed "$seed" "$@" \
    | grep '^RESULT')
  echo "$line load1=$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out"
  if [[ "$target" == hashdir ]]; then
    mkdir -p "$results/metrics"
    curl -sf "http://127.0.0.1:$hport/metrics" > "$results/metrics/$(printf %03d "$seed")-${label//\//_}.txt" || true
  fi
}

preload() { # preload TARGET: key 0..keys-1 of the key space (seed 42), one value each
  local target="$1" addr
  if [[ "$target" == hashdir ]]; then addr=(--endpoint "tcp://127.0.0.1:$zport"); else addr=(--redis "127.0.0.1:$rport"); fi
  loadgen --target "$target" "${addr[@]}" --mode preload --conns 4 --window 64 --keys "$keys" --seed 42 | grep '^RESULT' \
    | sed 's/^RESULT/PRELOAD/' | tee -a "$out"
}

# median (or, with STAT=min, the least) of field FIELD over RESULT lines with label LABEL and target TARGET
median() {
  STAT="${STAT:-median}" /usr/bin/python3 - "$out" "$1" "$2" "$3" <<'EOF'
import os, statistics, sys
path, label, target, field = sys.argv[1:]
vals = []
for line in open(path):
    if not line.startswith("RESULT"):
        continue
    kv = dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
    if kv.get("label") == label and kv.get("target") == target:
        vals.append(float(kv[field]))
print((min(vals) if os.environ["STAT"] == "min" else statistics.median(vals)) if vals else 0)
EOF
}

common=(--warmup "$warmup" --duration "$duration" --refill "$refill")
echo "uptime: $(uptime)" | tee -a "$out"
echo "runs=$runs duration=${duration}s warmup=${warmup}s keys=$keys; results in $results"

# stores ROUND: a STORE line with both stores' sizes and the servers' resident memory
stores() {
  local hkeys rkeys rmem hrss rrss
  hkeys=$(curl -sf "http://127.0.0.1:$hport/stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"])')
  rkeys=$(redis-cli -p "$rport" dbsize)
  rmem=$(redis-cli -p "$rport" info memory | tr -d '\r' | sed -n 's/^used_memory://p')
  hrss=$(awk '/^VmRSS/ {print $2 * 1024}' "/proc/$server_pid/status")
  rrss=$(awk '/^VmRSS/ {print $2 * 1024}' "/proc/$redis_pid/status")
  echo "STORE round=$1 hashdir_keys=$hkeys redis_keys=$rkeys redis_used_memory=$rmem hashdir_rss=$hrss redis_rss=$rrss" | tee -a "$out"
}

if [[ ",$phases," == *,throughput,* ]]; then
  for ((r = 1; r <= runs; r++)); do
    # fresh stores every round: the rounds are repeats of one measurement, not one store growing
    # past hashdir's page cache (about 14M keys in the default 1 GiB) while Redis grows in memory
    start_hashdir; start_redis
    lock
    for cw in 1x64 4x64 8x128; do
      c=${cw%x*}; w=${cw#*x}
      for t in hashdir redis; do
        run "put-$cw" "$t" --mode closed --conns "$c" --window "$w" --mix 100:0:0 "${common[@]}"
      done
    done
    unlock
    stores "$r"
  done
fi

if [[ ",$phases," == *,rtt,* || ",$phases," == *,latency,* ]]; then
  start_hashdir; start_redis
  lock; preload hashdir; preload redis; unlock
fi

if [[ ",$phases," == *,rtt,* ]]; then
  for ((r = 1; r <= runs; r++)); do
    lock
    for t in hashdir redis; do
      run rtt-put "$t" --mode closed --conns 1 --window 1 --mix 100:0:0 "${common[@]}"
      run rtt-get "$t" --mode closed --conns 1 --window 1 --mix 0:100:0 --keys "$keys" "${common[@]}"
    done
    unlock
  done
fi

if [[ ",$phases," == *,latency,* ]]; then
  lock
  for ((r = 1; r <= runs; r++)); do
    for t in redis hashdir; do
      run max-mix "$t" --mode closed --conns 4 --window 64 --mix 50:25:25 --keys "$keys" "${common[@]}"
    done
  done
  unlock
  rmax=$(median max-mix redis throughput)
  half=$(/usr/bin/python3 -c "print(round($rmax / 2))")
  echo "Redis max rate (median): $rmax/s; open loop at $half/s" | tee -a "$out"
  lock
  for ((r = 1; r <= runs; r++)); do
    for t in hashdir redis; do
      run half-redis-max "$t" --mode open --conns 4 --rate "$half" --mix 50:25:25 --keys "$keys" "${common[@]}"
    done
  done
  unlock
fi

if [[ ",$phases," == *,controller,* ]]; then
  stop_redis
  start_hashdir
  lock # the whole phase: its settings are compared with each other
  for ((r = 1; r <= runs; r++)); do
    # the levels' base keeps the one-write-per-request refill: the drained refill's closed-loop rate
    # (about twice as high) is more than the open loop's one generator thread can offer on 2 cores
    run max-put hashdir --mode closed --conns 4 --window 64 --mix 100:0:0 "${common[@]}" --refill each
  done
  hmax=$(STAT=min median max-put hashdir throughput)
  echo "hashdir max put rate (slowest run, adaptive): $hmax/s; median $(median max-put hashdir throughput)/s" | tee -a "$out"
  IFS=, read -r -a fixed <<<"$settings"
  # round by round, every setting once per round (the server restarted for each), so that a change
  # of the machine's load during the phase falls on all settings alike; the order rotates by one
  # setting a round, so that no setting is always the one right after the max-rate runs or a round's start
  all=(adaptive "${fixed[@]}")
  for ((r = 1; r <= runs; r++)); do
    order=("${all[@]:$(( (r - 1) % ${#all[@]} ))}" "${all[@]:0:$(( (r - 1) % ${#all[@]} ))}")
    for s in "${order[@]}"; do
      if [[ "$s" == adaptive ]]; then
        start_hashdir
      else
        start_hashdir HASHDIR_BATCH_MODE=fixed HASHDIR_BATCH_MAX="${s%/*}" HASHDIR_BATCH_MAX_WAIT_US="${s#*/}"
      fi
      if [[ $settle -gt 0 ]]; then # not measured: the fresh JVM compiles its hot paths meanwhile
        loadgen --target hashdir --endpoint "tcp://127.0.0.1:$zport" --label settle --seed $((seed + 500)) --mode closed \
          --conns 4 --window 64 --mix 100:0:0 --warmup 0 --duration "$settle" --refill "$refill" >/dev/null
      fi
      for pct in 10 50 90; do
        # every level starts right after a checkpoint (forced and waited for), so that the automatic
        # ones (every checkpoint-records) come at the same point of every setting's runs: with the
        # settle's count of puts varying, one fell into the 50% or 90% window in some rounds only,
        # and such a round's p99 was the checkpoint's (docs/benchmarks.md, "Session 11: the controller
        # phase with a checkpoint before each level")
        curl -sf -X POST "http://127.0.0.1:$hport/checkpoint" >/dev/null \
          || { echo "service.sh: POST /checkpoint failed (log: $results/hashdir-server.log)" >&2; exit 1; }
        rate=$(/usr/bin/python3 -c "print(round($hmax * $pct / 100))")
        run "ctl-$s-$pct" hashdir --mode open --conns 4 --rate "$rate" --mix 100:0:0 "${common[@]}"
      done
    done
  done
  unlock
fi

stop_hashdir; stop_redis
echo "uptime: $(uptime)" | tee -a "$out"
/usr/bin/python3 "$root/bench/service-summary.py" "$out" | tee "$results/summary.md"
