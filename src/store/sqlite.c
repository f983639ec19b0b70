/* SPDX-License-Identifier: MIT */
/*
 * The SQLite backend: the embedded default, zero configuration. Every
 * thread reads through its own connection; all writes go through the
 * database's writer thread (sqlite_writer.c). Handles opened on the same
 * file in one process share that writer, found in a small list here.
 */
#include <stdlib.h>
#include <string.h>

#include "sqlgen.h"
#include "sqlite_db.h"
#include "store_sql.h"

static pthread_mutex_t dbs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sq_db *dbs;

static const struct store_ops sqlite_ops;

static struct sq_db *
db_acquire(const char *path, struct scim_error *err)
{
    struct sq_db *db;

    for (db = dbs; db != NULL; db = db->next)
        if (strcmp(db->path, path) == 0) {
            db->refs++;
            return db;
        }
    db = calloc(1, sizeof(*db));
    if (db == NULL || (db->path = strdup(path)) == NULL)
        goto fail;
    if (sq_connect(path, &db->wconn, err) != SCIM_OK ||
        sq_migrate(db->wconn, err) != SCIM_OK)
        goto fail;
    /* The one writer updates every index: give it a larger cache. */
    sqlite3_exec(db->wconn, "PRAGMA cache_size=-8000;", NULL, NULL, NULL);
    pthread_mutex_init(&db->lock, NULL);
    pthread_cond_init(&db->wake, NULL);
    pthread_cond_init(&db->done, NULL);
    db->jobs_tail = &db->jobs;
    db->logs_tail = &db->logs;
    if (pthread_create(&db->writer, NULL, sq_writer_main, db) != 0)
        goto fail;
    db->writer_running = 1;
    db->refs = 1;
    db->next = dbs;
    dbs = db;
    return db;

fail:
    if (db != NULL) {
        sqlite3_close(db->wconn);
        free(db->path);
        free(db);
    }
    return NULL;
}

static void
close_conn(sqlite3 *c)
{
    sqlite3_stmt *st;

    while ((st = sqlite3_next_stmt(c, NULL)) != NULL)
        sqlite3_finalize(st);
    sqlite3_close(c);
}

static void
db_release(struct sq_db *db)
{
    struct sq_db **pp;

    if (--db->refs > 0)
        return;
    for (pp = &dbs; *pp != NULL; pp = &(*pp)->next)
        if (*pp == db) {
            *pp = db->next;
            break;
        }
    pthread_mutex_lock(&db->lock);
    db->stop = 1;
    pthread_cond_signal(&db->wake);
    pthread_mutex_unlock(&db->lock);
    pthread_join(db->writer, NULL);
    close_conn(db->wconn);
    pthread_mutex_destroy(&db->lock);
    pthread_cond_destroy(&db->wake);
    pthread_cond_destroy(&db->done);
    free(db->path);
    free(db);
}

static int
open_handle(const char *path, struct store **out, struct scim_error *err)
{
    struct sq_store *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return SCIM_ENOMEM;
    s->base.ops = &sqlite_ops;
    pthread_mutex_lock(&dbs_lock);
    s->db = db_acquire(path, err);
    pthread_mutex_unlock(&dbs_lock);
    if (s->db == NULL) {
        free(s);
        scim_failf(err, 500, SCIM_CAUSE_INTERNAL, NULL, NULL,
                   "cannot open database %s", path);
        return SCIM_ESTORE;
    }
    if (sq_connect(path, &s->conn, err) != SCIM_OK) {
        pthread_mutex_lock(&dbs_lock);
        db_release(s->db);
        pthread_mutex_unlock(&dbs_lock);
        free(s);
        return SCIM_ESTORE;
    }
    *out = &s->base;
    return SCIM_OK;
}

int
sqlite_store_open(const char *path, struct store **out,
                  struct scim_error *err)
{
    return open_handle(path, out, err);
}

static int
sq_clone(struct store *base, struct store **out, struct scim_error *err)
{
    struct sq_store *s = (struct sq_store *)base;

    return open_handle(s->db->path, out, err);
}

static void
sq_close(struct store *base)
{
    struct sq_store *s = (struct sq_store *)base;

    close_conn(s->conn);
    pthread_mutex_lock(&dbs_lock);
    db_release(s->db);
    pthread_mutex_unlock(&dbs_lock);
    free(s);
}

static sqlite3 *
conn(struct store *base)
{
    return ((struct sq_store *)base)->conn;
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    return t == NULL ? NULL : strdup((const char *)t);
}

