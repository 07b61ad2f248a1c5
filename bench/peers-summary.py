#!/usr/bin/env python3
"""Summary of a bench/peers.sh run: reads jmh.json and loads.tsv in RESULTS_DIR, prints tables.

    python3 bench/peers-summary.py RESULTS_DIR

Throughput figures are medians over every measured iteration of every fork (the machine is
noisy, a median is steadier than JMH's mean); "err" is JMH's 99.9% error as a percentage of its
mean. Ratios are hashdir over the faster of LMDB and RocksDB, from the same run.
"""
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

PEERS = ("lmdb", "rocksdb")
ORDER = ("hashdir", "lmdb", "rocksdb")
BENCHMARKS = ("getHit", "getMiss", "contains", "put")
TARGETS = {"getHit": 1.5, "getMiss": 1.5, "put": 2.0, "load": 2.0}   # contains: no target, shown only
BYTES_TARGET = 60.0


def ops_per_second(value, unit):
    if unit == "ops/s":
        return value
    scale = {"ns/op": 1e9, "us/op": 1e6, "ms/op": 1e3, "s/op": 1.0}[unit]
    return scale / value


def read_jmh(path):
    """(benchmark, keys, store) -> dict(median, err_pct, alloc)."""
    rows = {}
    for entry in json.loads(path.read_text()):
        name = entry["benchmark"].rsplit(".", 1)[1]
        params = entry["params"]
        metric = entry["primaryMetric"]
        unit = metric["scoreUnit"]
        samples = [ops_per_second(v, unit) for fork in metric["rawData"] for v in fork]
        err = metric.get("scoreError")
        err_pct = 100.0 * err / metric["score"] if isinstance(err, (int, float)) and err == err and metric["score"] else None
        alloc = entry.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
        rows[(name, int(params["keys"]), params["store"])] = {
            "median": statistics.median(samples), "err_pct": err_pct, "alloc": alloc, "n": len(samples)}
    return rows


def read_loads(path):
    loads = defaultdict(list)      # (keys, store) -> [(load_s, settle_s, bytes, cache)]
    alloc = {}                     # (benchmark, keys, store) -> bytes per operation, benchmark thread
    describe = {}
    detail = {}
    end_cache = defaultdict(list)  # (keys, store) -> [cache bytes at the end of a trial]
    if not path.exists():
        return loads, alloc, describe, detail, end_cache
    for line in path.read_text().splitlines():
        f = line.split("\t")
        if f[0] == "load":
            store, keys = f[1], int(f[2])
            loads[(keys, store)].append((float(f[4]), float(f[5]), int(f[6]), int(f[7])))
            describe[store] = f[8]
            detail[(keys, store)] = f[9]
        elif f[0] == "end":
            end_cache[(int(f[2]), f[1])].append(int(f[4]))
        elif f[0] == "alloc" and int(f[4]) > 0:
            alloc[(f[3], int(f[2]), f[1])] = int(f[5]) / int(f[4])
    return loads, alloc, describe, detail, end_cache


def fmt_ops(v):
    return "-" if v is None else f"{v:,.0f}"


def ratio_cell(values):
    own = values.get("hashdir")
    peers = [values[p] for p in PEERS if values.get(p)]
    if own is None or not peers:
        return "-", None
    r = own / max(peers)
    return f"{r:.2f}", r


