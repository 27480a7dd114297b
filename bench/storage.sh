#!/bin/sh
# On-disk size of the graph (issue 13: <= 40 bytes per edge counting both directions and the existence
# index; users' bytes reported). A benchmark, not a test. Generates a bench/gen-graph.py graph, imports
# it with the release build of this tree and (when BEFORE is set) with an older release binary, and
# prints per table the pages mdb_stat -a counts ((branch + leaf + overflow) x page size) as bytes per
# edge (adjacency tables) or bytes per user (user tables), both binaries in the same run.
#
#   USERS=200000 EDGES=2000000 [BEFORE=/path/to/old/bin/followd] bench/storage.sh
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
      usr["users"]; usr["unames"]; usr["uid"]; usr["uord"]
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
