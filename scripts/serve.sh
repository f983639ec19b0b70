#!/bin/sh
# SPDX-License-Identifier: MIT
# Starts scimd on the embedded default: a SQLite file (./scimd.db unless
# SCIMD_DB says otherwise). On the first start it creates a demo tenant
# and prints its bearer token; only the token's hash is stored, so it is
# shown this once (issue another with 'build/scimctl token issue demo').
set -eu
cd "$(dirname "$0")/.."
DB=${SCIMD_DB:-scimd.db}
LISTEN=${SCIMD_LISTEN:-127.0.0.1:8080}
if ! build/scimctl --db "$DB" tenant list | grep -qx demo; then
    build/scimctl --db "$DB" tenant add demo
    TOKEN=$(build/scimctl --db "$DB" token issue demo)
    cat <<TEXT

  scimd demo tenant created in $DB
  SCIM base URL : http://$LISTEN/scim/v2/
  Bearer token  : $TOKEN

  Try: curl -H "Authorization: Bearer $TOKEN" http://$LISTEN/scim/v2/Users

TEXT
fi
exec build/scimd --db "$DB" --listen "$LISTEN" "$@"
