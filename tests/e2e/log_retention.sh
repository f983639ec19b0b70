#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 6: SCIM log records older than the tenant's retention are pruned
# automatically. Records aged 40 and 10 days are planted (with their
# search keys) for two tenants, one keeping 30 days and one 60; scimd
# prunes shortly after start, and exactly the expired ones must go.
. "$(dirname "$0")/lib.sh"
e2e_tenant short
e2e_tenant long
"$BUILD/scimctl" --db "$E2E_DB" config set long retention_days 60 2>/dev/null

now=$(($(date +%s) * 1000))
day=86400000
plant() {   # tenant-name age-days request-id
    tid=$(sqlite3 "$E2E_DB" "SELECT id FROM tenants WHERE name = '$1'")
    sqlite3 "$E2E_DB" "INSERT INTO scim_log(request_id, time_ms, tenant_id,
        tenant, method, path, status, user_name)
        VALUES ('$3', $((now - $2 * day)), $tid, '$1', 'GET', '/x', 200,
        'old@example.com');
        INSERT INTO scim_log_keys VALUES (last_insert_rowid(),
        'old@example.com');"
}
plant short 40 short-40
plant short 10 short-10
plant long 40 long-40
plant long 10 long-10

e2e_start
sleep 7
left=$(sqlite3 "$E2E_DB" "SELECT group_concat(request_id, ' ') FROM
    (SELECT request_id FROM scim_log WHERE request_id LIKE '%-%0'
     ORDER BY request_id)")
keys=$(sqlite3 "$E2E_DB" "SELECT count(*) FROM scim_log_keys WHERE key =
    'old@example.com'")
echo "records left: $left; search keys left: $keys"
[ "$left" = "long-10 long-40 short-10" ] && [ "$keys" = 3 ] || {
    echo "FAIL expected long-10 long-40 short-10 and 3 keys"
    exit 1
}
echo "ok   expired records and their search keys were pruned"
