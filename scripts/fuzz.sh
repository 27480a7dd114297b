#!/bin/sh
# Builds every libFuzzer target in tests/fuzz/ with clang (ASan+UBSan) against
# all library sources, then runs each one.
#   scripts/fuzz.sh            each target until FUZZ_RUNS executions (default 10,000,000) or
#                              FUZZ_SECONDS (default 600; FUZZ_SECONDS_<target>=N overrides it
#                              for one target), whichever comes first; FUZZ_TARGETS="a b" limits
#                              the run to those targets. Then minimizes the committed corpus
#                              with -merge=1 and prints execs, exec/s and coverage per target
#   scripts/fuzz.sh --regress  a short fixed run per target, for `make test`:
#                              prints TAP lines "ok N - fuzz/<target>"
# The committed corpus is tests/fuzz/corpus/<target> (minimized; every crash found
# is copied there too, so the regression run replays it); hand-written seed inputs
# live in tests/fuzz/seeds/<target>; build/fuzz/corpus/<target> is scratch.
set -u
cd "$(dirname "$0")/.."
MODE=${1:-}
CC=${FUZZ_CC:-clang-14}
command -v "$CC" >/dev/null 2>&1 || CC=clang
OUT=build/fuzz
mkdir -p "$OUT/obj" "$OUT/corpus"
PKGS="libh2o-evloop lmdb libpq jansson libssl libcrypto libpcre2-8"
CFLAGS="-std=c11 -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -Isrc $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lpthread -lm"
objs=""
# An object is stale when its source or any header is newer (headers are few and change rarely).
newest_h=$(ls -t src/*/*.h | head -n 1)
for src in src/*/*.c; do
  o="$OUT/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')"
  if [ ! -f "$o" ] || [ "$src" -nt "$o" ] || [ "$newest_h" -nt "$o" ]; then
    $CC $CFLAGS -c "$src" -o "$o" || exit 1
  fi
  objs="$objs $o"
done
# An archive: each target pulls in only the objects it uses.
rm -f "$OUT/libfollowd.a"
ar rcs "$OUT/libfollowd.a" $objs
n=0; failed=0
for t in tests/fuzz/fuzz_*.c; do
  name=$(basename "$t" .c)
  if [ -n "${FUZZ_TARGETS:-}" ] && ! echo " $FUZZ_TARGETS " | grep -q " $name "; then continue; fi
  n=$((n + 1))
  $CC $CFLAGS -fsanitize=fuzzer "$t" "$OUT/libfollowd.a" $LIBS -o "$OUT/$name" || { echo "not ok $n - fuzz/$name (build)"; failed=1; continue; }
  mkdir -p "$OUT/corpus/$name" "tests/fuzz/corpus/$name" "$OUT/artifacts"
  seeds="tests/fuzz/corpus/$name"                                       # committed, minimized
  [ -d "tests/fuzz/seeds/$name" ] && seeds="$seeds tests/fuzz/seeds/$name"   # hand-written (read only)
  if [ "$MODE" = "--regress" ]; then
    # A fixed number of runs from a fixed seed: repeatable, a few seconds each.
    if "$OUT/$name" -seed=1 -runs=${FUZZ_RUNS:-20000} -max_len=4096 "$OUT/corpus/$name" $seeds >"$OUT/$name.log" 2>&1; then
      echo "ok $n - fuzz/$name"
    else
      echo "not ok $n - fuzz/$name"; tail -n 30 "$OUT/$name.log"; failed=1
    fi
  else
    secs=$(eval echo "\${FUZZ_SECONDS_$name:-${FUZZ_SECONDS:-600}}")
    echo "== $name (${FUZZ_RUNS:-10000000} runs or $secs s)"
    rm -f "$OUT/artifacts/$name-"*
    "$OUT/$name" -runs=${FUZZ_RUNS:-10000000} -max_total_time=$secs -max_len=4096 -print_final_stats=1 \
      -artifact_prefix="$OUT/artifacts/$name-" "$OUT/corpus/$name" $seeds >"$OUT/$name.log" 2>&1 || failed=1
    for a in "$OUT/artifacts/$name-"*; do   # a crash becomes a regression input
      [ -f "$a" ] || continue
      cp "$a" "tests/fuzz/corpus/$name/regress-$(basename "$a" | sed "s/^$name-//")"
      echo "   crash input kept: tests/fuzz/corpus/$name/regress-$(basename "$a" | sed "s/^$name-//")"
      grep -m1 -A12 'ERROR:' "$OUT/$name.log"
    done
    execs=$(grep 'stat::number_of_executed_units' "$OUT/$name.log" | grep -oE '[0-9]+$')
    rate=$(grep 'stat::average_exec_per_sec' "$OUT/$name.log" | grep -oE '[0-9]+$')
    time=$(grep 'Done [0-9]* runs in' "$OUT/$name.log" | grep -oE 'in [0-9]+ second' | grep -oE '[0-9]+')
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$OUT/$name.log" | tail -n 1)
    # Minimize: only inputs that add coverage stay in the committed corpus.
    rm -rf "$OUT/merged-$name"; mkdir -p "$OUT/merged-$name"
    "$OUT/$name" -merge=1 -max_len=4096 "$OUT/merged-$name" "tests/fuzz/corpus/$name" "$OUT/corpus/$name" \
      >"$OUT/$name.merge.log" 2>&1 || failed=1
    keep=$(ls "tests/fuzz/corpus/$name" | grep '^regress-' || true)
    for k in $keep; do cp "tests/fuzz/corpus/$name/$k" "$OUT/merged-$name/"; done
    rm -rf "tests/fuzz/corpus/$name"; mv "$OUT/merged-$name" "tests/fuzz/corpus/$name"
    echo "   $name: ${execs:-?} execs in ${time:-?} s (${rate:-?} exec/s), ${cov:-cov ?}, corpus $(ls "tests/fuzz/corpus/$name" | wc -l) files" \
      "$(du -sk --apparent-size "tests/fuzz/corpus/$name" | cut -f1) KB"
  fi
done
exit $failed