static int
sq_tenant_add(struct store *base, const char *name, const char *config,
              struct scim_error *err)
{
    sqlite3_stmt *st = sq_stmt(conn(base),
        "INSERT INTO tenants(name, config, config_version, created)"
        " VALUES (?, ?, 1, strftime('%Y-%m-%dT%H:%M:%SZ'))");
    int rc;

    if (st == NULL)
        return SCIM_ESTORE;
    sq_bind_text(st, 1, name);
    sq_bind_text(st, 2, config);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_CONSTRAINT)
    {
        scim_failf(err, 409, SCIM_CAUSE_UNIQUENESS, "uniqueness", "tenant",
                   "tenant '%s' already exists", name);
        return SCIM_ECONFLICT;
    }
    return rc == SQLITE_DONE ? SCIM_OK : SCIM_ESTORE;
}

static void
read_tenant(sqlite3_stmt *st, struct store_tenant *out)
{
    out->id = sqlite3_column_int64(st, 0);
    out->name = col_dup(st, 1);
    out->config = col_dup(st, 2);
    out->config_version = sqlite3_column_int64(st, 3);
}

static int
sq_tenant_get(struct store *base, const char *name, int64_t id,
              struct store_tenant *out)
{
    sqlite3_stmt *st = sq_stmt(conn(base),
        "SELECT id, name, config, config_version FROM tenants"
        " WHERE name = ? OR id = ?");
    int rc;

