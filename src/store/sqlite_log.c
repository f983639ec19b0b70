/* SPDX-License-Identifier: MIT */
/*
 * Reading the SCIM exchange log back for scimctl log and diagnose, and
 * pruning it by retention. A user is found through scim_log_keys, which
 * holds the folded userName, emails, externalId and resource id of every
 * record, so support can search by whatever they were given.
 */
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "sqlgen.h"
#include "sqlite_db.h"
#include "store_sql.h"

static json_t *
row_json(sqlite3_stmt *st)
{
    json_t *o = json_object();
    int i;

    for (i = 0; store_log_cols[i] != NULL; i++) {
        int t = sqlite3_column_type(st, i);

        if (t == SQLITE_NULL)
            json_object_set_new(o, store_log_cols[i], json_null());
        else if (t == SQLITE_INTEGER)
            json_object_set_new(o, store_log_cols[i],
                                json_integer(sqlite3_column_int64(st, i)));
        else
            json_object_set_new(o, store_log_cols[i], json_string(
                (const char *)sqlite3_column_text(st, i)));
    }
    store_log_row_finish(o);
    return o;
}

static void
bind_all(sqlite3_stmt *st, const struct sql_buf *b)
{
    size_t i;

    for (i = 0; i < b->nparams; i++) {
        if (b->params[i].type == SQL_P_TEXT)
            sqlite3_bind_text(st, (int)i + 1, b->params[i].text, -1,
                              SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, (int)i + 1, b->params[i].i);
    }
}

int
sq_log_query(struct store *base, const struct store_log_query *q,
             json_t **out)
{
    sqlite3 *c = ((struct sq_store *)base)->conn;
    char *key = q->user != NULL ? scim_fold(q->user, strlen(q->user)) : NULL;
    struct sql_buf b;
    sqlite3_stmt *st = NULL;
    int rc = SCIM_OK;

    *out = json_array();
    sql_buf_init(&b, SQLGEN_SQLITE);
    store_sql_log_query(&b, q, key);
    if (b.oom || *out == NULL ||
        sqlite3_prepare_v2(c, b.sql, -1, &st, NULL) != SQLITE_OK) {
        rc = SCIM_ESTORE;
        goto out;
    }
    bind_all(st, &b);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(*out, row_json(st));

out:
    sqlite3_finalize(st);
    sql_buf_free(&b);
    scim_free(key);
    return rc;
}

int
sq_log_prune(struct store *base, int64_t tenant, int64_t before_ms)
{
    sqlite3 *c = ((struct sq_store *)base)->conn;
    sqlite3_stmt *st;
    int rc;

    /* Keys first, while the records they point at still exist. */
    st = sq_stmt(c, "DELETE FROM scim_log_keys WHERE log_seq IN"
                    " (SELECT seq FROM scim_log WHERE tenant_id = ?"
                    " AND time_ms < ?)");
    if (st == NULL)
        return SCIM_ESTORE;
    sqlite3_bind_int64(st, 1, tenant);
    sqlite3_bind_int64(st, 2, before_ms);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return SCIM_ESTORE;
    st = sq_stmt(c, "DELETE FROM scim_log WHERE tenant_id = ?"
                    " AND time_ms < ?");
    if (st == NULL)
        return SCIM_ESTORE;
    sqlite3_bind_int64(st, 1, tenant);
    sqlite3_bind_int64(st, 2, before_ms);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SCIM_OK : SCIM_ESTORE;
}
