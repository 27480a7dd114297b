#!/bin/sh
# The workload benchmark of issue 13 (a benchmark, not a test): a generated power-law graph imported into
# followd, then, side by side in one run on this machine,
#   1. followd under the wrk workload script (bench/workload.lua: Zipf users, followers pages of 100, and a
#      write share of 0%, 1% and 10% follows/unfollows) — the headline configuration —
#   2. the same request generator against the h2o same-bytes limit (bench/baseline.c: the same HTTP library
#      answering a representative followers page of 100 from memory),
#   3. PostgreSQL 15 holding the same graph answering the same page with its best query (keyset index scan
#      of followers(dst, seq) joined to users), driven by pgbench with a Zipf user choice,
#   4. the full mix (following lists, pages of 1000, deep pages through real pagination tokens, users
#      lookups) at the same write shares.
# Results: one line per run on stdout, JSON in build/wl/results.json, plots by bench/workload_plot.py.
#
#   USERS=200000 EDGES=1600000 DURATION=10 CONNS=64 bench/workload.sh
set -eu
cd "$(dirname "$0")/.."
USERS=${USERS:-200000}
EDGES=${EDGES:-1600000}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
SEED=${SEED:-1}
W=build/wl
PF=18190; PB=18191
BIN=bin/followd
PY=/usr/bin/python3
mkdir -p "$W"
make -s bin/followd
cc -O2 -std=gnu11 -DH2O_USE_LIBUV=0 bench/baseline.c -o build/baseline $(pkg-config --cflags --libs libh2o-evloop libssl libcrypto) -lpthread

# The graph, generated once per size and imported into a fresh database.
G=$W/graph-$USERS-$EDGES
[ -f "$G/follows.csv" ] || $PY bench/gen-graph.py --out "$G" --users "$USERS" --edges "$EDGES" --seed "$SEED" >/dev/null
rm -rf "$W/db"
$BIN import --db "$W/db" --db-max-size 64G --users "$G/users.jsonl" --tweets "$G/tweets.jsonl" --follows "$G/follows.csv" 2>&1 | tail -1
BEARER=$($BIN app create --db "$W/db" --name workload --project workload | $PY -c "import json,sys; print(json.load(sys.stdin)['bearer_token'])")
APP=$($BIN app list --db "$W/db" | awk 'NR==1 {print $1}')
: >"$W/writers.txt"
for i in $(seq 1 64); do
  id=$($BIN user add --db "$W/db" --username "wlwriter$i" --name "Writer $i")
  echo "$id	$($BIN token user --db "$W/db" --app "$APP" --user "$id")" >>"$W/writers.txt"
done
du -sb "$W/db" | awk -v e="$EDGES" -v u="$USERS" '{printf "database: %d bytes (%.1f bytes per edge with users)\n", $1, $1 / e}'

$BIN serve --db "$W/db" --listen 127.0.0.1:$PF --threads "$THREADS" --rate-limits off >/dev/null 2>"$W/serve.log" &
FPID=$!
PGDIR=
trap 'kill $FPID ${BPID:-} 2>/dev/null || true; [ -n "$PGDIR" ] && scripts/pg-cluster.sh stop "$PGDIR" || true' EXIT
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
  printf '%s{"name": "%s", "env": "%s", "result": %s}\n' "$sep" "$name" "$*" "$res" >>"$W/results.json"
  sep=,
}
PAGES="WL_DEEP_SHARE=0 WL_LOOKUPS=0 WL_PAGE1000=0 WL_FOLLOWING=0"
for w in 0 1 10; do
  run "followd: Zipf followers pages of 100, $w% writes" "http://127.0.0.1:$PF" $PAGES WL_WRITES=$w
done
kill $FPID; wait $FPID 2>/dev/null || true
build/baseline $PB "$THREADS" "$W/body100.json" & BPID=$!
sleep 0.5
run "h2o same-bytes limit, same generator ($(wc -c <"$W/body100.json") B body)" "http://127.0.0.1:$PB" $PAGES WL_WRITES=0
kill $BPID; wait $BPID 2>/dev/null || true
BPID=

# PostgreSQL 15: the same graph, the best query for the same page (keyset index scan joined to users).
if [ -x /usr/lib/postgresql/15/bin/initdb ] && command -v pgbench >/dev/null; then
  PGDIR=$(mktemp -d /tmp/followd-wl-pg-XXXXXX)
  rmdir "$PGDIR"
  PGURL=$(scripts/pg-cluster.sh start "$PGDIR")
  chmod -R a+r "$W"/pg_*.csv
  psql -q "$PGURL" <<SQL
CREATE TABLE users (id bigint PRIMARY KEY, username text NOT NULL, name text NOT NULL);
CREATE TABLE followers (dst bigint NOT NULL, seq bigint NOT NULL, src bigint NOT NULL, PRIMARY KEY (dst, seq));
CREATE TABLE ranks (rank int PRIMARY KEY, id bigint NOT NULL);
\copy users FROM '$W/pg_users.csv' CSV
\copy followers FROM '$W/pg_followers.csv' CSV
\copy ranks FROM '$W/pg_ranks.csv' CSV
VACUUM ANALYZE;
SQL
  cat >"$W/pg_page.sql" <<SQL
\set r random_zipfian(1, $NRANKS, 1.001)
SELECT u.id, u.name, u.username FROM followers f JOIN users u ON u.id = f.src
 WHERE f.dst = (SELECT id FROM ranks WHERE rank = :r) ORDER BY f.seq DESC LIMIT 100;
SQL
  tps=$(pgbench -n -M prepared -c "$CONNS" -j "$THREADS" -T "$DURATION" -f "$W/pg_page.sql" "$PGURL" 2>/dev/null |
        awk '/^tps/ {print $3}')
  printf '%-58s %9.0f req/s\n' "PostgreSQL 15: same pages (pgbench, index scan + join)" "$tps"
  printf ',{"name": "PostgreSQL 15: same pages", "result": {"tps": %s}}\n' "$tps" >>"$W/results.json"
  scripts/pg-cluster.sh stop "$PGDIR"
  PGDIR=
fi

# The full mix on a fresh server (the writes above changed the graph; that is fine for a benchmark).
$BIN serve --db "$W/db" --listen 127.0.0.1:$PF --threads "$THREADS" --rate-limits off >/dev/null 2>>"$W/serve.log" &
FPID=$!
sleep 1
for w in 0 1 10; do
  run "followd: full mix (deep pages, 1000s, lookups), $w% writes" "http://127.0.0.1:$PF" WL_WRITES=$w
done
echo ']' >>"$W/results.json"
kill $FPID; wait $FPID 2>/dev/null || true
$BIN check --db "$W/db"