    if (st == NULL)
        return SCIM_ESTORE;
    sq_bind_text(st, 1, name);
    sqlite3_bind_int64(st, 2, name != NULL ? -1 : id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_tenant(st, out);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return out->name != NULL ? SCIM_OK : SCIM_ENOMEM;
    return rc == SQLITE_DONE ? SCIM_ENOTFOUND : SCIM_ESTORE;
}

static int
sq_tenant_set_config(struct store *base, const char *name,
                     const char *config)
{
    sqlite3_stmt *st = sq_stmt(conn(base),
        "UPDATE tenants SET config = ?, config_version = config_version + 1"
        " WHERE name = ?");
    int rc;

    if (st == NULL)
        return SCIM_ESTORE;
    sq_bind_text(st, 1, config);
    sq_bind_text(st, 2, name);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return SCIM_ESTORE;
    return sqlite3_changes(conn(base)) == 1 ? SCIM_OK : SCIM_ENOTFOUND;
}

static int
sq_tenant_list(struct store *base, struct store_tenant **out, size_t *n)
{
    sqlite3_stmt *st = sq_stmt(conn(base),
        "SELECT id, name, config, config_version FROM tenants ORDER BY id");
    struct store_tenant *v = NULL, *nv;
    size_t k = 0;

    *out = NULL;
    *n = 0;
    if (st == NULL)
        return SCIM_ESTORE;
    while (sqlite3_step(st) == SQLITE_ROW) {
        nv = realloc(v, (k + 1) * sizeof(*v));
        if (nv == NULL)
            break;
        v = nv;
        read_tenant(st, &v[k++]);
    }
    sqlite3_reset(st);
    *out = v;
    *n = k;
    return SCIM_OK;
}

static int
sq_token_add(struct store *base, int64_t tenant, const char *hash)
{
    sqlite3_stmt *st = sq_stmt(conn(base),
        "INSERT INTO tokens(tenant_id, hash, created)"
        " VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ'))");
    int rc;

    if (st == NULL)
        return SCIM_ESTORE;
    sqlite3_bind_int64(st, 1, tenant);
    sq_bind_text(st, 2, hash);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SCIM_OK : SCIM_ESTORE;
}

static int
sq_token_list(struct store *base, int64_t tenant, json_t **out)
{
    sqlite3_stmt *st = sq_stmt(conn(base),
        "SELECT id, substr(hash, 1, 8), created FROM tokens"
        " WHERE tenant_id = ? ORDER BY id");
    int rc;

    *out = json_array();
    if (st == NULL || *out == NULL)
        return SCIM_ESTORE;
    sqlite3_bind_int64(st, 1, tenant);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(*out, json_pack("{s:I, s:s, s:s?}", "id",
            (json_int_t)sqlite3_column_int64(st, 0), "fingerprint",
            (const char *)sqlite3_column_text(st, 1), "created",
            (const char *)sqlite3_column_text(st, 2)));
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SCIM_OK : SCIM_ESTORE;
}

static int
sq_token_revoke(struct store *base, int64_t tenant, int64_t id)
{
    sqlite3_stmt *st = sq_stmt(conn(base),
        "DELETE FROM tokens WHERE tenant_id = ? AND id = ?");
    int rc;

    if (st == NULL)
        return SCIM_ESTORE;
    sqlite3_bind_int64(st, 1, tenant);
    sqlite3_bind_int64(st, 2, id);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return SCIM_ESTORE;
    return sqlite3_changes(conn(base)) > 0 ? SCIM_OK : SCIM_ENOTFOUND;
}

static int
sq_token_lookup(struct store *base, const char *hash, int64_t *tenant,
                int64_t *config_version)
{
    sqlite3_stmt *st = sq_stmt(conn(base),
        "SELECT k.tenant_id, t.config_version FROM tokens k"
        " JOIN tenants t ON t.id = k.tenant_id WHERE k.hash = ?");
    int rc;

    if (st == NULL)
        return SCIM_ESTORE;
    sq_bind_text(st, 1, hash);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *tenant = sqlite3_column_int64(st, 0);
        *config_version = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return SCIM_OK;
    return rc == SQLITE_DONE ? SCIM_ENOTFOUND : SCIM_ESTORE;
}

static void
read_res(sqlite3_stmt *st, struct store_res *r)
{
    r->seq = sqlite3_column_int64(st, 0);
    r->id = col_dup(st, 1);
    r->rtype = col_dup(st, 2);
    r->doc = col_dup(st, 3);
    r->version = sqlite3_column_int64(st, 4);
    r->active = sqlite3_column_int(st, 5);
}

static int
sq_get(struct store *base, int64_t tenant, const char *rtype,
       const char *id, struct store_res *out)
{
    sqlite3_stmt *st = sq_stmt(conn(base),
        "SELECT seq, id, rtype, doc, version, active FROM resources"
        " WHERE tenant_id = ? AND id = ? AND rtype = ?");
    int rc;

    if (st == NULL)
        return SCIM_ESTORE;
    sqlite3_bind_int64(st, 1, tenant);
    sq_bind_text(st, 2, id);
    sq_bind_text(st, 3, rtype);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_res(st, out);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return out->doc != NULL ? SCIM_OK : SCIM_ENOMEM;
    return rc == SQLITE_DONE ? SCIM_ENOTFOUND : SCIM_ESTORE;
}

static int
bind_params(sqlite3_stmt *st, const struct sql_buf *b)
{
    size_t i;

    for (i = 0; i < b->nparams; i++) {
        const struct sql_param *p = &b->params[i];
        int k = (int)i + 1;

        if (p->type == SQL_P_TEXT)
            sqlite3_bind_text(st, k, p->text, -1, SQLITE_STATIC);
        else if (p->type == SQL_P_INT)
            sqlite3_bind_int64(st, k, p->i);
        else if (p->type == SQL_P_REAL)
            sqlite3_bind_double(st, k, p->d);
        else
            sqlite3_bind_null(st, k);
    }
    return SCIM_OK;
}

static int
run_count(sqlite3 *c, int64_t tenant, const struct store_search *q,
          long *total, struct scim_error *err)
{
    struct sql_buf b;
    sqlite3_stmt *st = NULL;
    int rc;

    sql_buf_init(&b, SQLGEN_SQLITE);
    rc = store_sql_count(&b, tenant, q, err);
    if (rc == SCIM_OK &&
        sqlite3_prepare_v2(c, b.sql, -1, &st, NULL) != SQLITE_OK)
        rc = SCIM_ESTORE;
    if (rc == SCIM_OK) {
        bind_params(st, &b);
        if (sqlite3_step(st) == SQLITE_ROW)
            *total = (long)sqlite3_column_int64(st, 0);
        else
            rc = SCIM_ESTORE;
    }
    sqlite3_finalize(st);
    sql_buf_free(&b);
    return rc;
}

static int
collect(sqlite3_stmt *st, struct store_page *out, long count)
{
    struct store_res *items;

    items = calloc(count > 0 ? (size_t)count : 1, sizeof(*items));
    if (items == NULL)
        return SCIM_ENOMEM;
    out->items = items;
    while (out->nitems < (size_t)count && sqlite3_step(st) == SQLITE_ROW)
        read_res(st, &items[out->nitems++]);
    return SCIM_OK;
}

static int
run_page(sqlite3 *c, int64_t tenant, const struct store_search *q,
         struct store_page *out, struct scim_error *err)
{
    struct sql_buf b;
    sqlite3_stmt *st = NULL;
    int rc;

