#!/bin/sh
# Runs test layers against an already-built binary and ends with one line,
# "N passed, N failed" (", N skipped" follows when tests were skipped; they are
# listed with their reasons above it). Exit status is non-zero if anything
# failed. The summary cannot lie: every suite's exit status counts, and a
# suite that ran nothing is a failure, not a pass.
#
#   scripts/run-tests.sh [LAYER...]   layers: unit fuzz integration shell
#                                     (default: all four, in that order)
#
#   FOLLOWD_BIN      binary under test (default build/asan/followd)
#   UNIT_DIR         directory of cmocka test binaries (default build/asan/tests)
#   FUZZ_CMD         fuzz regression command printing TAP (default scripts/fuzz.sh --regress)
#   PYTEST           pytest command (default /usr/bin/python3 -m pytest)
#   INTEGRATION_DIR  pytest suite (default tests/integration); PYTEST_ARGS are appended
#   FOLLOWD_STORES   store backends the integration suite runs against, once
#                    each, with FOLLOWD_STORE set (default "lmdb postgresql")
#   FOLLOWD_PG_URL   postgresql: the server the suite creates its databases on;
#                    unset, the runner starts a throw-away cluster
#                    (scripts/pg-cluster.sh) before the first postgresql run and
#                    stops it when it exits, whatever the outcome
#   SHELL_TEST_DIR   TAP-printing shell tests (default tests/shell)
#
# Rules per suite (a "suite" is one unit binary, the fuzz run, one pytest run
# or one shell test):
#   - a TAP suite must print a plan (1..N), exit 0, report N results, and
#     have none "not ok"; otherwise it counts its "not ok" lines, or 1 when
#     it failed without one (crash, sanitizer report, missing plan);
#   - pytest must exit 0 with at least one test run; exit 5 (nothing
#     collected), a usage error or an internal error count as a failure;
#   - a layer with no suite at all (empty unit directory) is a failure.
set -u
cd "$(dirname "$0")/.."
FOLLOWD_BIN=${FOLLOWD_BIN:-build/asan/followd}
UNIT_DIR=${UNIT_DIR:-build/asan/tests}
FUZZ_CMD=${FUZZ_CMD:-./scripts/fuzz.sh --regress}
PYTEST=${PYTEST:-/usr/bin/python3 -m pytest}
INTEGRATION_DIR=${INTEGRATION_DIR:-tests/integration}
FOLLOWD_STORES=${FOLLOWD_STORES-lmdb postgresql}
SHELL_TEST_DIR=${SHELL_TEST_DIR:-tests/shell}
KNOWN_STORES="lmdb postgresql"
export FOLLOWD_BIN
# Leak checking stays on; UBSan reports abort the test that triggers them.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export CMOCKA_MESSAGE_OUTPUT=TAP

