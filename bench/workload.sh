#!/bin/sh
# The workload benchmark of issue 13 (a benchmark, not a test): a generated power-law graph imported into
# followd, then, side by side in one run on this machine,
#   1. followd under the wrk workload script (bench/workload.lua: Zipf users, followers pages of 100, and a
#      write share of 0%, 1% and 10% follows/unfollows) — the headline configuration —
#   2. the same request generator against the h2o same-bytes limit (bench/baseline.c: the same HTTP library
#      answering a representative followers page of 100 from memory),
#   3. PostgreSQL 15 holding the same graph answering the same page with its best query
#      (an index-only keyset scan of followers (dst, seq DESC) INCLUDE (src) joined to users), driven by
#      pgbench with a Zipf user choice,
#   4. Redis 7 holding the same graph (sorted sets of followers, users as strings) answering the same page
#      with one Lua call (bench/redis_page.lua), driven by redis-benchmark with the same Zipf draw,
#   5. the full mix (following lists, pages of 1000, deep pages through real pagination tokens, users
#      lookups) at the same write shares,
#   and the p50/p99/p99.9 of the 1%-writes pages paced at half of their peak.
# Results: one line per run on stdout, JSON in build/wl/results.json, the plot (throughput against write
# share, latency CDF) in build/wl/workload.png (bench/workload_plot.py; PLOT=docs/workload.png to keep it).
#
#   USERS=200000 EDGES=1600000 DURATION=10 CONNS=64 [BEFORE=old/followd] bench/workload.sh
#   GRAPH=dir DB=dir REDIS=0 bench/workload.sh   # a graph generated elsewhere, its database imported already
#                                                # (reused as it is when DB exists), without the Redis runs
#                                                # (at 100 M edges Redis needs ~10 GB of RAM and an hour to load)
#   SERVE_ARGS="--response-cache 1024" bench/workload.sh   # extra options for every followd serve of the run
# Before the first measured run the database file is read once into the page cache and followd serves one
# unmeasured run of the 0%-writes pages (WARM=0 skips both), so no figure depends on what ran before it.
set -eu
cd "$(dirname "$0")/.."
USERS=${USERS:-200000}
EDGES=${EDGES:-1600000}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
SEED=${SEED:-1}
W=build/wl
PF=18190; PB=18191; PR=18192
BIN=bin/followd
PY=/usr/bin/python3
mkdir -p "$W"
./scripts/deps.sh --bench
make -s bin/followd
cc -O2 -std=gnu11 -DH2O_USE_LIBUV=0 bench/baseline.c -o build/baseline $(pkg-config --cflags --libs libh2o-evloop libssl libcrypto) -lpthread

# The graph, generated once per size and imported into a fresh database.
G=${GRAPH:-$W/graph-$USERS-$EDGES}
[ -f "$G/follows.csv" ] || $PY bench/gen-graph.py --out "$G" --users "$USERS" --edges "$EDGES" --seed "$SEED" >/dev/null
if [ -n "${DB:-}" ] && [ -d "$DB" ]; then
  rm -rf "$W/db" && ln -s "$(realpath "$DB")" "$W/db"
else
  rm -rf "$W/db"
  $BIN import --db "$W/db" --db-max-size 64G --users "$G/users.jsonl" --tweets "$G/tweets.jsonl" --follows "$G/follows.csv" 2>&1 | tail -1
  [ -n "${DB:-}" ] && mv "$W/db" "$DB" && ln -s "$(realpath "$DB")" "$W/db"
fi
BEARER=$($BIN app create --db "$W/db" --name workload --project workload | $PY -c "import json,sys; print(json.load(sys.stdin)['bearer_token'])")
APP=$($BIN app list --db "$W/db" | awk 'NR==1 {print $1}')
: >"$W/writers.txt"
RUN=$(date +%H%M%S)  # writers are new users on every run, also of a reused database
for i in $(seq 1 64); do
  id=$($BIN user add --db "$W/db" --username "wl$RUN$i" --name "Writer $i")
  echo "$id	$($BIN token user --db "$W/db" --app "$APP" --user "$id")" >>"$W/writers.txt"
