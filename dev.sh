#!/bin/sh
# SPDX-License-Identifier: MIT
# The two set-up commands of the README:
#   ./dev.sh serve   install packages, build, start scimd on ./scimd.db
#   ./dev.sh test    install packages, build, run every test (also under
#                    AddressSanitizer and UBSan)
set -eu
cd "$(dirname "$0")"
sh scripts/deps.sh
JOBS=$(nproc 2>/dev/null || echo 2)
case "${1:-}" in
serve)
    make -s -j"$JOBS"
    shift
    exec sh scripts/serve.sh "$@"
    ;;
test)
    make -s -j"$JOBS"
    sh scripts/checksrc.sh
    BUILD=build sh tests/run.sh
    make -s -j"$JOBS" SAN=1
    BUILD=build/san SCIMD_SAN=1 sh tests/run.sh
    ;;
*)
    echo "usage: ./dev.sh serve | ./dev.sh test" >&2
    exit 2
    ;;
esac
