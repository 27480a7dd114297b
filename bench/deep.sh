#!/bin/sh
# Deep pagination (issue 13: "a page at position 90% of a 10 M-follower list within 1.5x the latency of the
# first page"): one account followed by FOLLOWERS users, imported; the followers list walked through real
# pagination tokens (pages of 1000) to the page at 90% of its length; then the first page and that deep
# page of 100 measured the same way (wrk, the response cache off so every request walks the list).
# A benchmark, not a test.
#
#   FOLLOWERS=10000000 DURATION=10 CONNS=16 bench/deep.sh
set -eu
cd "$(dirname "$0")/.."
N=${FOLLOWERS:-10000000}
DURATION=${DURATION:-10}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
PY=/usr/bin/python3
BIN=bin/followd
PORT=18193
G=build/deep-$N
make -s bin/followd
mkdir -p "$G"
if [ ! -f "$G/follows.csv" ]; then
  # user 1 is the account; users 2..N+1 follow it in id order (the newest follower is the last line)
  $PY - "$G" "$N" <<'PY'
import sys
out, n = sys.argv[1], int(sys.argv[2])
base = 1_000_000_000_000
with open(out + "/users.jsonl", "w") as u, open(out + "/follows.csv", "w") as f:
    u.write('{"id":"%d","username":"celebrity","name":"Celebrity"}\n' % base)
    for i in range(1, n + 1):
        u.write('{"id":"%d","username":"f%d","name":"Follower %d"}\n' % (base + i, i, i))
        f.write("%d,%d\n" % (base + i, base))
PY
fi
rm -rf "$G/db"
/usr/bin/time -f "import: %e s wall, %U+%S s CPU, %M KB peak RSS" \
  $BIN import --db "$G/db" --db-max-size 64G --users "$G/users.jsonl" --follows "$G/follows.csv" 2>&1 | tail -2
BEARER=$($BIN app create --db "$G/db" --name deep --project deep | $PY -c "import json,sys; print(json.load(sys.stdin)['bearer_token'])")
$BIN serve --db "$G/db" --listen 127.0.0.1:$PORT --threads "$THREADS" --rate-limits off --response-cache off \
  >/dev/null 2>"$G/serve.log" &
SPID=$!
trap 'kill $SPID 2>/dev/null || true' EXIT
sleep 1
CELEB=1000000000000
# The walk: pages of 1000 through next_token until the page that starts at 90% of the list.
TOKEN=$($PY - "http://127.0.0.1:$PORT" "$BEARER" "$CELEB" "$N" <<'PY'
import json, sys, time, urllib.request
url, bearer, celeb, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
want, seen, token, t0 = int(n * 0.9), 0, None, time.time()
while seen < want:
    q = "%s/2/users/%s/followers?max_results=1000%s" % (url, celeb, "&pagination_token=" + token if token else "")
    body = json.load(urllib.request.urlopen(urllib.request.Request(q, headers={"Authorization": "Bearer " + bearer})))
    seen += body["meta"]["result_count"]
    token = body["meta"]["next_token"]
print("walked %d followers in %.1f s" % (seen, time.time() - t0), file=sys.stderr)
print(token)
PY
)
cat >"$G/page.lua" <<'LUA'
wrk.headers["Authorization"] = "Bearer " .. os.getenv("DEEP_BEARER")
LUA
# lat URL: wrk's throughput and p50/p99 for one URL
lat() {
  DEEP_BEARER=$BEARER wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$G/page.lua" "$1" |
    awk '/Requests\/sec/ {r = $2} $1 == "50%" {p50 = $2} $1 == "99%" {p99 = $2} END {printf "%9.0f req/s  p50 %s  p99 %s\n", r, p50, p99}'
}
FIRST="http://127.0.0.1:$PORT/2/users/$CELEB/followers?max_results=100"
echo "first page of 100 of $N followers:    $(lat "$FIRST")"
echo "page of 100 at 90% (through a token): $(lat "$FIRST&pagination_token=$TOKEN")"
echo "first page again:                     $(lat "$FIRST")"
du -sb "$G/db" | awk -v n="$N" '{printf "database: %.0f bytes (%.1f bytes per follower edge with users)\n", $1, $1 / n}'
