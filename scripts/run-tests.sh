#!/bin/sh
# Runs every test suite against an already-built binary and ends with a single
# "N passed, N failed" line. Exit status is non-zero if anything failed.
#   FOLLOWD_BIN   binary under test (default build/asan/followd)
#   UNIT_DIR      directory of cmocka test binaries (default build/asan/tests)
set -u
cd "$(dirname "$0")/.."
FOLLOWD_BIN=${FOLLOWD_BIN:-build/asan/followd}
UNIT_DIR=${UNIT_DIR:-build/asan/tests}
export FOLLOWD_BIN
# Leak checking stays on; UBSan reports abort the test that triggers them.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export CMOCKA_MESSAGE_OUTPUT=TAP
passed=0; failed=0; skipped=0
log=$(mktemp -d)

for t in "$UNIT_DIR"/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  "$t" >"$log/$name.out" 2>&1
  rc=$?
  p=$(grep '^ok ' "$log/$name.out" | grep -vc '# SKIP')
  s=$(grep '^ok ' "$log/$name.out" | grep -c '# SKIP')
  skipped=$((skipped + s))
  f=$(grep '^not ok ' "$log/$name.out" | grep -vc '# SKIP')
  skipped=$((skipped + $(grep '^not ok ' "$log/$name.out" | grep -c '# SKIP')))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or sanitizer report
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$f" -ne 0 ]; then echo "FAIL unit/$name"; cat "$log/$name.out"; else echo "ok   unit/$name ($p)"; fi
done

# Fuzz targets: a short, fixed-seed run of each (the long runs are `make fuzz`).
./scripts/fuzz.sh --regress >"$log/fuzz.out" 2>&1
p=$(grep -c '^ok ' "$log/fuzz.out"); f=$(grep -c '^not ok ' "$log/fuzz.out")
[ "$p" -eq 0 ] && [ "$f" -eq 0 ] && f=1
passed=$((passed + p)); failed=$((failed + f))
if [ "$f" -ne 0 ]; then echo "FAIL fuzz"; tail -n 40 "$log/fuzz.out"; else echo "ok   fuzz ($p targets)"; fi

if [ -d tests/integration ]; then
  /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration ${PYTEST_ARGS:-} >"$log/pytest.out" 2>&1
  tail -n 40 "$log/pytest.out"
  last=$(grep -E '(passed|failed|skipped|error)' "$log/pytest.out" | tail -n 1)
  p=$(echo "$last" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
  f=$(echo "$last" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)
  e=$(echo "$last" | grep -oE '[0-9]+ error' | grep -oE '[0-9]+' || echo 0)
  s=$(echo "$last" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+' || echo 0)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0})); skipped=$((skipped + ${s:-0}))
fi

rm -rf "$log"
[ "$skipped" -ne 0 ] && echo "($skipped skipped)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
