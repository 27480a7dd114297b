#!/bin/sh
# Benchmarks (not tests): wrk against the real server and against the baseline
# (the same HTTP library returning the same bytes from memory), in one session.
# Writes the figures to stdout; docs/benchmarks.md records them.
#   DURATION=10 CONNS=64 THREADS=2 bench/run.sh
set -eu
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
DB=${BENCH_DB:-build/bench-db}
PF=18090; PB=18091
BIN=bin/followd
mkdir -p build
cc -O2 -std=gnu11 -DH2O_USE_LIBUV=0 bench/baseline.c -o build/baseline $(pkg-config --cflags --libs libh2o-evloop libssl libcrypto) -lpthread
[ -d "$DB" ] || mkdir -p "$DB"
CREDS=$($BIN demo --db "$DB" --json --users ${USERS:-30000})
val() { echo "$CREDS" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
BEARER=$(val bearer_token); CELEB=$(val celebrity_user_id)
$BIN serve --db "$DB" --listen 127.0.0.1:$PF --threads "$THREADS" --rate-limits off >/dev/null 2>build/bench-serve.log &
FPID=$!
trap 'kill $FPID ${BPID:-} 2>/dev/null || true' EXIT
sleep 1
URL100="http://127.0.0.1:$PF/2/users/$CELEB/followers?max_results=100"
URL1000="http://127.0.0.1:$PF/2/users/$CELEB/followers?max_results=1000"
curl -s -H "Authorization: Bearer $BEARER" "$URL100" > build/bench-body100.json
curl -s -H "Authorization: Bearer $BEARER" "$URL1000" > build/bench-body1000.json
export FOLLOWD_TOKEN="$BEARER"

run() { # name url
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/bearer.lua "$2")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  echo "$1: $rps req/s, p99 $p99"
}
echo "== followd (threads=$THREADS, wrk -t$THREADS -c$CONNS -d${DURATION}s), body $(wc -c < build/bench-body100.json) / $(wc -c < build/bench-body1000.json) bytes"
run "followers page of 100" "$URL100"
run "followers page of 1000" "$URL1000"
$BIN serve --db "$DB" --listen 127.0.0.1:$((PF + 2)) --threads "$THREADS" --rate-limits off --response-cache off >/dev/null 2>&1 &
NPID=$!
sleep 1
run "followers page of 100, response cache off" "http://127.0.0.1:$((PF + 2))/2/users/$CELEB/followers?max_results=100"
run "followers page of 1000, response cache off" "http://127.0.0.1:$((PF + 2))/2/users/$CELEB/followers?max_results=1000"
kill $NPID; wait $NPID 2>/dev/null || true

build/baseline $PB "$THREADS" build/bench-body100.json & BPID=$!
sleep 0.5
run "baseline, same 100-user bytes" "http://127.0.0.1:$PB/"
kill $BPID; wait $BPID 2>/dev/null || true
build/baseline $PB "$THREADS" build/bench-body1000.json & BPID=$!
sleep 0.5
run "baseline, same 1000-user bytes" "http://127.0.0.1:$PB/"
kill $BPID; wait $BPID 2>/dev/null || true
BPID=

# Durable follows (every write is committed with fsync before its answer): bench/follow.lua with 8 new writer
# users (new per run, so round 0 only follows) over the celebrity's followers; bench/follows.sh does the same on
# an imported graph at several connection counts.
curl -s -H "Authorization: Bearer $BEARER" "http://127.0.0.1:$PF/2/users/$CELEB/followers?max_results=1000" |
  /usr/bin/python3 -c "import json,sys; [print(u['id']) for u in json.load(sys.stdin)['data']]" > build/bench-targets.txt
: > build/bench-writers.txt
for i in 1 2 3 4 5 6 7 8; do
  id=$($BIN user add --db "$DB" --username "bw$$x$i" --name "Bench writer $i")
  printf '%s\t%s\n' "$id" "$($BIN token user --db "$DB" --app "$(val app_id)" --user "$id")" >> build/bench-writers.txt
done
out=$(FOLLOWD_WRITERS=build/bench-writers.txt FOLLOWD_TARGETS=build/bench-targets.txt FOLLOWD_THREADS="$THREADS" \
      wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/follow.lua "http://127.0.0.1:$PF")
echo "durable follow/unfollow writes: $(echo "$out" | awk '/Requests\/sec/ {print $2}') req/s, p99 $(echo "$out" | awk '$1=="99%" {print $2}')"
echo "$out" | grep -E "Non-2xx|Socket errors" || true
$BIN check --db "$DB"