def main():
    results = Path(sys.argv[1])
    rows = read_jmh(results / "jmh.json")
    loads, alloc, describe, detail, end_cache = read_loads(results / "loads.tsv")
    stores = [s for s in ORDER if any(k[2] == s for k in rows) or any(k[1] == s for k in loads)]
    sizes = sorted({k[1] for k in rows} | {k[0] for k in loads})
    verdicts = []

    print("Operations per second (median of measured iterations; err = JMH 99.9% error / mean)")
    head = f"{'benchmark':<10} {'keys':>10} " + " ".join(f"{s:>14} {'err':>5}" for s in stores) + f" {'hashdir/best peer':>18}"
    print(head)
    for keys in sizes:
        for bench in BENCHMARKS:
            values, cells = {}, []
            for s in stores:
                row = rows.get((bench, keys, s))
                values[s] = row["median"] if row else None
                err = f"{row['err_pct']:.0f}%" if row and row["err_pct"] is not None else "-"
                cells.append(f"{fmt_ops(values[s]):>14} {err:>5}")
            if not any(values.values()):
                continue
            text, r = ratio_cell(values)
            if r is not None and bench in TARGETS:
                verdicts.append((bench, keys, r, TARGETS[bench]))
            print(f"{bench:<10} {keys:>10} " + " ".join(cells) + f" {text:>18}")
        # the preload, empty to `keys`, is an insert-throughput figure too
        values, cells = {}, []
        for s in stores:
            samples = loads.get((keys, s))
            values[s] = statistics.median(keys / l[0] for l in samples) if samples else None
            cells.append(f"{fmt_ops(values[s]):>14} {len(samples) if samples else 0:>4}x")
        if any(values.values()):
            text, r = ratio_cell(values)
            if r is not None:
                verdicts.append(("load", keys, r, TARGETS["load"]))
            print(f"{'load':<10} {keys:>10} " + " ".join(cells) + f" {text:>18}")
    print("(load: pairs/s inserting from empty to `keys`, median over the trials' preloads, Nx = how many)")

    print()
    print("Space after the load (median over trials): bytes on disk per (key, value) pair; the store's own")
    print("cache in MiB after the load and at the end of the trials (after the measured operations)")
    print(f"{'store':<8} {'keys':>10} {'B/pair':>8} {'cache MiB':>10} {'at end':>8} {'settle s':>9}")
    for keys in sizes:
        for s in stores:
            samples = loads.get((keys, s))
            if not samples:
                continue
            per_pair = statistics.median(l[2] for l in samples) / keys
            cache = statistics.median(l[3] for l in samples)
            cache_text = "OS cache" if cache < 0 else f"{cache / 2**20:.0f}"
            ends = end_cache.get((keys, s))
            end_text = "-" if not ends or max(ends) < 0 else f"{max(ends) / 2**20:.0f}"
            print(f"{s:<8} {keys:>10} {per_pair:>8.1f} {cache_text:>10} {end_text:>8} {statistics.median(l[1] for l in samples):>9.1f}")
            print(f"{'':<8} {'':>10} {detail[(keys, s)]}")
            if s == "hashdir":
                verdicts.append(("bytes/pair", keys, per_pair, BYTES_TARGET))
                if cache >= 0:
                    print(f"{'':<8} {'':>10} page cache: {cache / keys:.1f} B per key")

    print()
    print("Heap allocation, bytes per operation: the benchmark thread's own, counted over the measured iterations")
    print("(-prof gc's gc.alloc.rate.norm, which counts every thread and JMH's own objects, is in the JSON and the log)")
    print(f"{'benchmark':<10} {'keys':>10} " + " ".join(f"{s:>10}" for s in stores))
    for keys in sizes:
        for bench in BENCHMARKS:
            cells = []
            for s in stores:
                v = alloc.get((bench, keys, s))
                cells.append(f"{'-' if v is None else f'{v:.3f}':>10}")
                if s == "hashdir" and v is not None and bench in ("getHit", "put"):
                    verdicts.append((f"alloc {bench}", keys, v, 0.0))
            print(f"{bench:<10} {keys:>10} " + " ".join(cells))

    print()
    for s in stores:
        if s in describe:
            print(f"{s}: {describe[s]}")

    if verdicts:
        print()
        print("Targets (hashdir):")
        for what, keys, value, target in verdicts:
            if what.startswith("alloc"):
                ok = value < 0.01
                print(f"  {what:<14} {keys:>10}: {value:.3f} B/op (target 0)  {'met' if ok else 'NOT met'}")
            elif what == "bytes/pair":
                ok = value <= target
                print(f"  {what:<14} {keys:>10}: {value:.1f} B (target <= {target:.0f})  {'met' if ok else 'NOT met'}")
            else:
                ok = value >= target
                print(f"  {what:<14} {keys:>10}: {value:.2f}x the faster peer (target >= {target}x)  {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
