#!/bin/sh
# Installs the Debian 12 packages followd needs to build, test and benchmark.
# Idempotent: packages already present are not touched, so a second run is quick.
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev \
 libh2o-evloop-dev libssl-dev liblmdb-dev lmdb-utils libjansson-dev libpcre2-dev publicsuffix \
 libcmocka-dev libyaml-dev python3-pytest python3-requests python3-tweepy python3-yaml wrk curl \
 chromium chromium-driver python3-selenium"
[ "${1:-}" = "--list" ] && { echo $PKGS; exit 0; }
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null || true
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
