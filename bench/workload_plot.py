#!/usr/bin/python3
"""Plots a bench/workload.sh run: throughput against the write share (followd's page runs and full mix, with
the same-bytes limit, PostgreSQL and Redis of the same run as reference lines) and the latency CDF of
followd's page runs.

  workload_plot.py build/wl/results.json docs/workload.png [TITLE]
"""
import json
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def rate(r):
    res = r["result"]
    return res["tps"] if "tps" in res else res["requests"] / res["seconds"]


def main():
    runs = json.load(open(sys.argv[1]))
    title = sys.argv[3] if len(sys.argv) > 3 else "bench/workload.sh"
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    series = {"followd: Zipf followers pages of 100": "pages of 100", "followd: full mix": "full mix"}
    for prefix, label in series.items():
        pts = []
        for r in runs:
            m = re.match(re.escape(prefix) + r".*?(\d+)% writes$", r["name"])
            if m:
                pts.append((int(m.group(1)), rate(r)))
        pts.sort()
        if pts:
            ax1.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label="followd, " + label)
    refs = [("h2o same-bytes limit", "same-bytes limit", ":"), ("PostgreSQL 15", "PostgreSQL 15 join", "--"),
            ("Redis 7", "Redis 7 sorted set + Lua", "-.")]
    for prefix, label, style in refs:
        for r in runs:
            if r["name"].startswith(prefix):
                ax1.axhline(rate(r), linestyle=style, color="gray", label=label + " (%.0f/s)" % rate(r))
    ax1.set_xscale("symlog", linthresh=1)
    ax1.set_xticks([0, 1, 10])
    ax1.set_xticklabels(["0%", "1%", "10%"])
    ax1.set_xlabel("share of requests that are follows/unfollows")
    ax1.set_ylabel("requests/s")
    ax1.set_ylim(bottom=0)
    ax1.set_title("throughput")
    ax1.legend(fontsize=8)
    for r in runs:
        lat = r["result"].get("latency_us")
        if not lat or not r["name"].startswith(("followd: Zipf", "followd: same")):
            continue
        qs = sorted(lat, key=float)
        ax2.plot([lat[q] / 1e3 for q in qs], [float(q) for q in qs], marker=".",
                 label=r["name"].replace("followd: Zipf followers pages of 100, ", "pages, ")
                 .replace("followd: same, ", "pages, "))
    ax2.set_xscale("log")
    ax2.set_xlabel("latency (ms)")
    ax2.set_ylabel("percentile")
    ax2.set_title("latency CDF (followd, followers pages of 100)")
    ax2.grid(True, which="both", alpha=0.3)
    ax2.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=100)


main()
