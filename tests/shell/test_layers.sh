#!/bin/sh
# The layering rules of docs/architecture.md, checked on the source: each
# layer of src/ includes only itself and the layers listed below it, and only
# store/ and http/ include their libraries' headers. Prints TAP.
set -u
cd "$(dirname "$0")/../.."

# layer: the layers it may include besides itself (one table, lowest first).
ALLOWED='core:
text:core
store:core
auth:core store
limits:core store
oauth:core store auth
portal:core store auth limits
api:core text store auth limits oauth portal
http:core api
cli:core text store auth limits oauth portal api http'

n=0; bad=0
check() { # check DESCRIPTION FAILURES
  n=$((n + 1))
  if [ -z "$2" ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; echo "$2" | sed 's/^/# /'; bad=1; fi
}

layers=$(echo "$ALLOWED" | cut -d: -f1 | tr '\n' ' ')
# Every directory of src/ is a layer the table knows.
unknown=""
for d in src/*/; do
  d=$(basename "$d")
  case " $layers " in *" $d "*) ;; *) unknown="$unknown $d" ;; esac
done
check "every src/ directory is a known layer" "$unknown"

while IFS=: read -r layer allowed; do
  [ -d "src/$layer" ] || continue
  out=""
  for f in src/"$layer"/*.[ch]; do
    for inc in $(sed -n 's/^#include "\([a-z0-9_]*\)\/.*/\1/p' "$f" | sort -u); do
      case " $layer $allowed " in *" $inc "*) ;; *) out="$out $f:$inc/" ;; esac
    done
  done
  check "$layer/ includes only layers below it" "$out"
done <<TABLE
$ALLOWED
TABLE

lib_rule() { # lib_rule HEADER-REGEX OWNER
  v=$(grep -lE "^#include <($1)>" src/*/*.[ch] src/main.c 2>/dev/null | grep -v "^src/$2/")
  check "only $2/ includes <$1>" "$v"
}
lib_rule 'h2o\.h|h2o/[a-z_0-9]+\.h' http
lib_rule 'lmdb\.h' store
lib_rule 'libpq-fe\.h' store

echo "1..$n"
exit $bad
