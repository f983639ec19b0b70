# SPDX-License-Identifier: MIT
# Helpers for scripted end-to-end tests (sourced, not run): a throwaway
# directory with a SQLite database, one tenant and its token, and a real
# scimd on a port the kernel chose.
set -eu
BUILD=${BUILD:-build}
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/scim-e2e.XXXXXX")
E2E_DB=$E2E_DIR/scim.db
E2E_PID=""

e2e_cleanup() {
    [ -n "$E2E_PID" ] && kill "$E2E_PID" 2>/dev/null && wait "$E2E_PID" 2>/dev/null
    rm -rf "$E2E_DIR"
}
trap e2e_cleanup EXIT

# e2e_tenant NAME: creates the tenant and sets E2E_TOKEN.
e2e_tenant() {
    "$BUILD/scimctl" --db "$E2E_DB" tenant add "$1" 2>/dev/null
    E2E_TOKEN=$("$BUILD/scimctl" --db "$E2E_DB" token issue "$1")
}

# e2e_start [ARGS...]: starts scimd, sets E2E_PID and E2E_BASE (the
# SCIM base URL, ending in /scim/v2).
e2e_start() {
    : > "$E2E_DIR/scimd.log"
    "$BUILD/scimd" --db "$E2E_DB" --listen 127.0.0.1:0 "$@" \
        2>>"$E2E_DIR/scimd.log" &
    E2E_PID=$!
    i=0
    while ! grep -q "serving http://" "$E2E_DIR/scimd.log"; do
        i=$((i + 1))
        [ $i -gt 200 ] && { cat "$E2E_DIR/scimd.log"; return 1; }
        sleep 0.05
    done
    E2E_BASE=$(sed -n 's|.*serving \(http://[^ ]*\)/ on .*|\1|p' \
        "$E2E_DIR/scimd.log" | tail -n 1)
    E2E_BASE=${E2E_BASE%/}
}

# e2e_stop [SIGNAL]: stops scimd (TERM by default) and waits for it.
e2e_stop() {
    kill "-${1:-TERM}" "$E2E_PID" 2>/dev/null || true
    wait "$E2E_PID" 2>/dev/null || true
    E2E_PID=""
}

# e2e_users N FILE: writes N distinct User lines (JSON Lines) to FILE.
e2e_users() {
    awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf \
        "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"]," \
        "\"userName\":\"scale%d@example.com\",\"name\":{\"givenName\":" \
        "\"Scale\",\"familyName\":\"User%d\"},\"emails\":[{\"value\":" \
        "\"scale%d@example.com\",\"type\":\"work\"}]}\n", i, i, i }' > "$2"
}
