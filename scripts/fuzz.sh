#!/bin/sh
# Builds every libFuzzer target in tests/fuzz/ with clang (ASan+UBSan) against
# all library sources, then runs each one.
#   scripts/fuzz.sh            60 s per target (override: FUZZ_SECONDS=N)
#   scripts/fuzz.sh --regress  a short fixed run per target, for `make test`:
#                              prints TAP lines "ok N - fuzz/<target>"
# Corpora grow in build/fuzz/corpus/<target> (not committed); hand-written seed
# inputs live in tests/fuzz/seeds/<target>.
set -u
cd "$(dirname "$0")/.."
MODE=${1:-}
CC=${FUZZ_CC:-clang-14}
command -v "$CC" >/dev/null 2>&1 || CC=clang
OUT=build/fuzz
mkdir -p "$OUT/obj" "$OUT/corpus"
PKGS="libh2o-evloop lmdb jansson libssl libcrypto libpcre2-8"
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
  n=$((n + 1))
  $CC $CFLAGS -fsanitize=fuzzer "$t" "$OUT/libfollowd.a" $LIBS -o "$OUT/$name" || { echo "not ok $n - fuzz/$name (build)"; failed=1; continue; }
  mkdir -p "$OUT/corpus/$name"
  seeds=""
  [ -d "tests/fuzz/seeds/$name" ] && seeds="tests/fuzz/seeds/$name"   # committed seed inputs (read only)
  if [ "$MODE" = "--regress" ]; then
    # A fixed number of runs from a fixed seed: repeatable, a few seconds each.
    if "$OUT/$name" -seed=1 -runs=${FUZZ_RUNS:-20000} -max_len=4096 "$OUT/corpus/$name" $seeds >"$OUT/$name.log" 2>&1; then
      echo "ok $n - fuzz/$name"
    else
      echo "not ok $n - fuzz/$name"; tail -n 30 "$OUT/$name.log"; failed=1
    fi
  else
    echo "== $name (${FUZZ_SECONDS:-60} s)"
    "$OUT/$name" -max_total_time=${FUZZ_SECONDS:-60} -max_len=4096 "$OUT/corpus/$name" $seeds || failed=1
  fi
done
exit $failed
