#!/bin/sh
# Installs the Debian 12 packages followd needs to build, test and benchmark.
# Idempotent: packages already present are not touched, so a second run is quick.
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev \
 libh2o-evloop-dev libssl-dev liblmdb-dev lmdb-utils libpq-dev postgresql-15 libjansson-dev libpcre2-dev publicsuffix \
 libcmocka-dev libyaml-dev python3-pytest python3-requests python3-requests-oauthlib python3-tweepy python3-yaml wrk curl \
 chromium chromium-driver python3-selenium python3-h2 groff-base man-db python3-matplotlib python3-pil \
 openssl ca-certificates iproute2 strace openjdk-17-jdk-headless pgbouncer"
# --bench adds what only the benchmarks use (bench/workload.sh: Redis 7 beside followd and PostgreSQL).
[ "${1:-}" = "--bench" ] && PKGS="$PKGS redis-server redis-tools"
[ "${1:-}" = "--list" ] && { echo $PKGS; exit 0; }
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# npm clients for the integration tests (every dependency of tests/integration/node/package.json:
# twitter-api-v2, twitter-api-sdk, oauth-1.0a, got, newman); skipped when npm is unavailable.
node_clients() {
  command -v npm >/dev/null 2>&1 || return 0
  need=0
  for m in $(sed -n '/"dependencies"/,/}/s/^ *"\([^"]*\)": *"[^"]*",\{0,1\}$/\1/p' tests/integration/node/package.json); do
    [ -d "build/node/node_modules/$m" ] || need=1
  done
  [ "$need" = 0 ] && return 0
  mkdir -p build/node && cp tests/integration/node/package.json build/node/
  (cd build/node && timeout 300 npm install --no-audit --no-fund --silent >/dev/null 2>&1) ||
    echo "deps: npm install failed; node client tests will be skipped"
}
cd "$(dirname "$0")/.."
[ -z "$missing" ] && { node_clients; exit 0; }
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null || true
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
node_clients
