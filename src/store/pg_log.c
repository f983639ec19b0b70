/* SPDX-License-Identifier: MIT */
/*
 * The SCIM exchange log on PostgreSQL: writing records, reading them
 * back for scimctl log and diagnose, and pruning by retention. A record
 * and its search keys go in with one statement (a data-modifying CTE).
 * Log-only records are not queued: each is written on the caller's own
 * connection in a transaction with synchronous_commit off, which
 * returns without waiting for the disk; the server's WAL writer makes
 * it durable within its wal_writer_delay (200 ms by default). A request
 * thus never waits for a flush, its own or another request's.
 */
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "pg_db.h"
#include "store_sql.h"

static void
add_record(struct pg_params *p, const struct store_log *r)
{
    pg_p_text(p, r->request_id);
    pg_p_int(p, r->time_ms);
    if (r->tenant_id > 0)
        pg_p_int(p, r->tenant_id);
    else
        pg_p_text(p, NULL);
    pg_p_text(p, r->tenant);
    pg_p_text(p, r->client);
    pg_p_text(p, r->user_agent);
    pg_p_text(p, r->method);
    pg_p_text(p, r->path);
    pg_p_int(p, r->status);
    pg_p_int(p, r->latency_us);
    pg_p_text(p, r->resource_id);
    pg_p_text(p, r->user_name);
    pg_p_text(p, r->emails);
    pg_p_text(p, r->external_id);
    pg_p_text(p, r->request_body);
    pg_p_text(p, r->response_body);
    pg_p_text(p, r->cause);
    pg_p_text(p, r->attribute);
    pg_p_text(p, r->detail);
    pg_p_text(p, r->dialects);
    pg_p_text(p, r->ignored);
}

int
pg_log_insert(struct pg_store *s, const struct store_log *rec)
{
    static const struct pg_sql q = { "log_insert",
        "WITH l AS (INSERT INTO scim_log(request_id, time_ms, tenant_id,"
        " tenant, client, user_agent, method, path, status, latency_us,"
        " resource_id, user_name, emails, external_id, request_body,"
        " response_body, cause, attribute, detail, dialects, ignored)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
        " $14, $15, $16, $17, $18, $19, $20, $21) RETURNING seq)"
        " INSERT INTO scim_log_keys(log_seq, key)"
        " SELECT l.seq, k FROM l, jsonb_array_elements_text($22::jsonb) k" };
    struct pg_params p = { 0 };
    json_t *keys = store_log_keys(rec);
    char *text = keys != NULL ? json_dumps(keys, JSON_COMPACT) : NULL;
    int rc;

    json_decref(keys);
    if (text == NULL)
        return SCIM_ENOMEM;
    add_record(&p, rec);
    pg_p_text(&p, text);
    rc = pg_exec(s, &q, &p, NULL, 0);
    free(text);
    return rc;
}

/* Limitation: a log-only record whose asynchronous commit has not yet
 * reached the disk is lost if the database server crashes within
 * wal_writer_delay; the request it describes changed nothing, and a
 * durable commit would make every read request wait for a flush. */
static int
append_body(struct pg_store *s, void *arg, struct scim_error *err)
{
    (void)err;
    return pg_log_insert(s, arg);
}

int
pg_log_append(struct store *base, const struct store_log *rec)
{
    int rc = pg_txn((struct pg_store *)base, 1, append_body, (void *)rec,
                    NULL);

    if (rc == SCIM_OK || rc == SCIM_ENOMEM)
        return rc;
    return SCIM_ESTORE;
}

static int
is_int_col(int i)
{
    return strcmp(store_log_cols[i], "time_ms") == 0 ||
           strcmp(store_log_cols[i], "status") == 0 ||
           strcmp(store_log_cols[i], "latency_us") == 0;
}

static json_t *
row_json(const PGresult *r, int row)
{
    json_t *o = json_object();
    int i;

    for (i = 0; o != NULL && store_log_cols[i] != NULL; i++) {
        json_t *v;

        if (PQgetisnull(r, row, i))
            v = json_null();
        else if (is_int_col(i))
            v = json_integer(pg_int(r, row, i));
        else
            v = json_string(PQgetvalue(r, row, i));
        json_object_set_new(o, store_log_cols[i], v);
    }
    if (o != NULL)
        store_log_row_finish(o);
    return o;
}

int
pg_log_query(struct store *base, const struct store_log_query *q,
             json_t **out)
{
    char *key = q->user != NULL ? scim_fold(q->user, strlen(q->user)) : NULL;
    struct sql_buf b;
    PGresult *r = NULL;
    int i, rc;

    *out = json_array();
    sql_buf_init(&b, SQLGEN_PG);
    store_sql_log_query(&b, q, key);
    rc = *out == NULL || (q->user != NULL && key == NULL) ? SCIM_ENOMEM
             : pg_exec_buf((struct pg_store *)base, &b, &r, 1);
    for (i = 0; rc == SCIM_OK && i < PQntuples(r); i++)
        json_array_append_new(*out, row_json(r, i));
    PQclear(r);
    sql_buf_free(&b);
    scim_free(key);
    if (rc == SCIM_OK || rc == SCIM_ENOMEM)
        return rc;
    return SCIM_ESTORE;
}

int
pg_log_prune(struct store *base, int64_t tenant, int64_t before_ms)
{
    static const struct pg_sql q = { "log_prune",
        "WITH d AS (DELETE FROM scim_log WHERE tenant_id = $1"
        " AND time_ms < $2 RETURNING seq)"
        " DELETE FROM scim_log_keys WHERE log_seq IN (SELECT seq FROM d)" };
    struct pg_params p = { 0 };

    pg_p_int(&p, tenant);
    pg_p_int(&p, before_ms);
    return pg_write((struct pg_store *)base, &q, &p, NULL) == SCIM_OK
               ? SCIM_OK : SCIM_ESTORE;
}
