/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL schema and its versioned migrations. The tables are
 * those of the SQLite backend (docs/internals/store.md) in PostgreSQL
 * types: fdoc is JSONB for the filter compiler, doc stays TEXT so it is
 * served byte for byte, and the key columns use COLLATE "C" so that
 * ordering matches SQLite's byte order whatever the database locale.
 * Migrations run at open inside one transaction holding an advisory
 * lock, so when several scimd processes start at once exactly one
 * migrates and the others wait for it and then find nothing to do.
 * PostgreSQL adds foreign keys with ON DELETE CASCADE for emails and
 * memberships: a member added while its user is being deleted in
 * another process then fails cleanly instead of leaving a stale row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_db.h"

/* pg_advisory_xact_lock key that serialises migrations. */
#define PG_MIGRATE_LOCK "495874779492"

static const char *const ddl_v1 =
    "CREATE TABLE tenants(id BIGSERIAL PRIMARY KEY,"
    " name TEXT COLLATE \"C\" NOT NULL UNIQUE, config TEXT NOT NULL,"
    " config_version BIGINT NOT NULL, created TEXT);"
    "CREATE TABLE tokens(id BIGSERIAL PRIMARY KEY,"
    " tenant_id BIGINT NOT NULL, hash TEXT COLLATE \"C\" NOT NULL UNIQUE,"
    " created TEXT);"
    "CREATE TABLE resources(seq BIGSERIAL PRIMARY KEY,"
    " tenant_id BIGINT NOT NULL, rtype TEXT COLLATE \"C\" NOT NULL,"
    " id TEXT COLLATE \"C\" NOT NULL, external_id TEXT COLLATE \"C\","
    " name_key TEXT COLLATE \"C\", display_key TEXT COLLATE \"C\","
    " active INTEGER NOT NULL, version BIGINT NOT NULL,"
    " created TEXT NOT NULL, modified TEXT NOT NULL, doc TEXT NOT NULL,"
    " fdoc JSONB NOT NULL, pw_hash TEXT);"
    "CREATE UNIQUE INDEX resources_id ON resources(tenant_id, id);"
    "CREATE UNIQUE INDEX resources_name"
    " ON resources(tenant_id, rtype, name_key);"
    "CREATE INDEX resources_ext ON resources(tenant_id, rtype, external_id);"
    "CREATE INDEX resources_display"
    " ON resources(tenant_id, rtype, display_key);"
    "CREATE INDEX resources_list ON resources(tenant_id, rtype, seq);"
    "CREATE TABLE emails(res_seq BIGINT NOT NULL"
    " REFERENCES resources(seq) ON DELETE CASCADE,"
    " tenant_id BIGINT NOT NULL, value_key TEXT COLLATE \"C\" NOT NULL);"
    "CREATE INDEX emails_key ON emails(tenant_id, value_key);"
    "CREATE INDEX emails_res ON emails(res_seq);"
    "CREATE TABLE members(group_seq BIGINT NOT NULL"
    " REFERENCES resources(seq) ON DELETE CASCADE,"
    " member_seq BIGINT NOT NULL"
    " REFERENCES resources(seq) ON DELETE CASCADE,"
    " PRIMARY KEY(group_seq, member_seq));"
    "CREATE INDEX members_member ON members(member_seq);"
    "CREATE TABLE scim_log(seq BIGSERIAL PRIMARY KEY, request_id TEXT,"
    " time_ms BIGINT NOT NULL, tenant_id BIGINT, tenant TEXT COLLATE \"C\","
    " client TEXT, user_agent TEXT, method TEXT, path TEXT,"
    " status INTEGER, latency_us BIGINT, resource_id TEXT,"
    " user_name TEXT, emails TEXT, external_id TEXT, request_body TEXT,"
    " response_body TEXT, cause TEXT, attribute TEXT, detail TEXT,"
    " dialects TEXT, ignored TEXT);"
    "CREATE INDEX scim_log_time ON scim_log(time_ms);"
    "CREATE INDEX scim_log_tenant ON scim_log(tenant_id, time_ms);"
    "CREATE TABLE scim_log_keys(log_seq BIGINT NOT NULL,"
    " key TEXT COLLATE \"C\" NOT NULL);"
    "CREATE INDEX scim_log_keys_key ON scim_log_keys(key, log_seq);"
    "CREATE INDEX scim_log_keys_seq ON scim_log_keys(log_seq);";

