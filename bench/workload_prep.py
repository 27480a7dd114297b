#!/usr/bin/python3
"""Prepares the inputs of bench/workload.sh from a generated graph (bench/gen-graph.py):

  workload_prep.py GRAPH_DIR OUT_DIR [URL BEARER]

  OUT/ranks.txt      user ids, most followed first (the Zipf ranking the wrk script and pgbench share)
  OUT/pg_users.csv, OUT/pg_followers.csv, OUT/pg_ranks.csv
                     the same graph for PostgreSQL's COPY: followers (dst, seq, src) with seq assigned in
                     created_at order exactly as followd's import assigns it
  OUT/deep.txt       with URL and BEARER: "path<TAB>next_token" of real pages 2..20 of the followers lists
                     of popular users, walked through the running server
"""
import csv
import json
import os
import sys
import urllib.request

import numpy as np

from asciicols import ascii_digits


def digits(cols):
    """The numbers written by the (rows, width) uint8 array of ASCII digits cols, or None if one is not a digit."""
    acc = np.zeros(len(cols), np.int64)
    for j in range(cols.shape[1]):
        d = cols[:, j].astype(np.int64) - 48
        if d.size and (d.min() < 0 or d.max() > 9):
            return None
        acc = acc * 10 + d
    return acc


def read_edges_fixed(path):
    """(src, dst, when) int64 arrays of a follows file whose lines all have one width and the shape
    'digits,digits,YYYY-MM-DDTHH:MM:SS.mmmZ' (as bench/gen-graph.py writes it), with when a number that sorts
    as created_at does; None for any other file, which the csv reader then takes. Reading 100 M edges
    through csv and Python tuples needs ~15 GB; this needs ~40 bytes per edge."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        first = f.readline()
    width = len(first)
    if size == 0 or size % width or not first.endswith(b"\n") or first.count(b",") != 2:
        return None
    c1 = first.index(b",")
    c2 = first.index(b",", c1 + 1)
    if width - 1 - (c2 + 1) != 24:
        return None
    rows = np.memmap(path, np.uint8, "r").reshape(-1, width)
    for c, v in ((c1, 44), (c2, 44), (width - 1, 10), (c2 + 5, 45), (c2 + 8, 45), (c2 + 11, 84), (width - 2, 90)):
        if not (rows[:, c] == v).all():
            return None
    src = digits(rows[:, :c1])
    dst = digits(rows[:, c1 + 1:c2])
    t = c2 + 1  # YYYY-MM-DDTHH:MM:SS.mmmZ: the 17 digits in order sort as the time does
    pos = [t + i for i in (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22)]
    when = digits(rows[:, pos])
    if src is None or dst is None or when is None:
        return None
    return src, dst, when


def read_edges_csv(path):
    src, dst, when = [], [], []
    with open(path) as f:
        for row in csv.reader(f):
            src.append(int(row[0]))
            dst.append(int(row[1]))
            when.append(row[2] if len(row) > 2 else "")
    order = sorted(range(len(when)), key=lambda i: when[i])  # stable: file order breaks ties
    return np.array(src, np.int64), np.array(dst, np.int64), np.array(order, np.int64)


def write_rows(path, cols):
    """Writes CSV lines of fixed-width ASCII columns [(int64 array, width), ...] in chunks."""
    n = len(cols[0][0])
    width = sum(w for _, w in cols) + len(cols)
    with open(path, "wb") as f:
        for lo in range(0, n, 4_000_000):
            hi = min(n, lo + 4_000_000)
            line = np.empty((hi - lo, width), np.uint8)
            at = 0
            for v, w in cols:
                line[:, at:at + w] = ascii_digits(v[lo:hi], w)
                line[:, at + w] = 44
                at += w + 1
            line[:, width - 1] = 10
            f.write(line.tobytes())


def prepare(graph, out):
    """Writes ranks.txt and the PostgreSQL inputs; returns the ranked user ids."""
    fixed = read_edges_fixed(os.path.join(graph, "follows.csv"))
    if fixed:
        src, dst, when = fixed
        order = np.argsort(when, kind="stable")  # import's order: created_at, then file order
        del when
    else:
        src, dst, order = read_edges_csv(os.path.join(graph, "follows.csv"))
    fids, fcounts = np.unique(dst, return_counts=True)
    ids, protected = [], []
    with open(os.path.join(graph, "users.jsonl")) as f, open(os.path.join(out, "pg_users.csv"), "w") as fu:
        w = csv.writer(fu)
        for line in f:
            u = json.loads(line)
            ids.append(int(u["id"]))
            protected.append(bool(u.get("protected", False)))
            w.writerow((u["id"], u["username"], u["name"]))
    ids = np.array(ids, np.int64)
    # Protected accounts' lists are private to app-only callers: rank only public users.
    public = ids[~np.array(protected, bool)]
    nf = np.zeros(len(public), np.int64)
    at = np.searchsorted(fids, public)
    hit = (at < len(fids)) & (fids[np.minimum(at, len(fids) - 1)] == public)
    nf[hit] = fcounts[at[hit]]
    ranked = public[np.lexsort((public, -nf))]
    with open(os.path.join(out, "ranks.txt"), "w") as f:
        f.writelines(f"{u}\n" for u in ranked.tolist())
    with open(os.path.join(out, "pg_ranks.csv"), "w") as f:
        f.writelines(f"{r + 1},{u}\n" for r, u in enumerate(ranked.tolist()))
    # followers (dst, seq, src), seq assigned in import order; zero-padded numbers are still numbers to COPY.
    idw = max(1, len(str(int(max(src.max(initial=0), dst.max(initial=0))))))
    seq = np.arange(1, len(order) + 1, dtype=np.int64)
    write_rows(os.path.join(out, "pg_followers.csv"),
               [(dst[order], idw), (seq, len(str(len(order)))), (src[order], idw)])
    del src, dst, order, seq
    return ranked


def main():
    graph, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    stamp = os.path.join(out, "prep.graph")  # the graph the files were made from, written last
    try:
        with open(stamp) as f:
            done = f.read().strip() == os.path.realpath(graph) and \
                os.path.getmtime(stamp) > os.path.getmtime(os.path.join(graph, "follows.csv"))
    except OSError:
        done = False
    if done:  # the files of this graph exist already (100 M edges take minutes): only walk the deep pages
        ranked = np.loadtxt(os.path.join(out, "ranks.txt"), dtype=np.int64, max_rows=200, ndmin=1)
    else:
        ranked = prepare(graph, out)
        with open(stamp, "w") as f:
            f.write(os.path.realpath(graph))
    if len(sys.argv) < 4:
        return
    url, bearer = sys.argv[3], sys.argv[4]
    deep = []
    for uid in ranked[:200].tolist():
        path = f"/2/users/{uid}/followers?max_results=100"
        token = None
        for _ in range(20):
            req = urllib.request.Request(url + path + (f"&pagination_token={token}" if token else ""),
                                         headers={"Authorization": "Bearer " + bearer})
            body = json.load(urllib.request.urlopen(req, timeout=30))
            token = body.get("meta", {}).get("next_token")
            if not token:
                break
            deep.append(f"{path}\t{token}\n")
        if len(deep) >= 2000:
            break
    with open(os.path.join(out, "deep.txt"), "w") as f:
        f.writelines(deep)


if __name__ == "__main__":
    main()
