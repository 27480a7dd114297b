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
import collections
import csv
import json
import os
import sys
import urllib.request


def main():
    graph, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    edges = []
    with open(os.path.join(graph, "follows.csv")) as f:
        for i, row in enumerate(csv.reader(f)):
            edges.append((row[2] if len(row) > 2 else "", i, int(row[0]), int(row[1])))
    edges.sort()  # import's order: created_at, then file order
    followers = collections.Counter(d for _, _, _, d in edges)
    users = []
    with open(os.path.join(graph, "users.jsonl")) as f:
        for line in f:
            u = json.loads(line)
            users.append((int(u["id"]), u["username"], u["name"], u.get("protected", False)))
    # Protected accounts' lists are private to app-only callers: rank only public users.
    public = [u for u in users if not u[3]]
    ranked = sorted(public, key=lambda u: (-followers.get(u[0], 0), u[0]))
    with open(os.path.join(out, "ranks.txt"), "w") as f:
        f.writelines(f"{u[0]}\n" for u in ranked)
    with open(os.path.join(out, "pg_ranks.csv"), "w") as f:
        f.writelines(f"{r + 1},{u[0]}\n" for r, u in enumerate(ranked))
    with open(os.path.join(out, "pg_users.csv"), "w") as f:
        w = csv.writer(f)
        for u in users:
            w.writerow(u[:3])
    with open(os.path.join(out, "pg_followers.csv"), "w") as f:
        f.writelines(f"{d},{seq + 1},{s}\n" for seq, (_, _, s, d) in enumerate(edges))
    if len(sys.argv) < 4:
        return
    url, bearer = sys.argv[3], sys.argv[4]
    deep = []
    for uid, _, _, _ in ranked[:200]:
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