done
du -sbL "$W/db" | awk -v e="$EDGES" -v u="$USERS" '{printf "database: %.0f bytes (%.1f bytes per edge with users)\n", $1, $1 / e}'

$BIN serve --db "$W/db" --listen 127.0.0.1:$PF --threads "$THREADS" --rate-limits off ${SERVE_ARGS:-} >/dev/null 2>"$W/serve.log" &
FPID=$!
PGDIR=; RDIR=
trap 'kill $FPID ${BPID:-} 2>/dev/null || true; [ -n "$PGDIR" ] && scripts/pg-cluster.sh stop "$PGDIR" || true
      [ -n "$RDIR" ] && { redis-cli -p $PR shutdown nosave >/dev/null 2>&1; rm -rf "$RDIR"; } || true' EXIT
sleep 1
$PY bench/workload_prep.py "$G" "$W" "http://127.0.0.1:$PF" "$BEARER"
NRANKS=$(wc -l <"$W/ranks.txt")
TOP=$(head -1 "$W/ranks.txt")
curl -s -H "Authorization: Bearer $BEARER" "http://127.0.0.1:$PF/2/users/$TOP/followers?max_results=100" >"$W/body100.json"

export WL_BEARER="$BEARER" WL_RANKS="$W/ranks.txt" WL_DEEP="$W/deep.txt" WL_WRITERS="$W/writers.txt" \
       WL_SEED="$SEED" WL_THREADS="$THREADS"