    sql_buf_init(&b, SQLGEN_SQLITE);
    rc = store_sql_page(&b, tenant, q, err);
    if (rc == SCIM_OK &&
        sqlite3_prepare_v2(c, b.sql, -1, &st, NULL) != SQLITE_OK)
        rc = SCIM_ESTORE;
    if (rc == SCIM_OK) {
        bind_params(st, &b);
        rc = collect(st, out, q->count);
    }
    sqlite3_finalize(st);
    sql_buf_free(&b);
    return rc;
}

static int
sq_count(struct store *base, int64_t tenant, const struct store_search *q,
         long *total, struct scim_error *err)
{
    return run_count(conn(base), tenant, q, total, err);
}

static int
sq_page(struct store *base, int64_t tenant, const struct store_search *q,
        struct store_page *out, struct scim_error *err)
{
    return run_page(conn(base), tenant, q, out, err);
}

static json_t *
member_obj(sqlite3_stmt *st, const char *endpoint_of_user)
{
    const char *id = (const char *)sqlite3_column_text(st, 0);
    const char *rtype = (const char *)sqlite3_column_text(st, 1);
    const char *display = (const char *)sqlite3_column_text(st, 2);
    json_t *o = json_object();
    char ref[128];

    (void)endpoint_of_user;
    json_object_set_new(o, "value", json_string(id));
    if (display != NULL)
        json_object_set_new(o, "display", json_string(display));
    snprintf(ref, sizeof(ref), "%s/%s",
             strcmp(rtype, "Group") == 0 ? "Groups" : "Users", id);
    json_object_set_new(o, "$ref", json_string(ref));
    json_object_set_new(o, "type", json_string(rtype));
    return o;
}

static int
list_links(sqlite3 *c, const char *sql, int64_t tenant, const char *id,
           json_t **out)
{
    sqlite3_stmt *st = sq_stmt(c, sql);
    json_t *arr = json_array();
    int rc;

    *out = NULL;
    if (st == NULL || arr == NULL) {
        json_decref(arr);
        return SCIM_ESTORE;
    }
    sqlite3_bind_int64(st, 1, tenant);
    sq_bind_text(st, 2, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(arr, member_obj(st, NULL));
    sqlite3_reset(st);
    *out = arr;
    return rc == SQLITE_DONE ? SCIM_OK : SCIM_ESTORE;
}

static int
sq_members(struct store *base, int64_t tenant, const char *group_id,
           json_t **out)
{
    return list_links(conn(base),
        "SELECT u.id, u.rtype, coalesce(json_extract(u.doc,"
        " '$.displayName'), json_extract(u.doc, '$.userName'))"
        " FROM resources g JOIN members m ON m.group_seq = g.seq"
        " JOIN resources u ON u.seq = m.member_seq"
        " WHERE g.tenant_id = ? AND g.id = ? ORDER BY m.member_seq",
        tenant, group_id, out);
}

static int
sq_groups_of(struct store *base, int64_t tenant, const char *user_id,
             json_t **out)
{
    return list_links(conn(base),
        "SELECT g.id, g.rtype, json_extract(g.doc, '$.displayName')"
        " FROM resources u JOIN members m ON m.member_seq = u.seq"
        " JOIN resources g ON g.seq = m.group_seq"
        " WHERE u.tenant_id = ? AND u.id = ? ORDER BY g.seq",
        tenant, user_id, out);
}

static int
sq_apply(struct store *base, int64_t tenant,
         const struct store_change *ch, size_t n,
         const struct store_log *rec, struct scim_error *err)
{
    return sq_submit(((struct sq_store *)base)->db, tenant, ch, n, rec, err);
}

static int
sq_log_append(struct store *base, const struct store_log *rec)
{
    return sq_submit_log(((struct sq_store *)base)->db, rec);
}

static const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .clone = sq_clone,
    .close = sq_close,
    .tenant_add = sq_tenant_add,
    .tenant_get = sq_tenant_get,
    .tenant_set_config = sq_tenant_set_config,
    .tenant_list = sq_tenant_list,
    .token_add = sq_token_add,
    .token_lookup = sq_token_lookup,
    .token_list = sq_token_list,
    .token_revoke = sq_token_revoke,
    .get = sq_get,
    .count = sq_count,
    .page = sq_page,
    .members = sq_members,
    .groups_of = sq_groups_of,
    .apply = sq_apply,
    .log_append = sq_log_append,
    .log_query = sq_log_query,
    .log_prune = sq_log_prune,
};
