/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL backend, for several scimd processes on one database.
 * Each handle (each worker thread) owns one libpq connection with its
 * own prepared statements; store_clone opens another. Reads go straight
 * to the connection and are retried once on a fresh one if it was lost.
 * Writes run in the worker's own READ COMMITTED transaction
 * (pg_apply.c); there is no writer thread and no group commit, because
 * the server already lets many transactions commit at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_db.h"
#include "store_sql.h"

#define PG_NOW_S "to_char(now() AT TIME ZONE 'UTC'," \
                 " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static const struct store_ops pg_ops;

static struct pg_store *
pg(struct store *base)
{
    return (struct pg_store *)base;
}

static int
open_handle(const char *url, int migrate, struct store **out,
            struct scim_error *err)
{
    struct pg_store *s = calloc(1, sizeof(*s));
    int rc;

    *out = NULL;
    if (s == NULL || (s->url = strdup(url)) == NULL) {
        free(s);
        return SCIM_ENOMEM;
    }
    s->base.ops = &pg_ops;
    rc = pg_connect(url, &s->pq, err);
    if (rc == SCIM_OK && migrate)
        rc = pg_migrate(s, err);
    if (rc != SCIM_OK) {
        PQfinish(s->pq);
        free(s->url);
        free(s);
        return rc;
    }
    *out = &s->base;
    return SCIM_OK;
}

int
pg_store_open(const char *url, struct store **out, struct scim_error *err)
{
    return open_handle(url, 1, out, err);
}

static int
pg_clone(struct store *base, struct store **out, struct scim_error *err)
{
    /* The first handle migrated the schema already. */
    return open_handle(pg(base)->url, 0, out, err);
}

static void
pg_close(struct store *base)
{
    struct pg_store *s = pg(base);

    PQfinish(s->pq);
    free(s->url);
    free(s);
}

static int
pg_tenant_add(struct store *base, const char *name, const char *config,
              struct scim_error *err)
{
    static const struct pg_sql q = { "tenant_add",
        "INSERT INTO tenants(name, config, config_version, created)"
        " VALUES ($1, $2, 1, " PG_NOW_S ")" };
    struct pg_params p = { 0 };
    int rc;

    pg_p_text(&p, name);
    pg_p_text(&p, config);
    rc = pg_write(pg(base), &q, &p, NULL);
    if (rc == PG_EUNIQUE) {
        scim_failf(err, 409, SCIM_CAUSE_UNIQUENESS, "uniqueness", "tenant",
                   "tenant '%s' already exists", name);
        return SCIM_ECONFLICT;
    }
    return rc == SCIM_OK ? SCIM_OK : SCIM_ESTORE;
}

static void
read_tenant(const PGresult *r, int row, struct store_tenant *out)
{
    out->id = pg_int(r, row, 0);
    out->name = pg_dup(r, row, 1);
    out->config = pg_dup(r, row, 2);
    out->config_version = pg_int(r, row, 3);
}

static int
pg_tenant_get(struct store *base, const char *name, int64_t id,
              struct store_tenant *out)
{
    static const struct pg_sql q = { "tenant_get",
        "SELECT id, name, config, config_version FROM tenants"
        " WHERE name = $1 OR id = $2" };
    struct pg_params p = { 0 };
    PGresult *r = NULL;
    int rc;

    pg_p_text(&p, name);
    pg_p_int(&p, name != NULL ? -1 : id);
    rc = pg_exec(pg(base), &q, &p, &r, 1);
    if (rc != SCIM_OK)
        return SCIM_ESTORE;
    if (PQntuples(r) == 0)
        rc = SCIM_ENOTFOUND;
    else
        read_tenant(r, 0, out);
    PQclear(r);
    if (rc == SCIM_OK && (out->name == NULL || out->config == NULL))
        return SCIM_ENOMEM;
    return rc;
}

static int
pg_tenant_set_config(struct store *base, const char *name,
                     const char *config)
{
    static const struct pg_sql q = { "tenant_set_config",
        "UPDATE tenants SET config = $1,"
        " config_version = config_version + 1 WHERE name = $2" };
    struct pg_params p = { 0 };
    PGresult *r = NULL;
    int rc;

    pg_p_text(&p, config);
    pg_p_text(&p, name);
    rc = pg_write(pg(base), &q, &p, &r);
    if (rc != SCIM_OK)
        return SCIM_ESTORE;
    rc = strcmp(PQcmdTuples(r), "1") == 0 ? SCIM_OK : SCIM_ENOTFOUND;
    PQclear(r);
    return rc;
}

static int
pg_tenant_list(struct store *base, struct store_tenant **out, size_t *n)
{
    static const struct pg_sql q = { "tenant_list",
        "SELECT id, name, config, config_version FROM tenants"
        " ORDER BY id" };
    PGresult *r = NULL;
    int i, rows;

    *out = NULL;
    *n = 0;
    if (pg_exec(pg(base), &q, NULL, &r, 1) != SCIM_OK)
        return SCIM_ESTORE;
    rows = PQntuples(r);
    *out = calloc(rows > 0 ? (size_t)rows : 1, sizeof(**out));
    if (*out == NULL) {
        PQclear(r);
        return SCIM_ENOMEM;
    }
    for (i = 0; i < rows; i++)
        read_tenant(r, i, &(*out)[i]);
    *n = (size_t)rows;
    PQclear(r);
    return SCIM_OK;
}

