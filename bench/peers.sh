#!/usr/bin/env bash
# The engine against LMDB and RocksDB, no durability: JMH runs of dev.hashdir.bench.peers.PeerBenchmark
# over every store, same JVM settings, same keys and values, then a summary table.
#
#   bench/peers.sh [--keys 1000000,10000000] [--stores hashdir,lmdb,rocksdb] [--quick] [--runs N]
#                  [--forks N] [--cache-mib 2048] [-d DATA_DIR] [-o RESULTS_DIR] [--no-build]
#
# --quick: 1 warmup iteration and iterations of 1 s (reads: 1 x 1 s warmup, 5 x 1 s measured; put:
# 1 warmup and 20 measured batches of 10000), and --keys 1000000 unless given; otherwise the class's
# own settings (reads 3 x 2 s warmup, 5 x 2 s measured; put 5 + 20 batches). --runs N repeats the whole JMH run N times, one after the other, and
# summarizes them together (medians of the runs, ratios per run: see bench/peers-summary.py);
# --forks N repeats each trial in N fresh JVMs within a run (each loads its store again). Runs with
# -prof gc. Raw JMH JSON, the JMH log and the preload lines of run i go to RESULTS_DIR/run-i, the
# summary to RESULTS_DIR/summary.txt (default RESULTS_DIR: a fresh /tmp/hashdir-peers-results.XXXXXX,
# kept); store files to a fresh directory under DATA_DIR (default ${TMPDIR:-/tmp}), deleted at the end.
#
# Needs JDK 25 (JAVA_HOME, else /usr/lib/jvm/temurin-25-jdk-amd64), Maven, python3.
set -euo pipefail

keys=""
stores="hashdir,lmdb,rocksdb"
quick=0
runs=1
forks=1
cache_mib=2048
data_parent="${TMPDIR:-/tmp}"
results=""
build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keys) keys="$2"; shift 2 ;;
    --stores) stores="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    --runs) runs="$2"; shift 2 ;;
    --forks) forks="$2"; shift 2 ;;
    --cache-mib) cache_mib="$2"; shift 2 ;;
    -d) data_parent="$2"; shift 2 ;;
    -o) results="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "peers.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
if [[ -z "$keys" ]]; then
  if [[ $quick == 1 ]]; then keys=1000000; else keys=1000000,10000000; fi
fi
[[ "$keys" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "peers.sh: --keys must be positive integers separated by commas, got '$keys'" >&2; exit 2; }
[[ "$stores" =~ ^(hashdir|lmdb|rocksdb)(,(hashdir|lmdb|rocksdb))*$ ]] || { echo "peers.sh: --stores must name hashdir, lmdb, rocksdb, got '$stores'" >&2; exit 2; }
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "peers.sh: --runs must be a positive integer, got '$runs'" >&2; exit 2; }
[[ "$forks" =~ ^[1-9][0-9]*$ ]] || { echo "peers.sh: --forks must be a positive integer, got '$forks'" >&2; exit 2; }
[[ "$cache_mib" =~ ^[1-9][0-9]*$ ]] || { echo "peers.sh: --cache-mib must be a positive integer, got '$cache_mib'" >&2; exit 2; }

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# JDK 25 selection shared with ./hashdir and ./run-tests
# shellcheck source=../scripts/lib.sh
source "$root/scripts/lib.sh"
hashdir_select_jdk
java="$JAVA_HOME/bin/java"

if [[ $build == 1 ]]; then
  echo "building bench (mvn -q -pl bench -am package -DskipTests) ..."
  hashdir_mvn -q -pl bench -am package -DskipTests
fi

[[ -n "$results" ]] || results="$(mktemp -d /tmp/hashdir-peers-results.XXXXXX)"
mkdir -p "$results"
data="$(mktemp -d "$data_parent/hashdir-peers.XXXXXX")"
trap 'rm -rf "$data"' EXIT

jmh_args=(-p "store=$stores" -p "keys=$keys" -p "cacheMiB=$cache_mib" -f "$forks" -prof gc -foe true -rf json)
if [[ $quick == 1 ]]; then
  jmh_args+=(-wi 1 -w 1s -r 1s)
fi
echo "stores=$stores keys=$keys runs=$runs forks=$forks quick=$quick cache=${cache_mib} MiB; data in $data, results in $results"
run_dirs=()
for ((r = 1; r <= runs; r++)); do
  out="$results/run-$r"
  mkdir -p "$out"
  run_dirs+=("$out")
  echo "run $r of $runs: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results/machine.txt"
  # the forks inherit the host's -D options: java.io.tmpdir (where the stores go) and the preload file
  "$java" --sun-misc-unsafe-memory-access=allow -Djava.io.tmpdir="$data" -Dhashdir.peers.loads="$out/loads.tsv" \
      -cp "bench/target/hashdir-bench.jar:bench/target/lib/*" org.openjdk.jmh.Main \
      'dev.hashdir.bench.peers.PeerBenchmark' "${jmh_args[@]}" -rff "$out/jmh.json" > "$out/jmh.log" 2>&1 \
    || { tail -n 60 "$out/jmh.log" >&2; echo "peers.sh: JMH failed in run $r, log in $out/jmh.log" >&2; exit 1; }
done
echo "end: $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results/machine.txt"
echo
python3 bench/peers-summary.py "${run_dirs[@]}" | tee "$results/summary.txt"
echo
echo "raw JMH JSON and logs: $results/run-*/"
