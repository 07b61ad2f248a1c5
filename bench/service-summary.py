#!/usr/bin/env python3
"""Summary of bench/service.sh: medians over runs, ratios against Redis, a verdict per issue-5 target.

    service-summary.py RESULTS.txt   (prints markdown)
"""
import re
import statistics
import sys


def load(path, kind="RESULT"):
    rows = []
    for line in open(path):
        if line.startswith(kind + " "):
            rows.append(dict(p.split("=", 1) for p in line.split()[1:] if "=" in p))
    return rows


def pick(rows, label, target="hashdir"):
    return [r for r in rows if r.get("label") == label and r.get("target") == target]


def med(rs, field):
    vals = [float(r[field]) for r in rs if field in r]
    return statistics.median(vals) if vals else float("nan")


def fmt(v, unit=""):
    if v != v:
        return "-"
    if unit == "us":
        return f"{v / 1000:.2f} ms" if v >= 1000 else f"{v:.0f} us"
    return f"{v:,.0f}"


def main():
    rows = load(sys.argv[1])
    out = []
    labels = {r["label"] for r in rows}

    puts = sorted((l for l in labels if l.startswith("put-")), key=lambda l: [int(x) for x in l[4:].split("x")])
    if puts:
        out += ["### Durable put throughput (closed loop, 100% put to fresh keys)", "",
                "| conns x window | hashdir sync put/s | Redis always put/s | ratio of medians | ratios per run | hashdir p99 | Redis p99 | hashdir server CPU | Redis CPU | loadgen CPU h/R |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        best = 0
        for l in puts:
            h, r = pick(rows, l), pick(rows, l, "redis")
            ratio = med(h, "throughput") / med(r, "throughput")
            best = max(best, ratio)
            per = [float(a["throughput"]) / float(b["throughput"]) for a, b in zip(h, r)]
            out.append(f"| {l[4:]} | {fmt(med(h, 'throughput'))} | {fmt(med(r, 'throughput'))} | {ratio:.2f} | "
                       f"{', '.join(f'{x:.2f}' for x in per)} | {fmt(med(h, 'p99_us'), 'us')} | {fmt(med(r, 'p99_us'), 'us')} | "
                       f"{med(h, 'server_cpu_pct'):.0f}% | {med(r, 'server_cpu_pct'):.0f}% | "
                       f"{med(h, 'loadgen_cpu_pct'):.0f}% / {med(r, 'loadgen_cpu_pct'):.0f}% |")
        out += ["", f"Target: at least 1.5x Redis. Best ratio of medians {best:.2f}: "
                    + ("**met**" if best >= 1.5 else "**missed**"), ""]
        stores = load(sys.argv[1], "STORE")
        if stores:
            mib = lambda r, f: f"{int(r[f]) / 2**20:,.0f} MiB"
            out += ["Stores after each round (both servers start empty every round):", "",
                    "| round | hashdir keys | Redis keys | Redis used_memory | hashdir RSS | Redis RSS |",
                    "|---|---|---|---|---|---|"]
            out += [f"| {r['round']} | {int(r['hashdir_keys']):,} | {int(r['redis_keys']):,} | {mib(r, 'redis_used_memory')} | "
                    f"{mib(r, 'hashdir_rss')} | {mib(r, 'redis_rss')} |" for r in stores]
            out.append("")

    if "rtt-put" in labels:
        out += ["### Single-client round trip (closed loop, 1 connection, window 1)", "",
                "| op | hashdir p50 | Redis p50 | hashdir p99 | Redis p99 | hashdir ops/s | Redis ops/s | verdict (p50 <= Redis) |",
                "|---|---|---|---|---|---|---|---|"]
        for l in ("rtt-put", "rtt-get"):
            h, r = pick(rows, l), pick(rows, l, "redis")
            ok = med(h, "p50_us") <= med(r, "p50_us")
            out.append(f"| {l[4:]} | {fmt(med(h, 'p50_us'), 'us')} | {fmt(med(r, 'p50_us'), 'us')} | "
                       f"{fmt(med(h, 'p99_us'), 'us')} | {fmt(med(r, 'p99_us'), 'us')} | {fmt(med(h, 'throughput'))} | "
                       f"{fmt(med(r, 'throughput'))} | {'met' if ok else '**missed**'} |")
        out.append("")

    if "half-redis-max" in labels:
        rm, hm = pick(rows, "max-mix", "redis"), pick(rows, "max-mix")
        h, r = pick(rows, "half-redis-max"), pick(rows, "half-redis-max", "redis")
        rate = h[0]["rate"] if h else "?"
        out += ["### Latency at half of Redis's maximum rate (mix 50:25:25 put:get:contains, 4 connections)", "",
                f"Max rate, closed loop 4 x 64: Redis {fmt(med(rm, 'throughput'))}/s, hashdir {fmt(med(hm, 'throughput'))}/s. "
                f"Open loop at {rate}/s:", "",
                "| target | p50 | p90 | p99 | p99.9 | achieved/s | server CPU | loadgen CPU |", "|---|---|---|---|---|---|---|---|"]
        for name, rs in (("hashdir", h), ("Redis", r)):
            out.append(f"| {name} | {fmt(med(rs, 'p50_us'), 'us')} | {fmt(med(rs, 'p90_us'), 'us')} | "
                       f"{fmt(med(rs, 'p99_us'), 'us')} | {fmt(med(rs, 'p999_us'), 'us')} | {fmt(med(rs, 'throughput'))} | "
                       f"{med(rs, 'server_cpu_pct'):.0f}% | {med(rs, 'loadgen_cpu_pct'):.0f}% |")
        ok = med(h, "p99_us") <= med(r, "p99_us")
        out += ["", f"Target: hashdir p99 no higher than Redis's: {'met' if ok else '**missed**'} "
                    f"(p99 per run, hashdir: {', '.join(x['p99_us'] for x in h)} us; Redis: {', '.join(x['p99_us'] for x in r)} us)", ""]

    ctl = sorted({l for l in labels if l.startswith("ctl-")})
    if ctl:
        settings = []
        for l in ctl:
            s = l[4:l.rindex("-")]
            if s not in settings:
                settings.append(s)
        settings.sort(key=lambda s: (s != "adaptive", s))
        levels = sorted({int(l[l.rindex("-") + 1:]) for l in ctl})
        mx = pick(rows, "max-put")
        out += ["### Batch controller: adaptive vs fixed (max batch / max wait us), open loop 100% put, 4 connections", "",
                f"hashdir max put rate (closed loop 4 x 64, adaptive): median {fmt(med(mx, 'throughput'))}/s, slowest run "
                f"{fmt(min((float(r['throughput']) for r in mx), default=float('nan')))}/s (the levels' base).", "",
                "| setting | " + " | ".join(f"{p}%: p50 / p99 / achieved" for p in levels) + " |",
                "|---|" + "---|" * len(levels)]
        p99 = {}
        for s in settings:
            cells = []
            for p in levels:
                rs = pick(rows, f"ctl-{s}-{p}")
                p99[(s, p)] = med(rs, "p99_us")
                cells.append(f"{fmt(med(rs, 'p50_us'), 'us')} / {fmt(med(rs, 'p99_us'), 'us')} / {fmt(med(rs, 'throughput'))}")
            out.append(f"| {s} | " + " | ".join(cells) + " |")
        fixed = [s for s in settings if s != "adaptive"]
        verdicts = []
        within = True
        for p in levels:
            best = min(p99[(s, p)] for s in fixed)
            a = p99[("adaptive", p)]
            ok = a <= 1.10 * best
            within &= ok
            verdicts.append(f"{p}%: adaptive p99 {fmt(a, 'us')} vs best fixed {fmt(best, 'us')} ({a / best:.2f}x) {'ok' if ok else 'over 10%'}")
        dominated = all(any(p99[(s, p)] > p99[("adaptive", p)] for p in levels) for s in fixed)
        beaten = [s for s in fixed if not any(p99[(s, p)] > p99[("adaptive", p)] for p in levels)]
        out += ["", "Target: adaptive within 10% of the best fixed setting (p99) at each level: "
                + ("**met**" if within else "**missed**") + "; " + "; ".join(verdicts) + ".",
                "Every fixed setting worse than adaptive at some level: " + ("**yes**" if dominated else
                "**no** (never worse: " + ", ".join(beaten) + ")"), ""]

    steal = {}
    for r in rows:
        if "steal_pct" in r:
            l = r["label"]
            phase = ("throughput" if l.startswith("put-") else "rtt" if l.startswith("rtt-")
                     else "latency" if l in ("max-mix", "half-redis-max") else "controller")
            steal.setdefault(phase, []).append(float(r["steal_pct"]))
    if steal:
        out += ["### The machine: CPU time taken by other guests (steal) during the measuring windows", "",
                "| phase | median | min | max | runs |", "|---|---|---|---|---|"]
        out += [f"| {p} | {statistics.median(v):.1f}% | {min(v):.1f}% | {max(v):.1f}% | {len(v)} |" for p, v in steal.items()]
        out.append("")

    print("\n".join(out))


if __name__ == "__main__":
    main()
