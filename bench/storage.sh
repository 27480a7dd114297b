#!/bin/sh
# On-disk size of the graph (issue 13: <= 40 bytes per edge counting both directions and the existence
# index; users' bytes reported). A benchmark, not a test. Generates a bench/gen-graph.py graph, imports
# it with the release build of this tree and (when BEFORE is set) with an older release binary, and
# prints per table the pages mdb_stat -a counts ((branch + leaf + overflow) x page size) as bytes per
# edge (adjacency tables) or bytes per user (user tables), both binaries in the same run.
#
# With PAGES=1 it then serves each database with its own binary and drives both with the workload's
# request generator (bench/workload.lua: Zipf followers and following pages of 100 and 1000, deep pages
# through real tokens, users lookups; no writes), once with the response cache on and once off (every
# request reads the store), alternating binaries, and prints the after/before throughput ratio.
# (bench/workload.sh's BEFORE= serves one database with both binaries, which a schema change rules out.)
#
#   USERS=200000 EDGES=2000000 [BEFORE=/path/to/old/bin/followd] [PAGES=1 DURATION=10] bench/storage.sh
set -eu
cd "$(dirname "$0")/.."
USERS=${USERS:-200000}
EDGES=${EDGES:-2000000}
SEED=${SEED:-1}
W=build/storage
PY=/usr/bin/python3
mkdir -p "$W"
make -s bin/followd
G=$W/graph-$USERS-$EDGES
[ -f "$G/follows.csv" ] || $PY bench/gen-graph.py --out "$G" --users "$USERS" --edges "$EDGES" --seed "$SEED" >/dev/null
NE=$(wc -l <"$G/follows.csv")
NU=$(wc -l <"$G/users.jsonl")

# measure NAME BINARY: import into a fresh database, then one line per table and the totals.
measure() {
  db=$W/db-$1
  rm -rf "$db"
  "$2" import --db "$db" --db-max-size 64G --users "$G/users.jsonl" --tweets "$G/tweets.jsonl" \
    --follows "$G/follows.csv" >/dev/null 2>&1
  mdb_stat -ea "$db" | awk -v name="$1" -v ne="$NE" -v nu="$NU" '
    /^Status of / { t = $3; next }
    /Page size:/ { ps = $3 }
    /Branch pages:/ { b[t] = $3 } /Leaf pages:/ { l[t] = $3 } /Overflow pages:/ { o[t] = $3 }
    /Entries:/ { e[t] = $2 }
    END {
      adj["followers"]; adj["following"]; adj["req_in"]; adj["req_out"]; adj["rel"]
      adj["fol_in"]; adj["fol_out"]; adj["rq_in"]; adj["rq_out"]
      usr["users"]; usr["unames"]; usr["uid"]; usr["uord"]; usr["urec"]
      for (t in b) {
        bytes = (b[t] + l[t] + o[t]) * ps
        if (t in adj) { ea += bytes; printf "%-6s %-10s %12d bytes %7.1f B/edge\n", name, t, bytes, bytes / ne }
        else if (t in usr) { ua += bytes; printf "%-6s %-10s %12d bytes %7.1f B/user\n", name, t, bytes, bytes / nu }
      }
      printf "%-6s ADJACENCY  %12d bytes %7.1f B/edge (%d edges)\n", name, ea, ea / ne, ne
      printf "%-6s USERS      %12d bytes %7.1f B/user (%d users)\n", name, ua, ua / nu, nu
    }'
}
echo "graph: $NU users, $NE edges ($G); $(date -u +%FT%TZ), $(nproc) cores, machine shared"
[ -n "${BEFORE:-}" ] && measure before "$BEFORE"
measure after bin/followd

[ "${PAGES:-}" = 1 ] && [ -n "${BEFORE:-}" ] || exit 0
DURATION=${DURATION:-10}
PORT=${PORT:-18377}
# up: waits until the server answers (or gives up after 10 s).
up() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && return 0; sleep 0.1; done; echo "server did not start" >&2; exit 1; }
# serve NAME BINARY CACHE: the server on NAME's database, then one wrk run; prints req/s.
serve_run() {
  "$2" serve --db "$W/db-$1" --listen 127.0.0.1:$PORT --threads 2 --rate-limits off --response-cache "$3" \
    >/dev/null 2>>"$W/serve.log" &
  spid=$!
  up
  bearer=$(cat "$W/bearer-$1")
  WL_BEARER=$bearer WL_RANKS="$W/ranks.txt" WL_DEEP="$W/deep-$1.txt" WL_WRITERS=/dev/null WL_WRITES=0 \
    WL_SEED=1 WL_THREADS=2 wrk -t2 -c64 -d"${DURATION}s" -s bench/workload.lua "http://127.0.0.1:$PORT" |
    sed -n 's/^WL_RESULT //p' | $PY -c "import json,sys; r=json.load(sys.stdin); print('%.0f %d' % (r['requests']/r['seconds'], r['non2xx']))"
  kill $spid; wait $spid 2>/dev/null || true
}
for n in before after; do
  bin=$BEFORE; [ $n = after ] && bin=bin/followd
  $bin app create --db "$W/db-$n" --name storage --project storage |
    $PY -c "import json,sys; print(json.load(sys.stdin)['bearer_token'])" >"$W/bearer-$n"
  "$bin" serve --db "$W/db-$n" --listen 127.0.0.1:$PORT --threads 2 --rate-limits off >/dev/null 2>>"$W/serve.log" &
  spid=$!
  up
  $PY bench/workload_prep.py "$G" "$W/prep-$n" "http://127.0.0.1:$PORT" "$(cat "$W/bearer-$n")" >/dev/null
  kill $spid; wait $spid 2>/dev/null || true
  cp "$W/prep-$n/deep.txt" "$W/deep-$n.txt"
  cp "$W/prep-$n/ranks.txt" "$W/ranks.txt"
done
for cache in off on; do
  b1=$(serve_run before "$BEFORE" $cache); a1=$(serve_run after bin/followd $cache)
  a2=$(serve_run after bin/followd $cache); b2=$(serve_run before "$BEFORE" $cache)
  echo "$b1 $a1 $a2 $b2" | awk -v c=$cache '{ b = ($1 + $7) / 2; a = ($3 + $5) / 2;
    printf "pages, response cache %-3s: before %.0f %.0f req/s, after %.0f %.0f req/s (non-2xx %d): after/before %.2f\n",
      c, $1, $7, $3, $5, $2 + $4 + $6 + $8, a / b }'
done