echo '[' >"$W/results.json"
sep=
# run NAME URL [VAR=VALUE ...]: one wrk run of the workload script, one result line and JSON record.
run() {
  name=$1; url=$2; shift 2
  out=$(env "$@" wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" -s bench/workload.lua "$url")
  res=$(echo "$out" | sed -n 's/^WL_RESULT //p')
  echo "$res" | $PY -c "
import json, sys
r = json.loads(sys.stdin.read()); l = r['latency_us']
print('%-58s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  p99.9 %6.2f ms  non-2xx %d' % ('$name', r['requests'] / r['seconds'],
      l['50'] / 1e3, l['99'] / 1e3, l['99.9'] / 1e3, r['non2xx']))"
  echo "$res" | $PY -c "import json, sys; r = json.loads(sys.stdin.read()); print(r['requests'] / r['seconds'])" >"$W/last_rate"
  printf '%s{"name": "%s", "env": "%s", "result": %s}\n' "$sep" "$name" "$*" "$res" >>"$W/results.json"
  sep=,
}
PAGES="WL_DEEP_SHARE=0 WL_LOOKUPS=0 WL_PAGE1000=0 WL_FOLLOWING=0"
if [ "${WARM:-1}" = 1 ]; then
  cat "$W/db/"*.mdb >/dev/null
  env $PAGES WL_WRITES=0 wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" -s bench/workload.lua "http://127.0.0.1:$PF" >/dev/null
fi
for w in 0 10 1; do
  run "followd: Zipf followers pages of 100, $w% writes" "http://127.0.0.1:$PF" $PAGES WL_WRITES=$w
done
# Latency at half of the peak just measured (1% writes): a paced run, its target corrected once from the
# rate the first paced run achieved.
half=$(awk '{printf "%d", $1 / 2}' "$W/last_rate")
run "followd: same, paced at half of peak (target $half req/s)" "http://127.0.0.1:$PF" $PAGES WL_WRITES=1 \
  WL_RATE="$half" WL_CONNS="$CONNS"
adj=$(awk -v h="$half" '{printf "%d", h * h / $1}' "$W/last_rate")
run "followd: same, paced at half of peak (corrected $adj)" "http://127.0.0.1:$PF" $PAGES WL_WRITES=1 \
  WL_RATE="$adj" WL_CONNS="$CONNS"
kill $FPID; wait $FPID 2>/dev/null || true
# BEFORE=path/to/an/older/followd: the same runs against it, on the same database, for a before/after ratio.
if [ -n "${BEFORE:-}" ]; then
  $BEFORE serve --db "$W/db" --listen 127.0.0.1:$PF --threads "$THREADS" --rate-limits off >/dev/null 2>>"$W/serve.log" &
  FPID=$!
  sleep 1
  for w in 0 1 10; do
    run "before ($BEFORE): Zipf followers pages of 100, $w% writes" "http://127.0.0.1:$PF" $PAGES WL_WRITES=$w
  done
  kill $FPID; wait $FPID 2>/dev/null || true
fi
build/baseline $PB "$THREADS" "$W/body100.json" & BPID=$!
sleep 0.5
run "h2o same-bytes limit, same generator ($(wc -c <"$W/body100.json") B body)" "http://127.0.0.1:$PB" $PAGES WL_WRITES=0
kill $BPID; wait $BPID 2>/dev/null || true
BPID=

# PostgreSQL 15: the same graph, the best query for the same page (keyset index scan joined to users).
if [ "${PG:-1}" = 1 ] && [ -x /usr/lib/postgresql/15/bin/initdb ] && command -v pgbench >/dev/null; then
  PGDIR=$(mktemp -d /tmp/followd-wl-pg-XXXXXX)
  rmdir "$PGDIR"
  PGURL=$(scripts/pg-cluster.sh start "$PGDIR")
  chmod -R a+r "$W"/pg_*.csv
  psql -q "$PGURL" <<SQL
CREATE TABLE users (id bigint PRIMARY KEY, username text NOT NULL, name text NOT NULL);
CREATE TABLE followers (dst bigint NOT NULL, seq bigint NOT NULL, src bigint NOT NULL);
CREATE TABLE ranks (rank int PRIMARY KEY, id bigint NOT NULL);
\copy users FROM '$W/pg_users.csv' CSV
\copy followers FROM '$W/pg_followers.csv' CSV
\copy ranks FROM '$W/pg_ranks.csv' CSV
-- The page's best plan is an index-only scan of this covering index joined to users: with a plain
-- (dst, seq) key the planner, estimating the average list length for a parameter, picks a bitmap scan of the
-- whole list and a sort (10x slower on popular users, measured on 2026-12-02).
CREATE UNIQUE INDEX followers_page ON followers (dst, seq DESC) INCLUDE (src);
VACUUM ANALYZE;
SQL
  echo "PostgreSQL 15: $(psql -tA "$PGURL" -c "SELECT count(*) FROM followers") followers rows, $(psql -tA "$PGURL" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")"
  cat >"$W/pg_page.sql" <<SQL
\set r random_zipfian(1, $NRANKS, 1.001)
SELECT u.id, u.name, u.username FROM followers f JOIN users u ON u.id = f.src
 WHERE f.dst = (SELECT id FROM ranks WHERE rank = :r) ORDER BY f.seq DESC LIMIT 100;
SQL
  # As for followd: the load's dirty pages written out first (the cluster runs with fsync off, so after COPY
  # the kernel's writeback would compete with the reads), then one unmeasured run to warm the caches.
  psql -q "$PGURL" -c CHECKPOINT
  sync
  if [ "${WARM:-1}" = 1 ]; then
    pgbench -n -M prepared -c "$CONNS" -j "$THREADS" -T "$DURATION" -f "$W/pg_page.sql" "$PGURL" >/dev/null 2>&1
  fi
  tps=$(pgbench -n -M prepared -c "$CONNS" -j "$THREADS" -T "$DURATION" -f "$W/pg_page.sql" "$PGURL" 2>/dev/null |
        awk '/^tps/ {print $3}')
  printf '%-58s %9.0f req/s\n' "PostgreSQL 15: same pages (pgbench, index scan + join)" "$tps"
  printf ',{"name": "PostgreSQL 15: same pages", "result": {"tps": %s}}\n' "$tps" >>"$W/results.json"
  scripts/pg-cluster.sh stop "$PGDIR"
  PGDIR=
