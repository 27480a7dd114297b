#!/bin/sh
# Self-test of scripts/run-tests.sh: runs it against fake suites that are
# broken in every way the runner must notice, and checks its exit status and
# its summary line. Prints TAP (run by `make test` in the shell layer).
set -u
cd "$(dirname "$0")/../.."
RUNNER=$PWD/scripts/run-tests.sh
PY=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0; bad=0

# A fake unit binary: fake NAME SCRIPT-BODY.
fake() { mkdir -p "$tmp/$1"; printf '#!/bin/sh\n%s\n' "$3" >"$tmp/$1/$2"; chmod +x "$tmp/$1/$2"; }
fake unit-ok test_a 'echo 1..2; echo "ok 1 - a"; echo "ok 2 - b # SKIP not today"'
fake unit-crash test_a 'echo 1..3; echo "ok 1 - a"; echo "ok 2 - b"; kill -SEGV $$'
fake unit-noplan test_a 'echo "ok 1 - a"'
fake unit-short test_a 'echo 1..3; echo "ok 1 - a"; echo "ok 2 - b"'
fake unit-exit test_a 'echo 1..1; echo "ok 1 - a"; exit 1'
fake unit-notok test_a 'echo 1..2; echo "ok 1 - a"; echo "not ok 2 - b"'
fake unit-zero test_a 'echo 1..0'
mkdir -p "$tmp/unit-empty" "$tmp/py-empty" "$tmp/py-ok" "$tmp/py-fail"
cat >"$tmp/py-ok/test_ok.py" <<'PY'
import pytest
def test_one(): assert True
@pytest.mark.skip(reason="needs a second store")
def test_two(): pass
PY
printf 'def test_one(): assert True\ndef test_two(): assert False\n' >"$tmp/py-fail/test_fail.py"
fake fuzz-ok fuzz 'echo "ok 1 - fuzz/a"; echo "ok 2 - fuzz/b"'
fake fuzz-crash fuzz 'echo "ok 1 - fuzz/a"; exit 1'
fake fuzz-none fuzz 'exit 0'

# run EXPECT-RC EXPECT-SUMMARY-REGEX DESCRIPTION LAYERS [VAR=VALUE...]
run() {
  want=$1 re=$2 what=$3 layers=$4; shift 4
  n=$((n + 1))
  env UNIT_DIR="$tmp/unit-ok" FUZZ_CMD="$tmp/fuzz-ok/fuzz" INTEGRATION_DIR="$tmp/py-ok" \
      PYTEST="$PY -m pytest" PYTEST_ARGS= FOLLOWD_STORES=lmdb "$@" \
      sh "$RUNNER" $layers >"$tmp/out" 2>&1
  rc=$?
  last=$(tail -n 1 "$tmp/out")
  ok=1
  if [ "$want" = 0 ]; then [ "$rc" -eq 0 ] || ok=0; else [ "$rc" -ne 0 ] || ok=0; fi
  echo "$last" | grep -qE "^$re\$" || ok=0
  if [ "$ok" = 1 ]; then echo "ok $n - $what"; else
    echo "not ok $n - $what (exit $rc, last line: $last)"; sed 's/^/# /' "$tmp/out"; bad=1; fi
}

echo 1..17
run 0 '4 passed, 0 failed, 2 skipped' "healthy suites pass, skips counted apart" "unit fuzz integration"
n=$((n + 1))
if grep -q 'unit/test_a: ok 2 - b # SKIP not today' "$tmp/out" && grep -q 'SKIPPED.*needs a second store' "$tmp/out"
then echo "ok $n - skipped tests are listed with their reasons"; else echo "not ok $n - skip reasons missing"; bad=1; fi
run 1 '0 passed, 2 failed' "empty unit dir plus a broken pytest invocation" "unit integration" \
  UNIT_DIR="$tmp/unit-empty" PYTEST="$PY -m pytest --no-such-option"
run 1 '1 passed, 1 failed' "a failing pytest" integration INTEGRATION_DIR="$tmp/py-fail"
run 1 '0 passed, 1 failed' "pytest collecting nothing (exit 5)" integration INTEGRATION_DIR="$tmp/py-empty"
run 1 '0 passed, 1 failed' "pytest that cannot start" integration PYTEST="/nonexistent/python3 -m pytest"
run 1 '2 passed, 1 failed' "a unit binary that crashes after ok lines" unit UNIT_DIR="$tmp/unit-crash"
run 1 '1 passed, 1 failed' "a unit binary without a TAP plan" unit UNIT_DIR="$tmp/unit-noplan"
run 1 '2 passed, 1 failed' "a unit binary reporting fewer tests than planned" unit UNIT_DIR="$tmp/unit-short"
run 1 '1 passed, 1 failed' "a unit binary exiting non-zero after passing" unit UNIT_DIR="$tmp/unit-exit"
run 1 '1 passed, 1 failed' "a unit binary with a not ok line" unit UNIT_DIR="$tmp/unit-notok"
run 1 '0 passed, 1 failed' "a unit binary that runs no tests" unit UNIT_DIR="$tmp/unit-zero"
run 1 '1 passed, 1 failed' "a fuzz run failing after an ok line" fuzz FUZZ_CMD="$tmp/fuzz-crash/fuzz"
run 1 '0 passed, 1 failed' "a fuzz run printing nothing" fuzz FUZZ_CMD="$tmp/fuzz-none/fuzz"
run 0 '2 passed, 0 failed, 2 skipped' "integration runs once per store backend" integration FOLLOWD_STORES="lmdb lmdb"
run 1 '1 passed, 1 failed, 1 skipped' "an unknown store backend fails" integration FOLLOWD_STORES="lmdb nosuch"
run 1 '0 passed, 1 failed' "no store backend at all fails" integration FOLLOWD_STORES=" "
exit $bad
