#!/bin/sh
# SPDX-License-Identifier: MIT
# The whole test suite: BUILD=build sh tests/run.sh (what `make check` and
# CI run). Parts, in order: every unit test program $BUILD/tests/test_*
# (one test each, under a 120 s limit), the third-party vectors (one test
# per case), the HTTP cases against a real scimd on SQLite (one per case),
# the tests/e2e/*.sh scripts (one each; lib*.sh and _*.sh are helpers,
# not run) and, when PostgreSQL is available, the HTTP cases again on a
# throwaway PostgreSQL server (only once SCIMD_PG_READY=1; SCIMD_PG=0
# turns that part off, SCIMD_PG=1 insists on it).
# Ends with the grand total "N passed, N failed"; exits 1 on any failure.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
BUILD=${BUILD:-build}
export BUILD
passed=0
failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/scim-run.XXXXXX") || exit 1
pgdir=""

cleanup() {
    [ -n "$pgdir" ] && sh scripts/pg-test-server.sh stop "$pgdir"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

count() { passed=$((passed + $1)); failed=$((failed + $2)); }
section() { printf '\n== %s\n' "$1"; }

# Adds the last "N passed, N failed" line of a part's output; a part that
# failed without reporting a failure (a crash, a usage error) counts one.
tally() {
    out=$1
    status=$2
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
    p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
    f=$(echo "$line" | sed -n 's/^[0-9]* passed, \([0-9]*\) failed.*/\1/p')
    p=${p:-0}
    f=${f:-0}
    [ "$status" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    count "$p" "$f"
}

unit_tests() {
    section "unit tests"
    for t in "$BUILD"/tests/test_*; do
        [ -x "$t" ] || continue
        if timeout 120 "$t" >"$tmp/unit.out" 2>&1; then
            echo "ok   $(basename "$t")"
            count 1 0
        else
            echo "FAIL $(basename "$t") (exit $?)"
            sed 's/^/    /' "$tmp/unit.out" | tail -40
            count 0 1
        fi
    done
}

# CI runs in a fresh clone with shared/ beside the repository.
find_vectors() {
    for d in "${SCIM_VECTORS:-}" "$root/../shared/vectors"; do
        [ -n "$d" ] && ls "$d"/*.json >/dev/null 2>&1 && {
            echo "$d"; return 0; }
    done
    return 1
}

vectors() {
    section "vectors"
    if ! vdir=$(find_vectors); then
        echo "FAIL vectors: no ../shared/vectors/*.json (or SCIM_VECTORS)"
        count 0 1
        return
    fi
    for v in "$vdir"/*.json; do
        timeout 600 "$BUILD/scim-vectors" "$v" >"$tmp/vec.out" 2>&1
        status=$?
        cat "$tmp/vec.out"
        tally "$tmp/vec.out" "$status"
    done
}

# The runner checks its own matcher first: a broken harness must not
# let every case pass.
http_selftest() {
    if "$BUILD/scim-httptest" --self-test >"$tmp/self.out" 2>&1; then
        echo "ok   scim-httptest --self-test"
        count 1 0
    else
        echo "FAIL scim-httptest --self-test"
        sed 's/^/    /' "$tmp/self.out"
        count 0 1
    fi
}

http_cases() {
    section "http cases ($1)"
    backend=$1
    [ "$backend" = sqlite ] && http_selftest
    "$BUILD/scim-httptest" --bin "$BUILD" --backend "$backend" \
        tests/http/*.case >"$tmp/http.out" 2>&1
    status=$?
    cat "$tmp/http.out"
    tally "$tmp/http.out" "$status"
}

e2e_scripts() {
    for s in tests/e2e/*.sh; do
        [ -f "$s" ] || continue
        # lib*.sh and _*.sh are helpers the scripts source, not tests.
        case $(basename "$s") in lib*|_*) continue ;; esac
        [ "${e2e_started:-}" ] || { section "e2e scripts"; e2e_started=1; }
        if timeout 600 sh "$s" >"$tmp/e2e.out" 2>&1; then
            echo "ok   $s"
            count 1 0
        else
            echo "FAIL $s (exit $?)"
            sed 's/^/    /' "$tmp/e2e.out" | tail -40
            count 0 1
        fi
    done
}

pg_wanted() {
    [ "${SCIMD_PG:-}" = 0 ] && return 1
    [ "${SCIMD_PG:-}" = 1 ] && return 0
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}

# The store and SQL compiler unit tests again, now on a real server.
pg_units() {
    for t in "$BUILD/tests/test_store_pg" "$BUILD/tests/test_sqlgen"; do
        [ -x "$t" ] || continue
        if timeout 300 "$t" >"$tmp/pgunit.out" 2>&1 &&
           ! grep -q "SKIPPED" "$tmp/pgunit.out"; then
            echo "ok   $(basename "$t") on postgres"
            count 1 0
        else
            echo "FAIL $(basename "$t") on postgres"
            sed 's/^/    /' "$tmp/pgunit.out" | tail -40
            count 0 1
        fi
    done
}

# Issue 8: two scimd processes on one fresh PostgreSQL database.
pg_two_process() {
    host=$(echo "$SCIMD_TEST_PG" | sed -n 's/.*host=\([^ ]*\).*/\1/p')
    psql "$SCIMD_TEST_PG" -qc "CREATE DATABASE scimtest_two" >/dev/null
    if SCIMD_TEST_PG_URL="postgresql:///scimtest_two?host=$host&user=postgres" \
       timeout 600 sh tests/e2e/two_process.sh >"$tmp/two.out" 2>&1; then
        echo "ok   two scimd processes on one PostgreSQL database"
        count 1 0
    else
        echo "FAIL two scimd processes on one PostgreSQL database"
        sed 's/^/    /' "$tmp/two.out" | tail -40
        count 0 1
    fi
}

postgres_part() {
    pg_wanted || return 0
    section "postgres"
    pgdir="$tmp/pg"
    # As root the server runs as scimtest, which must reach its dir.
    chmod 711 "$tmp"
    if ! env=$(sh scripts/pg-test-server.sh start "$pgdir"); then
        echo "FAIL postgres: could not start a test server"
        count 0 1
        return
    fi
    eval "$env"
    pg_units
    http_cases postgres
    pg_two_process
    sh scripts/pg-test-server.sh stop "$pgdir"
    pgdir=""
}

unit_tests
vectors
http_cases sqlite
e2e_scripts
postgres_part

printf '\n'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
