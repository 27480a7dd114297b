#!/bin/sh
# Response cache budget against throughput on the workload (a benchmark, not a test): after a
# bench/workload.sh run has prepared build/wl (its database, ranks, writers and bearer token), serves the same
# database with each `--response-cache` budget in turn, ROUNDS times alternating, and drives each with the
# workload's Zipf followers pages of 100 at WRITES% follows: one unmeasured run to fill the cache, then one
# measured run. Budgets alternate within a round so that the machine's drift falls on all of them alike.
#
#   SIZES="32 256 1024" WRITES=1 ROUNDS=2 DURATION=10 bench/rcache_sizes.sh
set -eu
cd "$(dirname "$0")/.."
W=build/wl
SIZES=${SIZES:-32 256 1024}
WRITES=${WRITES:-1}
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
PF=18193
BIN=bin/followd
[ -s "$W/ranks.txt" ] && [ -s "$W/writers.txt" ] && [ -e "$W/db" ] || { echo "run bench/workload.sh first" >&2; exit 2; }
BEARER=$($BIN app create --db "$W/db" --name rcache-sizes --project rcache-sizes |
         /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['bearer_token'])")
export WL_BEARER="$BEARER" WL_RANKS="$W/ranks.txt" WL_DEEP="$W/deep.txt" WL_WRITERS="$W/writers.txt" \
       WL_SEED=1 WL_THREADS="$THREADS" WL_DEEP_SHARE=0 WL_LOOKUPS=0 WL_PAGE1000=0 WL_FOLLOWING=0
FPID=
trap '[ -n "$FPID" ] && kill $FPID 2>/dev/null || true' EXIT
for r in $(seq 1 "$ROUNDS"); do
  for mb in $SIZES; do
    cat "$W/db/"*.mdb >/dev/null # back into the page cache if something else pushed it out
    $BIN serve --db "$W/db" --listen 127.0.0.1:$PF --threads "$THREADS" --rate-limits off --response-cache "$mb" \
      >/dev/null 2>>"$W/serve.log" &
    FPID=$!
    until curl -s -o /dev/null "http://127.0.0.1:$PF/readyz"; do sleep 0.1; done
    WL_WRITES=$WRITES wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" -s bench/workload.lua "http://127.0.0.1:$PF" >/dev/null
    out=$(WL_WRITES=$WRITES wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" -s bench/workload.lua "http://127.0.0.1:$PF")
    rss=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' /proc/$FPID/status)
    kill $FPID; wait $FPID 2>/dev/null || true
    FPID=
    echo "$out" | sed -n 's/^WL_RESULT //p' | /usr/bin/python3 -c "
import json, sys
r = json.loads(sys.stdin.read()); l = r['latency_us']
print('round %s  --response-cache %5s MB  %s%% writes  %8.0f req/s  p50 %6.2f ms  p99 %7.2f ms  RSS %s MiB  load %s' % (
      '$r', '$mb', '$WRITES', r['requests'] / r['seconds'], l['50'] / 1e3, l['99'] / 1e3, '$rss',
      open('/proc/loadavg').read().split()[0]))"
  done
done
