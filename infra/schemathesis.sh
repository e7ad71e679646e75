#!/usr/bin/env bash
# Installs schemathesis (from PyPI, at the pinned version) into a virtual
# environment under the cache directory and prints the path of its
# executable. Running it again changes nothing. The gateway's contract test
# (`tests/suites/api_contract.rs`) runs that executable against a running
# gateway; it finds it through AUTOBOOK_SCHEMATHESIS or this script's
# default location.
#
#   infra/schemathesis.sh            # install if missing; print the path
#   AUTOBOOK_SCHEMATHESIS=$(infra/schemathesis.sh) cargo test -p autobook-tests --test integration api_contract
set -euo pipefail

VERSION=4.32.5
cache=${AUTOBOOK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/autobook}
venv="$cache/schemathesis-$VERSION"
exe="$venv/bin/schemathesis"

log() { printf '[schemathesis] %s\n' "$*" >&2; }

if [ ! -x "$exe" ] || ! "$exe" --version 2>/dev/null | grep -q "$VERSION"; then
  log "installing schemathesis $VERSION into $venv"
  python3 -m venv --clear "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$VERSION"
  "$exe" --version >&2
fi
printf '%s\n' "$exe"
