#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages that building, testing and benchmarking
# scimd need, when any is missing. Debian's archive is the only source.
set -eu
PKGS="build-essential pkg-config libmicrohttpd-dev libjansson-dev
libsqlite3-dev sqlite3 libsodium-dev libcmocka-dev libcurl4-openssl-dev
libutf8proc-dev libpq-dev postgresql procps"
missing=""
# The bench needs wrk, node and npm as commands: a machine may have
# Node.js from elsewhere (its npm included), which apt must not replace.
if [ "${1:-}" = "--bench" ]; then
    command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
    command -v node >/dev/null 2>&1 || missing="$missing nodejs"
    command -v npm >/dev/null 2>&1 || missing="$missing npm"
fi
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
        || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >&2
