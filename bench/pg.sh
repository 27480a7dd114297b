#!/bin/sh
# followd on PostgreSQL against PostgreSQL itself, in one run (a benchmark, not a test; issue 9):
#   1. followers pages of 100 of Zipf-chosen users (bench/workload.lua, bearer auth, rate limits off) through
#      followd + PostgreSQL, and pgbench running the page statement (the visible entries joined to users,
#      prepared; followd's own statement, src/store/pg_read.c list_sql, adds the owner's row to it) with the
#      same Zipf ranking;
#   2. durable follows/unfollows by 64 writers through followd (batched into shared transactions,
#      src/store/pg_write.c) and pgbench running one follow transaction per round trip (the same
#      lock + fw_apply statements, one transaction per follow);
#   3. two followd nodes on the same database against one (reads), wrk split over both.
# The cluster is a throw-away one with fsync on (PG_DURABLE=1 scripts/pg-cluster.sh).
#
#   USERS=100000 EDGES=2000000 DURATION=10 CONNS=64 DB_POOL=32 bench/pg.sh
# BASE=path/to/an/older/followd also measures that binary's pages in the same run (before/after ratios);
# READS_ONLY=1 stops after the reads; SERVE_ARGS adds serve options (e.g. --db-no-prepare). Each read rate comes
# with the CPU it cost per request: followd's, the PostgreSQL cluster's and the load generator's.
set -eu
cd "$(dirname "$0")/.."
USERS=${USERS:-100000}
EDGES=${EDGES:-2000000}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
DB_POOL=${DB_POOL:-32} # followd's PostgreSQL connections per node (pgbench gets CONNS)
SEED=${SEED:-1}
W=build/pgb
PF=18290
BIN=bin/followd
BASE=${BASE:-}
READS_ONLY=${READS_ONLY:-0}
SERVE_ARGS=${SERVE_ARGS:-}
PY=/usr/bin/python3
mkdir -p "$W"
make -s bin/followd
G=build/wl/graph-$USERS-$EDGES
[ -f "$G/follows.csv" ] || $PY bench/gen-graph.py --out "$G" --users "$USERS" --edges "$EDGES" --seed "$SEED" >/dev/null

PGDIR=$(mktemp -d /tmp/followd-pgb-XXXXXX)
rmdir "$PGDIR"
PIDS=
trap 'kill $PIDS 2>/dev/null || true; scripts/pg-cluster.sh stop "$PGDIR"' EXIT
URL=$(PG_DURABLE=1 scripts/pg-cluster.sh start "$PGDIR")
psql -q "$URL" -c "CREATE DATABASE fwbench"
DB=${URL%/postgres}/fwbench
$BIN import --db "$DB" --users "$G/users.jsonl" --tweets "$G/tweets.jsonl" --follows "$G/follows.csv" 2>&1 | tail -1
BEARER=$($BIN app create --db "$DB" --name pgbench --project pgbench | $PY -c "import json,sys; print(json.load(sys.stdin)['bearer_token'])")
APP=$($BIN app list --db "$DB" | awk 'NR==1 {print $1}')
: >"$W/writers.txt"
for i in $(seq 1 64); do
  id=$($BIN user add --db "$DB" --username "pgwriter$i" --name "Writer $i")
  echo "$id	$($BIN token user --db "$DB" --app "$APP" --user "$id")" >>"$W/writers.txt"
done