/*
 * Version 2: exact per-tenant resource counts, kept in the transaction
 * of every insert and delete (eight rows per tenant and type, summed),
 * so that an unfiltered list need not count all rows on every page.
 */
static const char *const ddl_v2 =
    "CREATE TABLE resource_counts(tenant_id BIGINT NOT NULL,"
    " rtype TEXT NOT NULL, slot INTEGER NOT NULL, n BIGINT NOT NULL,"
    " PRIMARY KEY(tenant_id, rtype, slot));"
    "INSERT INTO resource_counts SELECT tenant_id, rtype, 0, count(*)"
    " FROM resources GROUP BY tenant_id, rtype;";

/* Migration n takes the schema from version n to n + 1. */
static const char *const migrations[] = { ddl_v1, ddl_v2 };

#define PG_SCHEMA_VERSION \
    ((int)(sizeof(migrations) / sizeof(migrations[0])))

static int
fail_sql(struct pg_store *s, struct scim_error *err, const char *what)
{
    char msg[512];
    size_t len;

    snprintf(msg, sizeof(msg), "%s", PQerrorMessage(s->pq));
    len = strlen(msg);
    while (len > 0 && msg[len - 1] == '\n')
        msg[--len] = '\0';
    scim_failf(err, 500, SCIM_CAUSE_INTERNAL, NULL, NULL,
               "cannot %s the database schema: %s", what, msg);
    return SCIM_ESTORE;
}

/* Returns the stored schema version (0 for a new database) or -1. */
static int
stored_version(struct pg_store *s)
{
    PGresult *r = PQexec(s->pq, "SELECT value FROM meta"
                                " WHERE key = 'schema_version'");
    int v = -1;

    if (pg_result_rc(s, r) == SCIM_OK)
        v = PQntuples(r) > 0 ? (int)strtol(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return v;
}

static int
set_version(struct pg_store *s, int v)
{
    char sql[160];

    snprintf(sql, sizeof(sql), "INSERT INTO meta VALUES ('schema_version',"
             " '%d') ON CONFLICT (key) DO UPDATE SET value = '%d'", v, v);
    return pg_exec_text(s, sql);
}

static int
migrate_body(struct pg_store *s, void *arg, struct scim_error *err)
{
    int v, rc;

    (void)arg;
    rc = pg_exec_text(s, "SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK
                         ")");
    if (rc == SCIM_OK)
        rc = pg_exec_text(s, "CREATE TABLE IF NOT EXISTS meta("
                             "key TEXT PRIMARY KEY, value TEXT)");
    if (rc != SCIM_OK)
        return rc == PG_ELOST ? rc : fail_sql(s, err, "lock");
    v = stored_version(s);
    if (v < 0)
        return fail_sql(s, err, "read");
    if (v > PG_SCHEMA_VERSION) {
        scim_failf(err, 500, SCIM_CAUSE_INTERNAL, NULL, NULL,
                   "the database schema is version %d, newer than this "
                   "scimd knows (%d); upgrade scimd", v, PG_SCHEMA_VERSION);
        return SCIM_ESTORE;
    }
    if (v == PG_SCHEMA_VERSION)
        return SCIM_OK;
    for (; v < PG_SCHEMA_VERSION; v++) {
        rc = pg_exec_text(s, migrations[v]);
        if (rc != SCIM_OK)
            return rc == PG_ELOST ? rc : fail_sql(s, err, "migrate");
    }
    rc = set_version(s, PG_SCHEMA_VERSION);
    return rc == SCIM_OK || rc == PG_ELOST ? rc : fail_sql(s, err, "update");
}

int
pg_migrate(struct pg_store *s, struct scim_error *err)
{
    int rc = pg_txn(s, 0, migrate_body, NULL, err);

    if (rc == SCIM_OK)
        return SCIM_OK;
    if (!scim_error_isset(err))
        scim_failf(err, 500, SCIM_CAUSE_INTERNAL, NULL, NULL,
                   "cannot create the database schema: the connection "
                   "to PostgreSQL was lost");
    return SCIM_ESTORE;
}
