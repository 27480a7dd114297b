#!/bin/sh
# `make install` / `make uninstall` into a DESTDIR: the exact file set and
# modes, the unit's substituted paths, a man page that renders without
# warnings and names every command, sub-command and option the binary's
# --help lists (so it cannot go stale silently), and an uninstall that leaves
# no file. Prints TAP (run by `make test` in the shell layer).
set -u
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
d=$tmp/root
n=0; bad=0
# check DESCRIPTION COMMAND...: one TAP line; the command's output goes to
# the diagnostics when it fails.
check() {
  what=$1; shift
  n=$((n + 1))
  if "$@" >"$tmp/out" 2>&1; then echo "ok $n - $what"; else
    echo "not ok $n - $what"; sed 's/^/# /' "$tmp/out"; bad=1; fi
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
make_q() { make --no-print-directory -s "$@" >"$tmp/make.out" 2>&1 || { cat "$tmp/make.out"; return 1; }; }

unit=$d/usr/local/lib/systemd/system/followd.service
man=$d/usr/local/share/man/man1/followd.1
env=$d/usr/local/etc/followd/followd.env
bin=$d/usr/local/bin/followd

file_set() {
  (cd "$d" && find . -type f -printf '%m %P\n' | sort) >"$tmp/files"
  printf '%s\n' '644 usr/local/etc/followd/followd.env' '644 usr/local/lib/systemd/system/followd.service' \
    '644 usr/local/share/man/man1/followd.1' '755 usr/local/bin/followd' | diff - "$tmp/files"
}
unit_paths() {
  grep -qx 'ExecStart=/usr/local/bin/followd serve --db ${FOLLOWD_DB} --listen ${FOLLOWD_LISTEN} $FOLLOWD_OPTS' "$unit" &&
  grep -qx 'EnvironmentFile=/usr/local/etc/followd/followd.env' "$unit" && ! grep -n '@[A-Z]*@' "$unit"
}
# Every FOLLOWD_* variable the example config sets is used by the unit.
env_used() {
  for v in $(sed -n 's/^\(FOLLOWD_[A-Z]*\)=.*/\1/p' "$env"); do grep -q "\${*$v" "$unit" || { echo "unused: $v"; return 1; }; done
}
groff_clean() { groff -man -ww -z "$man" 2>&1 | tee "$tmp/groff"; [ ! -s "$tmp/groff" ]; }
man_clean() { MANWIDTH=80 man -l "$man" 2>"$tmp/man.err" >"$tmp/man.txt" && [ ! -s "$tmp/man.err" ] && grep -q 'EXIT STATUS' "$tmp/man.txt"; }
# Commands from `followd --help`, their forms from `followd CMD --help`, and
# every --option either names must be in the man page.
man_complete() {
  cmds=$("$bin" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p')
  [ -n "$cmds" ] || { echo "no commands in followd --help"; return 1; }
  miss=0
  for c in $cmds; do
    grep -q "^\.SS \"followd $c" "$man" || { echo "missing command: $c"; miss=1; }
    "$bin" "$c" --help >"$tmp/help" || { echo "followd $c --help failed"; miss=1; }
    for f in $(sed -n "s/^.*followd $c \([a-z][a-z0-9]*\) .*/\1/p" "$tmp/help" | sort -u); do
      grep -q "^\.SS \"followd $c $f" "$man" || { echo "missing form: $c $f"; miss=1; }
    done
    for o in $(grep -o -- '--[a-z][a-z0-9-]*' "$tmp/help" | sort -u); do
      grep -qF -- "$(echo "$o" | sed 's/-/\\-/g')" "$man" || { echo "missing option: $c $o"; miss=1; }
    done
  done
  return $miss
}
# verify checks that ExecStart exists: a copy points it into DESTDIR.
analyze() {
  mkdir -p "$tmp/unit" && sed "s|=/usr/local/bin/followd |=$bin |" "$unit" >"$tmp/unit/followd.service" &&
  MANPATH=$d/usr/local/share/man systemd-analyze verify "$tmp/unit/followd.service"
}
no_files() { [ -z "$(find "$d" -type f)" ] || { find "$d" -type f; return 1; }; }

echo 1..12
check "make install DESTDIR PREFIX=/usr/local" make_q install DESTDIR="$d" PREFIX=/usr/local
check "installs exactly the binary, man page, unit and config, with their modes" file_set
check "the unit runs the installed binary with the installed config" unit_paths
check "the unit uses every variable of the example config" env_used
check "the installed binary runs" "$bin" --version
check "groff -man -ww reports nothing" groff_clean
check "man -l renders it without a warning" man_clean
check "the man page names every command, form and option of --help" man_complete
if command -v systemd-analyze >/dev/null; then check "systemd-analyze verify accepts the unit" analyze
else skip "systemd-analyze verify accepts the unit" "systemd-analyze not installed"; fi
echo '# edited' >>"$env"
keep() { make_q install DESTDIR="$d" PREFIX=/usr/local && grep -q '^# edited' "$env"; }
check "a second install keeps an edited config" keep
gone() { make_q uninstall DESTDIR="$d" PREFIX=/usr/local && (cd "$d" && find . -type f) >"$tmp/left" &&
  [ "$(cat "$tmp/left")" = ./usr/local/etc/followd/followd.env ]; }
check "uninstall removes all but the edited config" gone
clean_uninstall() { rm -rf "$d" && make_q install DESTDIR="$d" PREFIX=/usr/local && make_q uninstall DESTDIR="$d" PREFIX=/usr/local && no_files; }
check "install then uninstall leaves no file" clean_uninstall
exit $bad
