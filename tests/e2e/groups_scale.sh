#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue 7: a group of 100,000 members (SCIMD_SCALE_N to change it) built
# over HTTP in PATCH requests of 1,000, checked from both sides.
. "$(dirname "$0")/lib.sh"
N=${SCIMD_SCALE_N:-100000}
e2e_tenant big
e2e_users "$N" "$E2E_DIR/users.jsonl"
"$BUILD/scimctl" --db "$E2E_DB" import --tenant big "$E2E_DIR/users.jsonl"
e2e_start --no-log
"$BUILD/tests/e2e_groups_scale" "$E2E_BASE" "$E2E_TOKEN" "$N"