static int
pg_token_add(struct store *base, int64_t tenant, const char *hash)
{
    static const struct pg_sql q = { "token_add",
        "INSERT INTO tokens(tenant_id, hash, created)"
        " VALUES ($1, $2, " PG_NOW_S ")" };
    struct pg_params p = { 0 };

    pg_p_int(&p, tenant);
    pg_p_text(&p, hash);
    return pg_write(pg(base), &q, &p, NULL) == SCIM_OK ? SCIM_OK
                                                      : SCIM_ESTORE;
}

static int
pg_token_list(struct store *base, int64_t tenant, json_t **out)
{
    static const struct pg_sql q = { "token_list",
        "SELECT id, substr(hash, 1, 8), created FROM tokens"
        " WHERE tenant_id = $1 ORDER BY id" };
    struct pg_params p = { 0 };
    PGresult *r = NULL;
    int i;

    *out = json_array();
    pg_p_int(&p, tenant);
    if (*out == NULL || pg_exec(pg(base), &q, &p, &r, 1) != SCIM_OK)
        return SCIM_ESTORE;
    for (i = 0; i < PQntuples(r); i++)
        json_array_append_new(*out, json_pack("{s:I, s:s, s:s?}", "id",
            (json_int_t)pg_int(r, i, 0), "fingerprint",
            PQgetvalue(r, i, 1), "created",
            PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2)));
    PQclear(r);
    return SCIM_OK;
}

static int
pg_token_revoke(struct store *base, int64_t tenant, int64_t id)
{
    static const struct pg_sql q = { "token_revoke",
        "DELETE FROM tokens WHERE tenant_id = $1 AND id = $2"
        " RETURNING id" };
    struct pg_params p = { 0 };
    PGresult *r = NULL;
    int rc;

    pg_p_int(&p, tenant);
    pg_p_int(&p, id);
    if (pg_write(pg(base), &q, &p, &r) != SCIM_OK)
        return SCIM_ESTORE;
    rc = PQntuples(r) > 0 ? SCIM_OK : SCIM_ENOTFOUND;
    PQclear(r);
    return rc;
}

static int
pg_token_lookup(struct store *base, const char *hash, int64_t *tenant,
                int64_t *config_version)
{
    static const struct pg_sql q = { "token_lookup",
        "SELECT k.tenant_id, t.config_version FROM tokens k"
        " JOIN tenants t ON t.id = k.tenant_id WHERE k.hash = $1" };
    struct pg_params p = { 0 };
    PGresult *r = NULL;
    int rc;

    pg_p_text(&p, hash);
    if (pg_exec(pg(base), &q, &p, &r, 1) != SCIM_OK)
        return SCIM_ESTORE;
    rc = PQntuples(r) > 0 ? SCIM_OK : SCIM_ENOTFOUND;
    if (rc == SCIM_OK) {
        *tenant = pg_int(r, 0, 0);
        *config_version = pg_int(r, 0, 1);
    }
    PQclear(r);
    return rc;
}

static void
read_res(const PGresult *r, int row, struct store_res *out)
{
    out->seq = pg_int(r, row, 0);
    out->id = pg_dup(r, row, 1);
    out->rtype = pg_dup(r, row, 2);
    out->doc = pg_dup(r, row, 3);
    out->version = pg_int(r, row, 4);
    out->active = (int)pg_int(r, row, 5);
}

static int
pg_get(struct store *base, int64_t tenant, const char *rtype,
       const char *id, struct store_res *out)
{
    static const struct pg_sql q = { "get",
        "SELECT seq, id, rtype, doc, version, active FROM resources"
        " WHERE tenant_id = $1 AND id = $2 AND rtype = $3" };
    struct pg_params p = { 0 };
    PGresult *r = NULL;
    int rc;

    pg_p_int(&p, tenant);
    pg_p_text(&p, id);
    pg_p_text(&p, rtype);
    if (pg_exec(pg(base), &q, &p, &r, 1) != SCIM_OK)
        return SCIM_ESTORE;
    rc = PQntuples(r) > 0 ? SCIM_OK : SCIM_ENOTFOUND;
    if (rc == SCIM_OK)
        read_res(r, 0, out);
    PQclear(r);
    if (rc == SCIM_OK && out->doc == NULL)
        return SCIM_ENOMEM;
    return rc;
}

/* Appends "FROM resources r WHERE tenant AND rtype [AND (filter)]". */
static int
run_count(struct pg_store *s, int64_t tenant, const struct store_search *q,
          long *total, struct scim_error *err)
{
    struct sql_buf b;
    PGresult *r = NULL;
    int rc;

    sql_buf_init(&b, SQLGEN_PG);
    rc = store_sql_count(&b, tenant, q, err);
    if (rc == SCIM_OK)
        rc = pg_exec_buf(s, &b, &r, 1) == SCIM_OK ? SCIM_OK : SCIM_ESTORE;
    if (rc == SCIM_OK)
        *total = (long)pg_int(r, 0, 0);
    PQclear(r);
    sql_buf_free(&b);
    return rc;
}

