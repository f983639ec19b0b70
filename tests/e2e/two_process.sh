#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 8: two scimd processes on one database, hammered from both. On
# the SQLite file always; on PostgreSQL too when tests/run.sh started a
# throwaway server (SCIMD_TEST_PG_URL names a fresh database on it).
. "$(dirname "$0")/lib.sh"

hammer() {
    db=$1
    "$BUILD/scimctl" --db "$db" tenant add hammer 2>/dev/null
    tok=$("$BUILD/scimctl" --db "$db" token issue hammer)
    E2E_DB=$db
    e2e_start
    pid1=$E2E_PID base1=$E2E_BASE
    e2e_start
    pid2=$E2E_PID base2=$E2E_BASE
    status=0
    "$BUILD/tests/e2e_hammer" "$base1" "$base2" "$tok" || status=1
    E2E_PID=$pid1 e2e_stop
    E2E_PID=$pid2
    e2e_stop
    return $status
}

echo "== SQLite: two processes on one file"
hammer "$E2E_DIR/two.db"
if [ -n "${SCIMD_TEST_PG_URL:-}" ]; then
    echo "== PostgreSQL: two processes on one database"
    hammer "$SCIMD_TEST_PG_URL"
fi
