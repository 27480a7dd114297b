#!/bin/sh
# Durable follows through HTTP (a benchmark, not a test): a generated graph imported with followd import,
# 64 writer users with OAuth 2.0 user tokens, and bench/follow.lua (every request a real follow or unfollow,
# committed before its response) at each connection count, against this build and, when BEFORE names an
# older binary, against that one in the same run (alternating per connection count, each on a fresh copy of one database).
#   GRAPH=/work/graphs/NAME CONNS_LIST="64 256 1024" DURATION=10 [BEFORE=old/followd] bench/follows.sh
# GRAPH is a bench/gen-graph.py directory; the database is built once in $W/db (W=build/follows).
set -eu
cd "$(dirname "$0")/.."
GRAPH=${GRAPH:?a bench/gen-graph.py output directory}
CONNS_LIST=${CONNS_LIST:-64 256 1024}
DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
W=${W:-build/follows}
BIN=${BIN:-bin/followd}
PORT=${PORT:-18731}
PY=/usr/bin/python3
mkdir -p "$W"
if [ ! -f "$W/db/data.mdb" ]; then
  rm -rf "$W/db"
  $BIN import --db "$W/db" --users "$GRAPH/users.jsonl" --tweets "$GRAPH/tweets.jsonl" --follows "$GRAPH/follows.csv" \
    2>&1 | tail -1
  APP=$($BIN app create --db "$W/db" --name follows --project follows --access-level enterprise >/dev/null && $BIN app list --db "$W/db" | awk 'NR==1 {print $1}')
  : >"$W/writers.txt"
  for i in $(seq 1 64); do
    id=$($BIN user add --db "$W/db" --username "fwriter$i" --name "Writer $i")
    printf '%s\t%s\n' "$id" "$($BIN token user --db "$W/db" --app "$APP" --user "$id")" >>"$W/writers.txt"
  done
  # 2,000 public accounts spread over the graph: 64 x 2,000 pairs, so a round outlasts any run's connections
  $PY -c "
import json, sys
ids = [u['id'] for u in map(json.loads, open('$GRAPH/users.jsonl')) if not u.get('protected')]
print('\n'.join(ids[::max(1, len(ids) // 2000)][:2000]))" >"$W/targets.txt"
fi
export FOLLOWD_WRITERS="$W/writers.txt" FOLLOWD_TARGETS="$W/targets.txt" FOLLOWD_THREADS="$THREADS"

SPID=
trap '[ -n "$SPID" ] && kill $SPID 2>/dev/null || true' EXIT
# one NAME BINARY CONNS: a server on a fresh copy of the database (so round 0 of follow.lua only
# follows and round 1 only unfollows), one wrk run, one result line.
one() {
  rm -rf "$W/run"; cp -a "$W/db" "$W/run"; sync "$W/run/data.mdb" # nothing of the copy left to write back during the run
  $2 serve --db "$W/run" --listen 127.0.0.1:$PORT --threads "$THREADS" --rate-limits off >/dev/null 2>"$W/serve.log" &
  SPID=$!
  sleep 1
  out=$(wrk -t"$THREADS" -c"$3" -d"${DURATION}s" --latency -s bench/follow.lua "http://127.0.0.1:$PORT")
  kill $SPID; wait $SPID 2>/dev/null || true
  SPID=
  printf '%-8s c=%-5s %10s follows/s  p50 %8s  p99 %8s  %s\n' "$1" "$3" \
    "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" "$(echo "$out" | awk '$1=="50%" {print $2}')" \
    "$(echo "$out" | awk '$1=="99%" {print $2}')" "$(echo "$out" | grep -E 'Non-2xx|Socket errors' | tr '\n' ' ')"
}
echo "== durable follows, $(wc -l <"$W/targets.txt") targets x $(wc -l <"$W/writers.txt") writers, wrk -t$THREADS -d${DURATION}s, load $(cut -d' ' -f1-3 /proc/loadavg)"
for c in $CONNS_LIST; do
  [ -n "${BEFORE:-}" ] && one before "$BEFORE" "$c"
  one now "$BIN" "$c"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
$BIN check --db "$W/run"
rm -rf "$W/run"
