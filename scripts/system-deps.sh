#!/usr/bin/env bash
# What the test suite needs from the system: PostgreSQL server binaries (the Postgres store
# tests start their own server on 127.0.0.1), Chromium (dashboard test), node and npm (JS
# package). Installs the missing ones with apt when run as root; otherwise says what to install.
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
test -x /usr/bin/chromium || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "headroom: installing ${missing[*]} (apt) for the test suite"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "headroom: the test suite needs these system packages: ${missing[*]} (e.g. sudo apt-get install ${missing[*]})" >&2
exit 1
