#!/usr/bin/env python3
"""Summary of bench/peers.sh runs: reads jmh.json and loads.tsv in each RESULTS_DIR, prints tables.

    python3 bench/peers-summary.py RESULTS_DIR [RESULTS_DIR ...]

One directory: ops/s are medians over the measured iterations of every fork (the machine is noisy, a
median is steadier than JMH's mean); "err" is JMH's 99.9% error as a percentage of its mean.
Several directories (repeated runs): ops/s are the medians of the runs' medians, "err" becomes the
spread of the runs' medians ((max - min) / median), and the ratio is the median of the per-run
ratios, each ratio taken within one run (hashdir and its peers measured minutes apart), with the
smallest and largest per-run ratio beside it. Ratios are hashdir over the faster of LMDB and RocksDB.
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


class Run:
    """One results directory."""

    def __init__(self, path):
        self.ops = {}                       # (benchmark, keys, store) -> median ops/s
        self.err = {}                       # same key -> JMH error, % of the mean
        self.loads = defaultdict(list)      # (keys, store) -> [(load_s, settle_s, bytes, cache)]
        self.alloc = {}                     # (benchmark, keys, store) -> B/op of the benchmark thread
        self.end_cache = defaultdict(list)  # (keys, store) -> [cache bytes at the end of a trial]
        self.describe = {}
        self.detail = {}
        self._read_jmh(path / "jmh.json")
        self._read_loads(path / "loads.tsv")

    def _read_jmh(self, path):
        for entry in json.loads(path.read_text()):
            key = (entry["benchmark"].rsplit(".", 1)[1], int(entry["params"]["keys"]), entry["params"]["store"])
            metric = entry["primaryMetric"]
            samples = [ops_per_second(v, metric["scoreUnit"]) for fork in metric["rawData"] for v in fork]
            self.ops[key] = statistics.median(samples)
            err = metric.get("scoreError")
            if isinstance(err, (int, float)) and err == err and metric["score"]:
                self.err[key] = 100.0 * err / metric["score"]

    def _read_loads(self, path):
        if not path.exists():
            return
        for line in path.read_text().splitlines():
            f = line.split("\t")
            if f[0] == "load":
                store, keys = f[1], int(f[2])
                self.loads[(keys, store)].append((float(f[4]), float(f[5]), int(f[6]), int(f[7])))
                self.describe[store] = f[8]
                self.detail[(keys, store)] = f[9]
            elif f[0] == "end":
                self.end_cache[(int(f[2]), f[1])].append(int(f[4]))
            elif f[0] == "alloc" and int(f[4]) > 0:
                self.alloc[(f[3], int(f[2]), f[1])] = int(f[5]) / int(f[4])

    def load_rate(self, keys, store):
        samples = self.loads.get((keys, store))
        return statistics.median(keys / s[0] for s in samples) if samples else None


def ratio(values):
    own = values.get("hashdir")
    peers = [values[p] for p in PEERS if values.get(p)]
    return own / max(peers) if own and peers else None


def fmt_ops(v):
    return "-" if v is None else f"{v:,.0f}"


def main():
    runs = [Run(Path(p)) for p in sys.argv[1:]]
    if not runs:
        sys.exit("usage: peers-summary.py RESULTS_DIR [RESULTS_DIR ...]")
    several = len(runs) > 1
    cells = set().union(*(r.ops for r in runs))
    load_cells = set().union(*(r.loads for r in runs))
    stores = [s for s in ORDER if any(k[2] == s for k in cells) or any(k[1] == s for k in load_cells)]
    sizes = sorted({k[1] for k in cells} | {k[0] for k in load_cells})
    verdicts = []

    if several:
        print(f"Operations per second: median over {len(runs)} runs of each run's median; spread = (max - min) / median")
        print("of the runs' medians; ratio = median of the per-run ratios [smallest .. largest]")
    else:
        print("Operations per second (median of measured iterations; err = JMH 99.9% error / mean)")
    print(f"{'benchmark':<10} {'keys':>10} " + " ".join(f"{s:>14} {'sprd' if several else 'err':>5}" for s in stores)
          + f" {'hashdir/best peer':>24}")

    def row(bench, keys, per_run_values, note):
        line = []
        medians = {}
        for s in stores:
            vals = [v[s] for v in per_run_values if v.get(s)]
            medians[s] = statistics.median(vals) if vals else None
            line.append(f"{fmt_ops(medians[s]):>14} {note(s, vals):>5}")
        if not any(medians.values()):
            return
        ratios = [r for r in (ratio(v) for v in per_run_values) if r is not None]
        text = "-"
        if ratios:
            r = statistics.median(ratios)
            text = f"{r:.2f}" + (f" [{min(ratios):.2f}..{max(ratios):.2f}]" if several else "")
            if bench in TARGETS:
                verdicts.append((bench, keys, r, TARGETS[bench], min(ratios), max(ratios)))
        print(f"{bench:<10} {keys:>10} " + " ".join(line) + f" {text:>24}")

    for keys in sizes:
        for bench in BENCHMARKS:
            per_run = [{s: r.ops.get((bench, keys, s)) for s in stores} for r in runs]

            def note(s, vals, bench=bench, keys=keys):
                if several:
                    return f"{100 * (max(vals) - min(vals)) / statistics.median(vals):.0f}%" if len(vals) > 1 else "-"
                e = runs[0].err.get((bench, keys, s))
                return "-" if e is None else f"{e:.0f}%"
            row(bench, keys, per_run, note)
        per_run = [{s: r.load_rate(keys, s) for s in stores} for r in runs]
        counts = {s: sum(len(r.loads.get((keys, s), [])) for r in runs) for s in stores}
        row("load", keys, per_run, lambda s, vals: f"{counts[s]}x")
    print("(load: pairs/s inserting from empty to `keys`, median over each run's preloads, Nx = preloads in all)")

    print()
    print("Space after the load (median over all trials): bytes on disk per (key, value) pair; the store's")
    print("own cache in MiB after the load and at the end of the trials (after the measured operations)")
    print(f"{'store':<8} {'keys':>10} {'B/pair':>8} {'cache MiB':>10} {'at end':>8} {'settle s':>9}")
    for keys in sizes:
        for s in stores:
            samples = [x for r in runs for x in r.loads.get((keys, s), [])]
            if not samples:
                continue
            per_pair = statistics.median(x[2] for x in samples) / keys
            cache = statistics.median(x[3] for x in samples)
            ends = [x for r in runs for x in r.end_cache.get((keys, s), [])]
            cache_text = "OS cache" if cache < 0 else f"{cache / 2**20:.0f}"
            end_text = "-" if not ends or max(ends) < 0 else f"{max(ends) / 2**20:.0f}"
            settle = statistics.median(x[1] for x in samples)
            print(f"{s:<8} {keys:>10} {per_pair:>8.1f} {cache_text:>10} {end_text:>8} {settle:>9.1f}")
            print(f"{'':<8} {'':>10} {runs[-1].detail.get((keys, s), '')}")
            if s == "hashdir":
                verdicts.append(("bytes/pair", keys, per_pair, BYTES_TARGET, per_pair, per_pair))
                if cache >= 0:
                    print(f"{'':<8} {'':>10} page cache: {cache / keys:.1f} B per key")

    print()
    print("Heap allocation, bytes per operation: the benchmark thread's own over the measured iterations")
    print("(largest over the runs; -prof gc's gc.alloc.rate.norm, counting every thread and JMH's own, is in the JSON)")
    print(f"{'benchmark':<10} {'keys':>10} " + " ".join(f"{s:>10}" for s in stores))
    for keys in sizes:
        for bench in BENCHMARKS:
            line = []
            for s in stores:
                vals = [r.alloc[(bench, keys, s)] for r in runs if (bench, keys, s) in r.alloc]
                v = max(vals) if vals else None
                line.append(f"{'-' if v is None else f'{v:.3f}':>10}")
                if s == "hashdir" and v is not None and bench in ("getHit", "put"):
                    verdicts.append((f"alloc {bench}", keys, v, 0.0, v, v))
            print(f"{bench:<10} {keys:>10} " + " ".join(line))

    print()
    describe = {}
    for r in runs:
        describe.update(r.describe)
    for s in stores:
        if s in describe:
            print(f"{s}: {describe[s]}")

    if verdicts:
        print()
        print("Targets (hashdir):")
        for what, keys, value, target, low, high in verdicts:
            if what.startswith("alloc"):
                # 0.01 B/op: the per-iteration bookkeeping of JMH's single-shot loop alone is ~0.006
                ok = value < 0.01
                print(f"  {what:<14} {keys:>10}: {value:.3f} B/op (target 0)  {'met' if ok else 'NOT met'}")
            elif what == "bytes/pair":
                ok = value <= target
                print(f"  {what:<14} {keys:>10}: {value:.1f} B (target <= {target:.0f})  {'met' if ok else 'NOT met'}")
            else:
                ok = value >= target
                spread = f" (runs {low:.2f}..{high:.2f})" if several else ""
                print(f"  {what:<14} {keys:>10}: {value:.2f}x the faster peer{spread} (target >= {target}x)  "
                      f"{'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