passed=0; failed=0; skipped=0
log=$(mktemp -d)
pgdir=""
cleanup() {
  [ -n "$pgdir" ] && ./scripts/pg-cluster.sh stop "$pgdir" >/dev/null 2>&1
  rm -rf "$log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
: >"$log/skips"

# count FILE REGEX: lines of FILE matching the extended REGEX.
count() { grep -cE "$2" "$1" || true; }

# fail_suite NAME REASON OUTPUT: one failed suite, with its output.
fail_suite() {
  echo "FAIL $1: $2"
  [ -n "${3:-}" ] && [ -f "$3" ] && tail -n 60 "$3"
}

# tap_suite NAME OUTPUT RC: adds one TAP suite's results to the totals.
tap_suite() {
  name=$1; out=$2; rc=$3
  plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
  p=$(grep '^ok ' "$out" | grep -vc '# SKIP' || true)
  s=$(grep -E '^(not )?ok ' "$out" | grep -c '# SKIP' || true)
  f=$(grep '^not ok ' "$out" | grep -vc '# SKIP' || true)
  grep -E '^(not )?ok .*# SKIP' "$out" | sed "s|^|  $name: |" >>"$log/skips"
  why=""
  if [ -z "$plan" ]; then why="no TAP plan"
  elif [ "$plan" -eq 0 ]; then why="ran no tests (plan 1..0)"
  elif [ $((p + s + f)) -ne "$plan" ]; then why="planned $plan tests, reported $((p + s + f))"
  fi
  [ "$rc" -ne 0 ] && why="${why:+$why; }exit status $rc"
  [ "$f" -ne 0 ] && why="${why:+$why; }$f not ok"
  if [ -n "$why" ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  if [ -n "$why" ]; then fail_suite "$name" "$why" "$out"; else echo "ok   $name ($p)"; fi
}

# tap_dir LAYER DIR: runs every executable test_* in DIR as a TAP suite.
tap_dir() {
  n=0
  for t in "$2"/test_*; do
    [ -f "$t" ] && [ -x "$t" ] || continue
    n=$((n + 1))
    base=$(basename "$t")
    "$t" >"$log/$1.$base.out" 2>&1
    tap_suite "$1/$base" "$log/$1.$base.out" $?
  done
  if [ "$n" -eq 0 ]; then
    failed=$((failed + 1)); fail_suite "$1" "no test_* executables in $2"
  fi
}

# The PostgreSQL store unit tests (test_store_pg) use the cluster when
# postgresql is one of the backends under test.
layer_unit() {
  case " $FOLLOWD_STORES " in *" postgresql "*) pg_cluster || failed=$((failed + 1)) ;; esac
  tap_dir unit "$UNIT_DIR"
}
layer_shell() { tap_dir shell "$SHELL_TEST_DIR"; }

# Fuzz targets: a short, fixed-seed run of each (the long runs are `make fuzz`).
layer_fuzz() {
  $FUZZ_CMD >"$log/fuzz.out" 2>&1
  rc=$?
  if ! grep -q '^1\.\.' "$log/fuzz.out"; then   # fuzz.sh prints no plan: its count is the plan
    n=$(count "$log/fuzz.out" '^(not )?ok ')
    [ "$n" -gt 0 ] && echo "1..$n" >>"$log/fuzz.out"
  fi
  tap_suite fuzz "$log/fuzz.out" "$rc"
}

# pytest_suite NAME: one pytest run of INTEGRATION_DIR, counted from its
# summary line and its exit status.
pytest_suite() {
  out="$log/$1.out"
  $PYTEST -q -rs -p no:cacheprovider "$INTEGRATION_DIR" ${PYTEST_ARGS:-} >"$out" 2>&1
  rc=$?
  last=$(grep -E '[0-9]+ (passed|failed|skipped|errors?|deselected)|no tests ran' "$out" | tail -n 1)
  num() { echo "$last" | grep -oE "[0-9]+ $1" | grep -oE '[0-9]+' || echo 0; }
  p=$(num passed); f=$(num failed); e=$(num 'errors?'); s=$(num skipped)
  f=$((f + e))
  grep '^SKIPPED' "$out" | sed "s|^|  $1: |" >>"$log/skips"
  why=""
  case $rc in
    0) ;;
    1) why="tests failed" ;;
    5) why="no tests collected (pytest exit 5)" ;;
    *) why="pytest exit status $rc" ;;
  esac
  [ $((p + f)) -eq 0 ] && why="${why:+$why; }ran no tests"
  if [ -n "$why" ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  if [ -n "$why" ]; then fail_suite "$1" "$why" "$out"; else echo "ok   $1 ($p)"; fi
}

# pg_cluster: makes sure FOLLOWD_PG_URL names a server (one cluster per run);
# a cluster that does not start fails the postgresql suite, it is not skipped.
pg_cluster() {
  [ -n "${FOLLOWD_PG_URL:-}" ] && return 0
  pgdir=$(mktemp -d /tmp/followd-pgc-XXXXXX)
  FOLLOWD_PG_URL=$(./scripts/pg-cluster.sh start "$pgdir" 2>"$log/pg-cluster.err") || {
    fail_suite "integration[postgresql]" "cannot start a PostgreSQL cluster" "$log/pg-cluster.err"; return 1; }
  export FOLLOWD_PG_URL
}

# The integration suite runs once per store backend; conftest.py reads
# FOLLOWD_STORE. A backend this tree does not have is a failure, not a skip.
layer_integration() {
  n=0
  for store in $FOLLOWD_STORES; do
    n=$((n + 1))
    case " $KNOWN_STORES " in
      *" $store "*)
        if [ "$store" = postgresql ] && ! pg_cluster; then failed=$((failed + 1)); continue; fi
        FOLLOWD_STORE=$store; export FOLLOWD_STORE; pytest_suite "integration[$store]" ;;
      *) failed=$((failed + 1)); fail_suite "integration[$store]" "unknown store backend (known: $KNOWN_STORES)" ;;
    esac
  done
  if [ "$n" -eq 0 ]; then failed=$((failed + 1)); fail_suite integration "FOLLOWD_STORES is empty"; fi
}

layers=${*:-unit fuzz integration shell}
for l in $layers; do
  case $l in
    unit|fuzz|integration|shell) "layer_$l" ;;
    *) echo "run-tests.sh: unknown layer '$l' (unit fuzz integration shell)" >&2; exit 2 ;;
  esac
done

if [ "$skipped" -ne 0 ]; then
  echo "skipped:"
  cat "$log/skips"
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
