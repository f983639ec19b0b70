#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 6: kill scimd with SIGKILL during a stream of writes from four
# clients; after a restart every write that was answered 201 must be
# there, with its SCIM log record (which commits with the change).
. "$(dirname "$0")/lib.sh"
e2e_tenant acme
e2e_start
"$BUILD/tests/e2e_kill" write "$E2E_BASE" "$E2E_TOKEN" "$E2E_DIR/acked" 4 20 &
writers=$!
sleep 2
e2e_stop KILL
wait "$writers" || true
echo "acknowledged before the kill: $(wc -l < "$E2E_DIR/acked")"
e2e_start
"$BUILD/scimctl" --db "$E2E_DB" log --tenant acme --json > "$E2E_DIR/log.json"
"$BUILD/tests/e2e_kill" check "$E2E_BASE" "$E2E_TOKEN" "$E2E_DIR/acked" \
    "$E2E_DIR/log.json"