fi

# Redis 7: the same graph as sorted sets and strings (bench/redis_load.py), the same page as one Lua call
# (bench/redis_page.lua), driven by redis-benchmark with the same connections. Redis executes commands on
# one thread, so it uses one of the cores; the client the other.
if [ "${REDIS:-1}" = 1 ] && command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
  RDIR=$(mktemp -d /tmp/followd-wl-redis-XXXXXX)
  redis-server --port $PR --bind 127.0.0.1 --save '' --appendonly no --dir "$RDIR" --daemonize yes \
    --pidfile "$RDIR/redis.pid" --logfile "$RDIR/redis.log"
  until redis-cli -p $PR ping >/dev/null 2>&1; do sleep 0.1; done
  rmem() { redis-cli -p $PR info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'; }
  m0=$(rmem)
  $PY bench/redis_load.py "$W" users | redis-cli -p $PR --pipe >/dev/null
  m1=$(rmem)
  $PY bench/redis_load.py "$W" followers | redis-cli -p $PR --pipe >/dev/null
  m2=$(rmem)
  echo "$m0 $m1 $m2" | awk -v e="$EDGES" -v u="$USERS" \
    '{printf "Redis memory: %.1f bytes per edge (followers sorted sets), %.1f bytes per user\n", ($3 - $2) / e, ($2 - $1) / u}'
  SHA=$(redis-cli -p $PR script load "$(cat bench/redis_page.lua)")
  # rbench N: N page calls; prints redis-benchmark's CSV result row ("rps","avg",..."p99","max" in ms).
  rbench() {
    redis-benchmark -p $PR -c "$CONNS" -n "$1" -r 1000000000 --threads "$THREADS" --csv \
      EVALSHA "$SHA" 0 __rand_int__ 1000000000 "$NRANKS" | tail -1 | tr -d '"'
  }
  cal=$(rbench 20000 | cut -d, -f2)
  row=$(rbench "$(awk -v r="$cal" -v d="$DURATION" 'BEGIN {printf "%d", r * d}')")
  echo "$row" | awk -F, '{printf "%-58s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms\n", "Redis 7: same pages (sorted set + Lua join)", $2, $5, $7}'
  echo "$row" | awk -F, '{printf ",{\"name\": \"Redis 7: same pages\", \"result\": {\"tps\": %s, \"p50_ms\": %s, \"p99_ms\": %s}}\n", $2, $5, $7}' >>"$W/results.json"
  redis-cli -p $PR shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$RDIR"
  RDIR=
fi

# The full mix on a fresh server (the writes above changed the graph; that is fine for a benchmark).
$BIN serve --db "$W/db" --listen 127.0.0.1:$PF --threads "$THREADS" --rate-limits off ${SERVE_ARGS:-} >/dev/null 2>>"$W/serve.log" &
FPID=$!
sleep 1
if [ "${WARM:-1}" = 1 ]; then # PostgreSQL's copy of the graph may have pushed followd's pages out
  cat "$W/db/"*.mdb >/dev/null
  env WL_WRITES=0 wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" -s bench/workload.lua "http://127.0.0.1:$PF" >/dev/null
fi
for w in 0 1 10; do
  run "followd: full mix (deep pages, 1000s, lookups), $w% writes" "http://127.0.0.1:$PF" WL_WRITES=$w
done
echo ']' >>"$W/results.json"
kill $FPID; wait $FPID 2>/dev/null || true
$BIN check --db "$W/db"
$PY bench/workload_plot.py "$W/results.json" "${PLOT:-$W/workload.png}" \
  "bench/workload.sh, $(date -u +%Y-%m-%d), $(nproc) cores, $USERS users, $EDGES edges, wrk -t$THREADS -c$CONNS"
