#!/usr/bin/env bash
# Page I/O: the Java (FFM) path against the C reference, per phase, in ns per 4 KiB page.
#
#   bench/page-io.sh [-n PAGES] [-r ROUNDS] [-w WARMUP] [-s SEED] [-d DATA_DIR] [--no-build]
#
# Each round runs the C benchmark (native/src/main/c/page_io_bench.c) once, then one JMH fork of
# dev.hashdir.bench.PageIoBenchmark (WARMUP warmup iterations, one measured iteration) with the same
# N and seed. C and Java alternate so that load from other users of the machine falls on both.
# Prints every sample, then per phase the medians (and minima) for C and Java and the ratio
# Java/C, both of the medians and as the median of the per-round ratios.
#
# Needs JDK 25 (JAVA_HOME, else /usr/lib/jvm/temurin-25-jdk-amd64), Maven, gcc, libhdf5-dev.
# Data files go to DATA_DIR (default: a fresh directory under ${TMPDIR:-/tmp}) and are deleted.
set -euo pipefail

pages=100000
rounds=5
warmup=2
seed=42
data_parent="${TMPDIR:-/tmp}"
build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) pages="$2"; shift 2 ;;
    -r) rounds="$2"; shift 2 ;;
    -w) warmup="$2"; shift 2 ;;
    -s) seed="$2"; shift 2 ;;
    -d) data_parent="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "page-io.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for v in pages rounds; do
  if ! [[ "${!v}" =~ ^[1-9][0-9]*$ ]]; then echo "page-io.sh: $v must be a positive integer, got '${!v}'" >&2; exit 2; fi
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# JDK 25 selection shared with ./hashdir and ./run-tests
# shellcheck source=../scripts/lib.sh
source "$root/scripts/lib.sh"
hashdir_select_jdk
java="$JAVA_HOME/bin/java"
hdf5_include="${HDF5_INCLUDE:-/usr/include/hdf5/serial}"
[[ -f "$hdf5_include/hdf5.h" ]] || { echo "page-io.sh: no hdf5.h in $hdf5_include: install libhdf5-dev or set HDF5_INCLUDE" >&2; exit 1; }

if [[ $build == 1 ]]; then
  echo "building bench (mvn -q -pl bench -am package -DskipTests) ..."
  hashdir_mvn -q -pl bench -am package -DskipTests
fi
c_bench="$root/native/target/page-io-bench/page_io_bench"
mkdir -p "$(dirname "$c_bench")"
gcc -std=c11 -O2 -Wall -Werror -Wincompatible-pointer-types -I"$hdf5_include" \
    native/src/main/c/page_io_bench.c -o "$c_bench" -lhdf5_serial

data="$(mktemp -d "$data_parent/hashdir-page-io.XXXXXX")"
trap 'rm -rf "$data"' EXIT
samples="$data/samples.txt"   # lines: "<impl> <phase> <ns_per_page> <round>"
: > "$samples"

echo "N=$pages pages of 4096 B, $rounds rounds, JMH warmup=$warmup, seed=$seed, data in $data"
for ((r = 1; r <= rounds; r++)); do
  rm -f "$data/c.h5"
  "$c_bench" "$data/c.h5" "$pages" "$seed" \
    | awk -v r="$r" '{ split($1, p, "="); split($3, v, "="); print "c", p[2], v[2], r }' >> "$samples"
  rm -f "$data/c.h5"
  # the fork inherits the host's -D options (java.io.tmpdir: where the benchmark puts its file)
  "$java" --sun-misc-unsafe-memory-access=allow -Djava.io.tmpdir="$data" \
      -cp "bench/target/hashdir-bench.jar:bench/target/lib/*" org.openjdk.jmh.Main \
      'dev.hashdir.bench.PageIoBenchmark' -p pages="$pages" -p seed="$seed" -opi "$pages" \
      -f 1 -wi "$warmup" -i 1 -foe true > "$data/jmh-$r.log" 2>&1 \
    || { cat "$data/jmh-$r.log" >&2; echo "page-io.sh: JMH failed in round $r" >&2; exit 1; }
  awk -v r="$r" '/^# Benchmark: / { n = split($3, b, "."); phase = b[n] }
                 /^Iteration +[0-9]+:/ { print "java", phase, $3, r }' "$data/jmh-$r.log" >> "$samples"
  echo "round $r: $(awk -v r="$r" '$4 == r { printf "%s %s=%s  ", $1, $2, $3 }' "$samples")"
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minimum() { sort -g | head -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
echo
echo "ns per 4 KiB page; Java/C of the medians, and the median of each round's Java/C (C and Java ran"
echo "back to back in a round, so the paired ratio is less exposed to load that changes between rounds)"
printf '%-6s %10s %10s %7s %7s   %10s %10s\n' phase "C median" "J median" "J/C" "paired" "C min" "J min"
for phase in write read; do
  c=$(awk -v p="$phase" '$1 == "c" && $2 == p { print $3 }' "$samples")
  j=$(awk -v p="$phase" '$1 == "java" && $2 == p { print $3 }' "$samples")
  paired=$(awk -v p="$phase" '$2 == p { v[$1, $4] = $3 } END { for (k in v) { split(k, x, SUBSEP);
             if (x[1] == "java" && (("c", x[2]) in v)) print v[k] / v["c", x[2]] } }' "$samples" | median)
  cm=$(median <<< "$c"); jm=$(median <<< "$j")
  printf '%-6s %10.1f %10.1f %7s %7.3f   %10.1f %10.1f\n' "$phase" "$cm" "$jm" "$(ratio "$jm" "$cm")" "$paired" \
      "$(minimum <<< "$c")" "$(minimum <<< "$j")"
done
echo "($rounds rounds; N=$pages; $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg))"
