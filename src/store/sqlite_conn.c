/* SPDX-License-Identifier: MIT */
/*
 * SQLite connections: pragmas, schema creation and migration, and a
 * per-connection cache of prepared statements. WAL mode lets readers
 * run beside the single writer; synchronous=FULL makes each commit
 * durable, and group commit (sqlite_writer.c) pays for its fsync once
 * per batch instead of once per request.
 */
#include <stdio.h>
#include <string.h>

#include "sqlite_db.h"


static const char *const ddl_v1 =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS tenants(id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE, config TEXT NOT NULL,"
    " config_version INTEGER NOT NULL, created TEXT);"
    "CREATE TABLE IF NOT EXISTS tokens(id INTEGER PRIMARY KEY,"
    " tenant_id INTEGER NOT NULL, hash TEXT NOT NULL UNIQUE,"
    " created TEXT);"
    "CREATE TABLE IF NOT EXISTS resources(seq INTEGER PRIMARY KEY,"
    " tenant_id INTEGER NOT NULL, rtype TEXT NOT NULL, id TEXT NOT NULL,"
    " external_id TEXT, name_key TEXT, display_key TEXT,"
    " active INTEGER NOT NULL, version INTEGER NOT NULL,"
    " created TEXT NOT NULL, modified TEXT NOT NULL, doc TEXT NOT NULL,"
    " fdoc TEXT NOT NULL, pw_hash TEXT);"
    "CREATE UNIQUE INDEX IF NOT EXISTS resources_id"
    " ON resources(tenant_id, id);"
    "CREATE UNIQUE INDEX IF NOT EXISTS resources_name"
    " ON resources(tenant_id, rtype, name_key);"
    "CREATE INDEX IF NOT EXISTS resources_ext"
    " ON resources(tenant_id, rtype, external_id);"
    "CREATE INDEX IF NOT EXISTS resources_display"
    " ON resources(tenant_id, rtype, display_key);"
    "CREATE INDEX IF NOT EXISTS resources_list"
    " ON resources(tenant_id, rtype, seq);"
    "CREATE TABLE IF NOT EXISTS emails(res_seq INTEGER NOT NULL,"
    " tenant_id INTEGER NOT NULL, value_key TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS emails_key ON emails(tenant_id, value_key);"
    "CREATE INDEX IF NOT EXISTS emails_res ON emails(res_seq);"
    "CREATE TABLE IF NOT EXISTS members(group_seq INTEGER NOT NULL,"
    " member_seq INTEGER NOT NULL, PRIMARY KEY(group_seq, member_seq))"
    " WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS members_member ON members(member_seq);"
    "CREATE TABLE IF NOT EXISTS scim_log(seq INTEGER PRIMARY KEY,"
    " request_id TEXT, time_ms INTEGER NOT NULL, tenant_id INTEGER,"
    " tenant TEXT, client TEXT, user_agent TEXT, method TEXT, path TEXT,"
    " status INTEGER, latency_us INTEGER, resource_id TEXT,"
    " user_name TEXT, emails TEXT, external_id TEXT, request_body TEXT,"
    " response_body TEXT, cause TEXT, attribute TEXT, detail TEXT,"
    " dialects TEXT, ignored TEXT);"
    "CREATE INDEX IF NOT EXISTS scim_log_time ON scim_log(time_ms);"
    "CREATE INDEX IF NOT EXISTS scim_log_tenant"
    " ON scim_log(tenant_id, time_ms);"
    "CREATE TABLE IF NOT EXISTS scim_log_keys(log_seq INTEGER NOT NULL,"
    " key TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS scim_log_keys_key"
    " ON scim_log_keys(key, log_seq);"
    "CREATE INDEX IF NOT EXISTS scim_log_keys_seq"
    " ON scim_log_keys(log_seq);";

/*
 * Version 2: exact per-tenant resource counts, kept in the same
 * transaction as each insert and delete, so that an unfiltered list
 * answers totalResults without counting a million rows on every page.
 */
static const char *const ddl_v2 =
    "CREATE TABLE IF NOT EXISTS resource_counts(tenant_id INTEGER NOT NULL,"
    " rtype TEXT NOT NULL, slot INTEGER NOT NULL, n INTEGER NOT NULL,"
    " PRIMARY KEY(tenant_id, rtype, slot));"
    "INSERT OR REPLACE INTO resource_counts SELECT tenant_id, rtype, 0,"
    " count(*) FROM resources GROUP BY tenant_id, rtype;";

/*
 * Version 3: the SCIM log keeps one time index. Every request writes a
 * record; a second index by tenant cost a tenth of read throughput, and
 * tenant queries are served by the time index just as well.
 */
static const char *const ddl_v3 =
    "DROP INDEX IF EXISTS scim_log_tenant;";

/* Migration n takes the schema from version n to n + 1. */
static const char *const migrations[] = { ddl_v1, ddl_v2, ddl_v3 };

#define SQ_SCHEMA_VERSION \
    ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
sq_connect(const char *path, sqlite3 **out, struct scim_error *err)
{
    sqlite3 *c = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                SQLITE_OPEN_NOMUTEX;

    *out = NULL;
    if (sqlite3_open_v2(path, &c, flags, NULL) != SQLITE_OK) {
        scim_failf(err, 500, SCIM_CAUSE_INTERNAL, NULL, NULL,
                   "cannot open database %s: %s", path,
                   c != NULL ? sqlite3_errmsg(c) : "out of memory");
        sqlite3_close(c);
        return SCIM_ESTORE;
    }
    sqlite3_busy_timeout(c, 10000);
    sqlite3_exec(c, "PRAGMA journal_mode=WAL;", NULL, NULL, NULL);
    sqlite3_exec(c, "PRAGMA synchronous=FULL;", NULL, NULL, NULL);
    sqlite3_exec(c, "PRAGMA temp_store=MEMORY;", NULL, NULL, NULL);
    /* Every request appends to the SCIM log: checkpointing the WAL
     * less often copies each hot page back once instead of many times. */
    sqlite3_exec(c, "PRAGMA wal_autocheckpoint=10000;", NULL, NULL, NULL);
    /* Readers are many and the OS caches the file: keep each small. */
    sqlite3_exec(c, "PRAGMA cache_size=-2000;", NULL, NULL, NULL);
    *out = c;
    return SCIM_OK;
}

static int
schema_version(sqlite3 *c)
{
    sqlite3_stmt *st = NULL;
    int v = 0;

    if (sqlite3_prepare_v2(c, "SELECT value FROM meta WHERE key ="
                           " 'schema_version'", -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

int
sq_migrate(sqlite3 *c, struct scim_error *err)
{
    char *msg = NULL, sql[96];
    int v;

    if (schema_version(c) == SQ_SCHEMA_VERSION)
        return SCIM_OK;
    /* BEGIN IMMEDIATE serialises concurrent first openers. */
    if (sqlite3_exec(c, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
        goto fail;
    /* The meta table may not exist yet: then this reads 0. */
    for (v = schema_version(c); v < SQ_SCHEMA_VERSION; v++)
        if (sqlite3_exec(c, migrations[v], NULL, NULL, &msg) != SQLITE_OK)
            goto fail;
    snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO meta VALUES"
             " ('schema_version', '%d')", SQ_SCHEMA_VERSION);
    if (sqlite3_exec(c, sql, NULL, NULL, &msg) != SQLITE_OK)
        goto fail;
    if (sqlite3_exec(c, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
        goto fail;
    return SCIM_OK;

fail:
    scim_failf(err, 500, SCIM_CAUSE_INTERNAL, NULL, NULL,
               "cannot create the database schema: %s",
               msg != NULL ? msg : sqlite3_errmsg(c));
    sqlite3_free(msg);
    sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
    return SCIM_ESTORE;
}

sqlite3_stmt *
sq_stmt(sqlite3 *c, const char *sql)
{
    sqlite3_stmt *st = NULL;

    /* The statements of a connection double as its cache, keyed by
     * their SQL text; there are few, so a walk is cheap. */
    while ((st = sqlite3_next_stmt(c, st)) != NULL) {
        if (strcmp(sqlite3_sql(st), sql) == 0 && !sqlite3_stmt_busy(st)) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return st;
        }
    }
    if (sqlite3_prepare_v3(c, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
                           NULL) != SQLITE_OK)
        return NULL;
    return st;
}

void
sq_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v == NULL)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}
