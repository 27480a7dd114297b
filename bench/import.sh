#!/bin/sh
# followd import into an empty LMDB database (a benchmark, not a test; issue 13): generates the graph with
# bench/gen-graph.py if it is not there yet, imports users, tweets and follows with the release build, and
# prints each phase's line (plain lines: stderr is not a terminal), then wall and CPU time, edges/s and peak RSS.
#
#   USERS=1000000 EDGES=10000000 bench/import.sh          # ~9.8 M edges after de-duplication
#   USERS=10000000 EDGES=100000000 bench/import.sh        # gen-graph's full size (~8 GB of files, ~15 GB database)
#   GRAPH=DIR DB=DIR bench/import.sh                      # where the graph is kept and the database is written
set -eu
cd "$(dirname "$0")/.."
USERS=${USERS:-1000000}
EDGES=${EDGES:-10000000}
SEED=${SEED:-1}
GRAPH=${GRAPH:-build/imp/graph-$USERS-$EDGES}
DB=${DB:-build/imp/db-$USERS-$EDGES}
MAX=${MAX:-64G}
make -s bin/followd
if [ ! -s "$GRAPH/follows.csv" ]; then
    mkdir -p "$GRAPH"
    /usr/bin/python3 bench/gen-graph.py --out "$GRAPH" --users "$USERS" --edges "$EDGES" --seed "$SEED" >/dev/null
fi
rm -rf "$DB"
T=$(mktemp)
trap 'rm -f "$T"' EXIT
/usr/bin/time -f "%e %U %S %M" -o "$T" bin/followd import --db "$DB" --db-max-size "$MAX" \
    --users "$GRAPH/users.jsonl" --tweets "$GRAPH/tweets.jsonl" --follows "$GRAPH/follows.csv" 2>&1 | cat
N=$(($(wc -l < "$GRAPH/follows.csv")))
read -r WALL USR SYS RSS < "$T"
awk -v n="$N" -v w="$WALL" -v u="$USR" -v s="$SYS" -v r="$RSS" -v d="$(du -sh "$DB" | cut -f1)" 'BEGIN {
    printf "edges %d: wall %.1f s, CPU %.1f s (user %.1f + sys %.1f), %.2f M edges/s wall, %.2f M edges/s of CPU\n",
        n, w, u + s, u, s, n / w / 1e6, n / (u + s) / 1e6
    printf "peak RSS %.0f MiB (%.0f bytes per edge), database %s, load average %s\n", r / 1024, r * 1024 / n, d,
        "'"$(cut -d' ' -f1-3 /proc/loadavg)"'"
}'