serve() { # port [binary]: one node, rate limits off (SPID: its process)
  ${2:-$BIN} serve $SERVE_ARGS --db "$DB" --db-pool "$DB_POOL" --listen 127.0.0.1:$1 --threads "$THREADS" --rate-limits off \
    >/dev/null 2>>"$W/serve.log" &
  SPID=$!
  PIDS="$PIDS $SPID"
  sleep 1
}
# Where the CPU goes: centiseconds a process used (all threads), with its exited children's (reaped: the
# postmaster's backends) and its live children's; a snapshot is followd's and the cluster's.
cpu_cs() {
  { awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat"
    for c in $(cat /proc/"$1"/task/*/children); do awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || true; done
  } | awk '{s += $1} END {print s + 0}'
}
PM=$(head -1 "$PGDIR/data/postmaster.pid")
snap() { echo "$(cpu_cs "$1") $(cpu_cs "$PM")"; }
cpu_split() { # label rate followd-pid "snapshot before": CPU ms per request of followd, PostgreSQL, the client (wrk or pgbench)
  set -- "$1" "$2" $4 $(snap "$3")
  $PY -c "import sys; n = $2 * $DURATION; c = sum(map(float, open('$W/client.cpu').read().split())) * 1000
print('  %s: CPU per request: followd %.2f ms, PostgreSQL %.2f ms, client %.2f ms' % (sys.argv[1], ($5 - $3) * 10 / n, ($6 - $4) * 10 / n, c / n))" "$1"
}
serve $PF
$PY bench/workload_prep.py "$G" "$W" "http://127.0.0.1:$PF" "$BEARER" >/dev/null
NRANKS=$(wc -l <"$W/ranks.txt")
awk '{print NR "," $1}' "$W/ranks.txt" >"$W/ranks.csv"
chmod a+r "$W/ranks.csv"
psql -q "$DB" -c "CREATE TABLE bench_ranks (rank int PRIMARY KEY, id bigint NOT NULL)" \
     -c "\\copy bench_ranks FROM '$W/ranks.csv' CSV" -c "VACUUM ANALYZE"
export WL_BEARER="$BEARER" WL_RANKS="$W/ranks.txt" WL_DEEP="$W/deep.txt" WL_WRITERS="$W/writers.txt" \
       WL_SEED="$SEED" WL_THREADS="$THREADS"
PAGES="WL_DEEP_SHARE=0 WL_LOOKUPS=0 WL_PAGE1000=0 WL_FOLLOWING=0"
wrk_rate() { # url [VAR=VALUE ...] -> req/s
  url=$1; shift
  env "$@" /usr/bin/time -f "%U %S" -o "$W/client.cpu" wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" -s bench/workload.lua "$url" |
    sed -n 's/^WL_RESULT //p' | $PY -c "import json,sys; r=json.load(sys.stdin); print('%.0f' % (r['requests'] / r['seconds']))"
}
pgb_rate() { # script -> transactions/s (with the planner settings of followd's pooled connections, pg_conn.c)
  PGOPTIONS="-c enable_bitmapscan=off" /usr/bin/time -f "%U %S" -o "$W/client.cpu" pgbench -n -M prepared -c "$CONNS" -j "$THREADS" -T "$DURATION" -f "$1" "$DB" 2>/dev/null | awk '/^tps/ {printf "%.0f\n", $3}'
}
ratio() { $PY -c "print('%.2f' % ($1 / $2))"; }

# 1. reads. followd sends, per page, the credential lookup (prepared; shared by queued lookups of one token)
# and one prepared statement with the owner's row and the page joined to users (src/store/pg_read.c list_sql);
# pgbench runs the page statement alone, prepared (one round trip, one statement: the cheapest form of the
# same work), with the same columns and the same Zipf ranking.
COLS="u.id, u.created_at_ms, u.pinned_tweet_id, u.most_recent_tweet_id, u.followers_count, u.following_count, u.tweet_count, u.listed_count, u.like_count, u.flags, u.verified_type, u.username, u.name, u.description, u.location, u.url, u.profile_image_url, u.withheld_countries, u.entities_json, u.default_json"
cat >"$W/page.sql" <<SQL
\\set r random_zipfian(1, $NRANKS, 1.001)
SELECT r.seq, $COLS FROM fw_rel r JOIN fw_users u ON u.id = r.src WHERE r.dst = (SELECT id FROM bench_ranks WHERE rank = :r) AND r.state = 1 AND (u.flags & 4) = 0 ORDER BY r.seq DESC LIMIT 101;
SQL
FPID=$SPID
S0=$(snap $FPID)
F=$(wrk_rate "http://127.0.0.1:$PF" $PAGES WL_WRITES=0)
SPLIT_F=$(cpu_split "followd" "$F" $FPID "$S0")
S0=$(snap $FPID)
P=$(pgb_rate "$W/page.sql")
SPLIT_P=$(cpu_split "pgbench" "$P" $FPID "$S0")
echo "followers pages of 100: followd+PostgreSQL $F req/s, pgbench same statements $P tps, ratio $(ratio "$F" "$P")"
printf '%s\n%s\n' "$SPLIT_F" "$SPLIT_P"
# Where followd's time goes: pgbench also runs the credential lookup followd sends for the bearer token alone,
# and the lookup followed by the page (two round trips, as followd sends them when lookups do not coalesce).
KEY=$(psql -XAtq "$DB" -c "SELECT encode(key, 'hex') FROM fw_creds WHERE kind = 1 ORDER BY issued_at_ms DESC LIMIT 1")
CRED="SELECT c.kind, (c.revoked OR (c.grant_id <> 0 AND EXISTS (SELECT 1 FROM fw_grants_revoked g WHERE g.grant_id = c.grant_id))), c.app_id, c.user_id, c.scopes, c.issued_at_ms, c.expires_at_ms, c.secret, a.id IS NOT NULL, u.id IS NOT NULL, a.*, p.access_level, u.*, c.grant_id FROM fw_creds c LEFT JOIN fw_apps a ON a.id = c.app_id LEFT JOIN fw_projects p ON p.id = a.project_id LEFT JOIN fw_users u ON u.id = c.user_id WHERE c.key = '\\x$KEY'::bytea;"
printf '%s\n' "$CRED" >"$W/cred.sql"
{ printf '%s\n' "$CRED"; cat "$W/page.sql"; } >"$W/cred_page.sql"
PC=$(pgb_rate "$W/cred.sql")
PCP=$(pgb_rate "$W/cred_page.sql")
echo "pgbench: credential lookup alone $PC tps; credential lookup then page (two round trips) $PCP tps; followd / that $(ratio "$F" "$PCP")"
# followd's own page statement (list_sql for an app-only first page: the owner's row UNION ALL the page), after
# the credential lookup in two round trips as followd sends them, and both in one pipeline (one round trip)
OWNER="(SELECT id FROM bench_ranks WHERE rank = :r)"
FWPAGE="SELECT 0, NULL::bigint, $COLS, false FROM fw_users u WHERE u.id = $OWNER UNION ALL (SELECT 1, r.seq, $COLS, false FROM fw_rel r JOIN fw_users u ON u.id = r.src WHERE r.dst = $OWNER AND r.state = 1 AND (u.flags & 4) = 0 ORDER BY r.seq DESC LIMIT 101) ORDER BY 1, 2 DESC;"
printf '\\set r random_zipfian(1, %s, 1.001)\n%s\n' "$NRANKS" "$FWPAGE" >"$W/fwpage.sql"
{ printf '\\set r random_zipfian(1, %s, 1.001)\n%s\n%s\n' "$NRANKS" "$CRED" "$FWPAGE"; } >"$W/cred_fwpage.sql"
{ printf '\\set r random_zipfian(1, %s, 1.001)\n\\startpipeline\n%s\n%s\n\\endpipeline\n' "$NRANKS" "$CRED" "$FWPAGE"; } >"$W/cred_fwpage_pipe.sql"
PF1=$(pgb_rate "$W/fwpage.sql")
PF2=$(pgb_rate "$W/cred_fwpage.sql")
S0=$(snap $FPID)
PF3=$(pgb_rate "$W/cred_fwpage_pipe.sql")
SPLIT_P3=$(cpu_split "pgbench, lookup and followd's page pipelined" "$PF3" $FPID "$S0")
echo "pgbench, followd's page statement: alone $PF1 tps ($(ratio "$PF1" "$P") of the plain page); after the credential lookup, two round trips $PF2 tps, one pipeline $PF3 tps; followd / those $(ratio "$F" "$PF2") / $(ratio "$F" "$PF3")"
printf '%s\n' "$SPLIT_P3"
if [ -n "$BASE" ]; then # the older binary on the same database, same load, right after
  serve $((PF + 2)) "$BASE"
  S0=$(snap $SPID)
  FB=$(wrk_rate "http://127.0.0.1:$((PF + 2))" $PAGES WL_WRITES=0)
  echo "followers pages of 100, $BASE: $FB req/s, ratio to pgbench $(ratio "$FB" "$P"), this build / it $(ratio "$F" "$FB")"
  cpu_split "$BASE" "$FB" $SPID "$S0"
fi
[ "$READS_ONLY" = 1 ] && exit 0

# 2. durable writes: followd (batched) vs one follow transaction per round trip
cat >"$W/follow.sql" <<SQL
\\set w random(1, 64)
\\set t random(1, $NRANKS)
BEGIN;
SELECT 1 FROM fw_users WHERE id IN ((SELECT id FROM fw_users WHERE username = 'pgwriter' || :w), (SELECT id FROM bench_ranks WHERE rank = :t)) ORDER BY id FOR UPDATE;
SELECT * FROM fw_apply(1, (SELECT id FROM fw_users WHERE username = 'pgwriter' || :w), (SELECT id FROM bench_ranks WHERE rank = :t));
COMMIT;
SQL
FW=$(wrk_rate "http://127.0.0.1:$PF" $PAGES WL_WRITES=100)
PW=$(pgb_rate "$W/follow.sql")
echo "durable follows/unfollows: followd+PostgreSQL $FW /s, pgbench one follow transaction per round trip $PW /s, ratio $(ratio "$FW" "$PW")"

# 3. two nodes against one, reads (wrk split: half the connections on each node)
serve $((PF + 1))
H=$((CONNS / 2))
A=$(CONNS=$H; env $PAGES WL_WRITES=0 wrk -t1 -c"$H" -d"${DURATION}s" -s bench/workload.lua "http://127.0.0.1:$PF" | sed -n 's/^WL_RESULT //p' >"$W/a.json" &
    env $PAGES WL_WRITES=0 wrk -t1 -c"$H" -d"${DURATION}s" -s bench/workload.lua "http://127.0.0.1:$((PF + 1))" | sed -n 's/^WL_RESULT //p' >"$W/b.json"; wait
    $PY -c "import json; print('%.0f' % sum(json.load(open(f))['requests'] / json.load(open(f))['seconds'] for f in ('$W/a.json', '$W/b.json')))")
echo "reads on two nodes: $A req/s together, one node $F req/s, ratio $(ratio "$A" "$F")"
$BIN check --db "$DB" | tail -1