static int
collect(const PGresult *r, struct store_page *out)
{
    int i, rows = PQntuples(r);

    out->items = calloc(rows > 0 ? (size_t)rows : 1, sizeof(*out->items));
    if (out->items == NULL)
        return SCIM_ENOMEM;
    for (i = 0; i < rows; i++)
        read_res(r, i, &out->items[out->nitems++]);
    return SCIM_OK;
}

static int
run_page(struct pg_store *s, int64_t tenant, const struct store_search *q,
         struct store_page *out, struct scim_error *err)
{
    struct sql_buf b;
    PGresult *r = NULL;
    int rc;

    sql_buf_init(&b, SQLGEN_PG);
    rc = store_sql_page(&b, tenant, q, err);
    if (rc == SCIM_OK)
        rc = pg_exec_buf(s, &b, &r, 1) == SCIM_OK ? SCIM_OK : SCIM_ESTORE;
    if (rc == SCIM_OK)
        rc = collect(r, out);
    PQclear(r);
    sql_buf_free(&b);
    return rc;
}

static int
pg_count(struct store *base, int64_t tenant, const struct store_search *q,
         long *total, struct scim_error *err)
{
    return run_count(pg(base), tenant, q, total, err);
}

static int
pg_page(struct store *base, int64_t tenant, const struct store_search *q,
        struct store_page *out, struct scim_error *err)
{
    return run_page(pg(base), tenant, q, out, err);
}

static json_t *
link_obj(const PGresult *r, int row)
{
    const char *id = PQgetvalue(r, row, 0);
    const char *rtype = PQgetvalue(r, row, 1);
    json_t *o = json_object();
    char ref[160];

    if (o == NULL)
        return NULL;
    json_object_set_new(o, "value", json_string(id));
    if (!PQgetisnull(r, row, 2))
        json_object_set_new(o, "display",
                            json_string(PQgetvalue(r, row, 2)));
    snprintf(ref, sizeof(ref), "%s/%s",
             strcmp(rtype, "Group") == 0 ? "Groups" : "Users", id);
    json_object_set_new(o, "$ref", json_string(ref));
    json_object_set_new(o, "type", json_string(rtype));
    return o;
}

static int
list_links(struct pg_store *s, const struct pg_sql *q, int64_t tenant,
           const char *id, json_t **out)
{
    struct pg_params p = { 0 };
    PGresult *r = NULL;
    json_t *arr;
    int i;

    *out = NULL;
    pg_p_int(&p, tenant);
    pg_p_text(&p, id);
    if (pg_exec(s, q, &p, &r, 1) != SCIM_OK)
        return SCIM_ESTORE;
    arr = json_array();
    for (i = 0; arr != NULL && i < PQntuples(r); i++)
        json_array_append_new(arr, link_obj(r, i));
    PQclear(r);
    *out = arr;
    return arr != NULL ? SCIM_OK : SCIM_ENOMEM;
}

static int
pg_members(struct store *base, int64_t tenant, const char *group_id,
           json_t **out)
{
    static const struct pg_sql q = { "members",
        "SELECT u.id, u.rtype, coalesce(d.j->>'displayName',"
        " d.j->>'userName')"
        " FROM resources g JOIN members m ON m.group_seq = g.seq"
        " JOIN resources u ON u.seq = m.member_seq"
        " CROSS JOIN LATERAL (SELECT u.doc::jsonb AS j) d"
        " WHERE g.tenant_id = $1 AND g.id = $2 ORDER BY m.member_seq" };

    return list_links(pg(base), &q, tenant, group_id, out);
}

static int
pg_groups_of(struct store *base, int64_t tenant, const char *user_id,
             json_t **out)
{
    static const struct pg_sql q = { "groups_of",
        "SELECT g.id, g.rtype, g.doc::jsonb->>'displayName'"
        " FROM resources u JOIN members m ON m.member_seq = u.seq"
        " JOIN resources g ON g.seq = m.group_seq"
        " WHERE u.tenant_id = $1 AND u.id = $2 ORDER BY g.seq" };

    return list_links(pg(base), &q, tenant, user_id, out);
}

static const struct store_ops pg_ops = {
    .name = "postgresql",
    .clone = pg_clone,
    .close = pg_close,
    .tenant_add = pg_tenant_add,
    .tenant_get = pg_tenant_get,
    .tenant_set_config = pg_tenant_set_config,
    .tenant_list = pg_tenant_list,
    .token_add = pg_token_add,
    .token_lookup = pg_token_lookup,
    .token_list = pg_token_list,
    .token_revoke = pg_token_revoke,
    .get = pg_get,
    .count = pg_count,
    .page = pg_page,
    .members = pg_members,
    .groups_of = pg_groups_of,
    .apply = pg_apply,
    .log_append = pg_log_append,
    .log_query = pg_log_query,
    .log_prune = pg_log_prune,
};
