#!/bin/sh
# SPDX-License-Identifier: MIT
# Starts or stops a throwaway PostgreSQL server for tests, in DIR:
#   eval "$(sh scripts/pg-test-server.sh start DIR)"   # sets SCIMD_TEST_PG
#   sh scripts/pg-test-server.sh stop DIR              # stops, removes DIR
# The cluster listens on a Unix socket in DIR only (no TCP port, so no
# clash with anything else on the machine), trusts local connections and
# has superuser "postgres". PostgreSQL refuses to run as root, so as root
# the server runs as the unprivileged user scimtest (created if missing).
set -eu

die() { echo "pg-test-server: $*" >&2; exit 1; }

pg_bindir() {
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/initdb" ] && { echo "$d"; return 0; }
    done
    command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)";
                                            return 0; }
    return 1
}

# Runs a command as the server's owner.
as_owner() {
    if [ "$(id -u)" -ne 0 ]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u scimtest -- "$@"
    else
        su -s /bin/sh scimtest -c '"$0" "$@"' -- "$@"
    fi
}

start() {
    dir=$1
    bin=$(pg_bindir) || die "initdb not found (install postgresql)"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" -eq 0 ]; then
        id scimtest >/dev/null 2>&1 ||
            useradd --system --no-create-home --shell /usr/sbin/nologin \
                scimtest || die "cannot create user scimtest"
        chown scimtest "$dir"
    fi
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust \
        -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
        die "initdb failed: $(tail -5 "$dir/initdb.log")"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-k $dir -c listen_addresses= -p 5432 -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off" \
        start >"$dir/pg_ctl.log" 2>&1 ||
        die "server did not start: $(tail -5 "$dir/server.log")"
    echo "SCIMD_TEST_PG='host=$dir port=5432 user=postgres'"
    echo "export SCIMD_TEST_PG"
    echo "PATH='$bin':\"\$PATH\"; export PATH"
}

stop() {
    dir=$1
    [ -d "$dir/data" ] || { rm -rf "$dir"; return 0; }
    bin=$(pg_bindir) || die "pg_ctl not found"
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop \
        >/dev/null 2>&1 || true
    rm -rf "$dir"
}

[ $# -eq 2 ] || die "usage: pg-test-server.sh start|stop DIR"
case $1 in
start) start "$2" ;;
stop) stop "$2" ;;
*) die "usage: pg-test-server.sh start|stop DIR" ;;
esac
