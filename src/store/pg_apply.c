/* SPDX-License-Identifier: MIT */
/*
 * Applying a change set on PostgreSQL: one READ COMMITTED transaction
 * on the worker's own connection holds the whole set and the SCIM log
 * record of the request, so a request is applied completely or not at
 * all. Concurrency across processes rests on the database: the unique
 * index on (tenant, rtype, name_key) lets exactly one of several
 * concurrent creates of a userName win, and every UPDATE names the
 * version it was computed from, so a concurrent PATCH finds it stale
 * (SCIM_ERETRY) and the server recomputes instead of losing an update.
 * Results and error texts are those of the SQLite backend.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_db.h"
#include "store_sql.h"

#define PG_NOW_MS "to_char(now() AT TIME ZONE 'UTC'," \
                  " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

struct apply_job {
    int64_t tenant;
    const struct store_change *ch;
    size_t n;
    const struct store_log *rec;
    const struct store_change *refused;  /* hit a unique index */
};

/* Returns the seq of resource id, 0 when absent, or a negative rc. */
static int64_t
seq_of(struct pg_store *s, int64_t tenant, const char *id)
{
    static const struct pg_sql q = { "apply_seq_of",
        "SELECT seq FROM resources WHERE tenant_id = $1 AND id = $2" };
    struct pg_params p = { 0 };
    PGresult *r = NULL;
    int64_t seq;
    int rc;

    pg_p_int(&p, tenant);
    pg_p_text(&p, id);
    rc = pg_exec(s, &q, &p, &r, 0);
    if (rc != SCIM_OK)
        return rc;
    seq = PQntuples(r) > 0 ? pg_int(r, 0, 0) : 0;
    PQclear(r);
    return seq;
}

/* Runs q and returns the first column of its first row in *seq (0 when
 * no row came back). */
static int
exec_seq(struct pg_store *s, const struct pg_sql *q,
         const struct pg_params *p, int64_t *seq)
{
    PGresult *r = NULL;
    int rc = pg_exec(s, q, p, &r, 0);

    if (rc != SCIM_OK)
        return rc;
    *seq = PQntuples(r) > 0 ? pg_int(r, 0, 0) : 0;
    PQclear(r);
    return SCIM_OK;
}

/* JSON array text of a NULL-ended or counted string list; caller frees. */
static char *
json_list(const char *const *v, size_t n)
{
    json_t *arr = json_array();
    char *text = NULL;
    size_t i;

    for (i = 0; arr != NULL && (n > 0 ? i < n : v[i] != NULL); i++)
        if (json_array_append_new(arr, json_string(v[i])) != 0)
            goto out;
    text = arr != NULL ? json_dumps(arr, JSON_COMPACT) : NULL;

out:
    json_decref(arr);
    return text;
}

static int
put_emails(struct pg_store *s, int64_t tenant, int64_t seq, int replace,
           const struct store_keys *k)
{
    static const struct pg_sql del = { "apply_emails_del",
        "DELETE FROM emails WHERE res_seq = $1" };
    static const struct pg_sql ins = { "apply_emails_ins",
        "INSERT INTO emails(res_seq, tenant_id, value_key)"
        " SELECT $1, $2, jsonb_array_elements_text($3::jsonb)" };
    struct pg_params p = { 0 };
    char *list;
    int rc = SCIM_OK;

    pg_p_int(&p, seq);
    if (replace)
        rc = pg_exec(s, &del, &p, NULL, 0);
    if (rc != SCIM_OK || k->email_keys == NULL || k->email_keys[0] == NULL)
        return rc;
    if ((list = json_list(k->email_keys, 0)) == NULL)
        return SCIM_ENOMEM;
    pg_p_int(&p, tenant);
    pg_p_text(&p, list);
    rc = pg_exec(s, &ins, &p, NULL, 0);
    free(list);
    return rc;
}

static void
add_keys(struct pg_params *p, const struct store_change *ch)
{
    pg_p_text(p, ch->keys.external_id);
    pg_p_text(p, ch->keys.name_key);
    pg_p_text(p, ch->keys.display_key);
    pg_p_int(p, ch->keys.active);
    pg_p_text(p, ch->doc);
    pg_p_text(p, ch->fdoc);
}

/*
 * Keeps resource_counts exact, in the change's transaction. Each write
 * updates one of eight rows chosen at random, so concurrent creates in
 * one tenant do not all queue on a single row lock; readers sum them.
 */
static int
count_add(struct pg_store *s, int64_t tenant, const char *rtype, int delta)
{
    static const struct pg_sql q = { "apply_count",
        "INSERT INTO resource_counts VALUES ($1, $2,"
        " (random() * 7)::int, $3::bigint) ON CONFLICT (tenant_id, rtype,"
        " slot) DO UPDATE SET n = resource_counts.n + $3::bigint" };
    struct pg_params p = { 0 };

    pg_p_int(&p, tenant);
    pg_p_text(&p, rtype);
    pg_p_int(&p, delta);
    return pg_exec(s, &q, &p, NULL, 0);
}

static int
do_insert(struct pg_store *s, int64_t tenant, const struct store_change *ch)
{
    static const struct pg_sql q = { "apply_insert",
        "INSERT INTO resources(tenant_id, rtype, id, external_id,"
        " name_key, display_key, active, doc, fdoc, version, created,"
        " modified, pw_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
        " $9::jsonb, 1, " PG_NOW_MS ", " PG_NOW_MS ", $10) RETURNING seq" };
    struct pg_params p = { 0 };
    int64_t seq = 0;
    int rc;

    pg_p_int(&p, tenant);
    pg_p_text(&p, ch->rtype);
    pg_p_text(&p, ch->keys.id);
    add_keys(&p, ch);
    pg_p_text(&p, ch->pw_hash);
    rc = exec_seq(s, &q, &p, &seq);
    if (rc != SCIM_OK)
        return rc;
    rc = put_emails(s, tenant, seq, 0, &ch->keys);
    return rc == SCIM_OK ? count_add(s, tenant, ch->rtype, 1) : rc;
}

static int
do_update(struct pg_store *s, int64_t tenant, const struct store_change *ch)
{
    static const struct pg_sql q = { "apply_update",
        "UPDATE resources SET external_id = $1, name_key = $2,"
        " display_key = $3, active = $4, doc = $5, fdoc = $6::jsonb,"
        " version = version + 1, modified = " PG_NOW_MS ","
        " pw_hash = CASE WHEN $7::boolean THEN pw_hash ELSE $8 END"
        " WHERE tenant_id = $9 AND id = $10"
        " AND ($11::bigint < 0 OR version = $11::bigint)"
        " RETURNING seq" };
    struct pg_params p = { 0 };
    int64_t seq = 0;
    int rc;

    add_keys(&p, ch);
    pg_p_text(&p, ch->keep_pw ? "t" : "f");
    pg_p_text(&p, ch->pw_hash);
    pg_p_int(&p, tenant);
    pg_p_text(&p, ch->id);
    pg_p_int(&p, ch->version);

    /* Under READ COMMITTED a concurrent update of the row makes this
     * wait for it and then re-check the version against its result. */
    rc = exec_seq(s, &q, &p, &seq);
    if (rc != SCIM_OK)
        return rc;
    if (seq == 0) {
        seq = seq_of(s, tenant, ch->id);
        if (seq < 0)
            return (int)seq;
        return seq == 0 ? SCIM_ENOTFOUND : SCIM_ERETRY;
    }
    return put_emails(s, tenant, seq, 1, &ch->keys);
}

static int
do_delete(struct pg_store *s, int64_t tenant, const struct store_change *ch)
{
    /* Emails and memberships go with it (ON DELETE CASCADE). */
    static const struct pg_sql q = { "apply_delete",
        "DELETE FROM resources WHERE tenant_id = $1 AND id = $2"
        " RETURNING seq" };
    struct pg_params p = { 0 };
    int64_t seq = 0;
    int rc;

    pg_p_int(&p, tenant);
    pg_p_text(&p, ch->id);
    rc = exec_seq(s, &q, &p, &seq);
    if (rc != SCIM_OK)
        return rc;
    return seq > 0 ? count_add(s, tenant, ch->rtype, -1) : SCIM_ENOTFOUND;
}

/* Looks up the seq of every member id, in order; 0 marks an unknown. */
static int
member_seqs(struct pg_store *s, int64_t tenant,
            const struct store_change *ch, int64_t *seqs)
{
    static const struct pg_sql q = { "apply_member_seqs",
        "SELECT r.seq FROM jsonb_array_elements_text($2::jsonb)"
        " WITH ORDINALITY AS e(v, n) LEFT JOIN resources r"
        " ON r.tenant_id = $1 AND r.id = e.v ORDER BY e.n" };
    struct pg_params p = { 0 };
    PGresult *r = NULL;
    char *list = json_list(ch->members, ch->nmembers);
    size_t i;
    int rc;

    if (list == NULL)
        return SCIM_ENOMEM;
    pg_p_int(&p, tenant);
    pg_p_text(&p, list);
    rc = pg_exec(s, &q, &p, &r, 0);
    free(list);
    if (rc != SCIM_OK)
        return rc;
    for (i = 0; i < ch->nmembers && i < (size_t)PQntuples(r); i++)
        seqs[i] = pg_int(r, (int)i, 0);
    PQclear(r);
    return SCIM_OK;
}

/* PostgreSQL array text "{1,2,3}" of the known seqs; caller frees. */
static char *
seq_array(const int64_t *seqs, size_t n)
{
    size_t i, used = 1, cap = n * 22 + 3;
    char *text = malloc(cap);

    if (text == NULL)
        return NULL;
    text[0] = '{';
    for (i = 0; i < n; i++)
        if (seqs[i] > 0)
            used += (size_t)snprintf(text + used, cap - used,
                                     "%s%" PRId64, used > 1 ? "," : "",
                                     seqs[i]);
    memcpy(text + used, "}", 2);
    return text;
}

static int
edit_members(struct pg_store *s, int64_t group,
             const struct store_change *ch, const int64_t *seqs)
{
    static const struct pg_sql add = { "apply_members_add",
        "INSERT INTO members(group_seq, member_seq)"
        " SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING" };
    static const struct pg_sql rm = { "apply_members_remove",
        "DELETE FROM members WHERE group_seq = $1"
        " AND member_seq = ANY($2::bigint[])" };
    struct pg_params p = { 0 };
    char *arr = seq_array(seqs, ch->nmembers);
    int rc;

    if (arr == NULL)
        return SCIM_ENOMEM;
    pg_p_int(&p, group);
    pg_p_text(&p, arr);
    rc = pg_exec(s, ch->kind == STORE_MEMBERS_ADD ? &add : &rm, &p, NULL,
                 0);
    free(arr);
    return rc;
}

static int
do_members(struct pg_store *s, int64_t tenant,
           const struct store_change *ch, struct scim_error *err)
{
    static const struct pg_sql clear = { "apply_members_clear",
        "DELETE FROM members WHERE group_seq = $1" };
    struct pg_params p = { 0 };
    int64_t group = seq_of(s, tenant, ch->id), *seqs;
    int rc;

    if (group <= 0)
        return group < 0 ? (int)group : SCIM_ENOTFOUND;
    if (ch->kind == STORE_MEMBERS_CLEAR) {
        pg_p_int(&p, group);
        return pg_exec(s, &clear, &p, NULL, 0);
    }
    if (ch->nmembers == 0)
        return SCIM_OK;
    seqs = calloc(ch->nmembers, sizeof(*seqs));
    if (seqs == NULL)
        return SCIM_ENOMEM;
    rc = member_seqs(s, tenant, ch, seqs);
    if (rc == SCIM_OK && ch->kind == STORE_MEMBERS_ADD)
        rc = store_unknown_members(ch, seqs, err);
    if (rc == SCIM_OK)
        rc = edit_members(s, group, ch, seqs);
    free(seqs);
    return rc;
}

static int
apply_one(struct pg_store *s, int64_t tenant, const struct store_change *ch,
          struct scim_error *err)
{
    switch (ch->kind) {
    case STORE_INSERT:
        return do_insert(s, tenant, ch);
    case STORE_UPDATE:
        return do_update(s, tenant, ch);
    case STORE_DELETE:
        return do_delete(s, tenant, ch);
    default:
        return do_members(s, tenant, ch, err);
    }
}

static int
apply_body(struct pg_store *s, void *arg, struct scim_error *err)
{
    struct apply_job *job = arg;
    size_t i;
    int rc = SCIM_OK;

    for (i = 0; rc == SCIM_OK && i < job->n; i++) {
        rc = apply_one(s, job->tenant, &job->ch[i], err);
        if (rc == PG_EUNIQUE)
            job->refused = &job->ch[i];
    }
    if (rc == SCIM_OK && job->rec != NULL)
        rc = pg_log_insert(s, job->rec);
    return rc;
}

/* Explains a unique-key refusal, read after the rollback so that the
 * holder that won a race is visible. */
static int
conflict(struct pg_store *s, int64_t tenant, const struct store_change *ch,
         struct scim_error *err)
{
    static const struct pg_sql q = { "apply_conflict",
        "SELECT active FROM resources WHERE tenant_id = $1"
        " AND rtype = $2 AND name_key = $3" };
    struct pg_params p = { 0 };
    PGresult *r = NULL;
    int inactive = 0;

    pg_p_int(&p, tenant);
    pg_p_text(&p, ch->rtype);
    pg_p_text(&p, ch->keys.name_key);
    if (ch->keys.name_key != NULL &&
        pg_exec(s, &q, &p, &r, 1) == SCIM_OK) {
        inactive = PQntuples(r) > 0 && pg_int(r, 0, 0) == 0;
        PQclear(r);
    }
    return store_conflict(ch->rtype, inactive, err);
}

int
pg_apply(struct store *base, int64_t tenant,
         const struct store_change *ch, size_t n,
         const struct store_log *rec, struct scim_error *err)
{
    struct pg_store *s = (struct pg_store *)base;
    struct apply_job job = { .tenant = tenant, .ch = ch, .n = n,
                             .rec = rec };
    int rc = pg_txn(s, 0, apply_body, &job, err);

    switch (rc) {
    case SCIM_OK: case SCIM_ENOTFOUND: case SCIM_EINVAL: case SCIM_ERETRY:
    case SCIM_ENOMEM:
        return rc;
    case PG_EUNIQUE:
        if (job.refused != NULL)
            return conflict(s, tenant, job.refused, err);
        break;
    case PG_EFOREIGN:
        /* A member vanished under a concurrent delete: recompute. */
        return SCIM_ERETRY;
    case PG_EUNKNOWN:
        scim_failf(err, 503, SCIM_CAUSE_INTERNAL, NULL, NULL,
                   "The connection to the database broke while the change "
                   "was being committed; it was saved either completely "
                   "or not at all. Read the resource before retrying.");
        return SCIM_ESTORE;
    default:
        break;
    }
    scim_failf(err, 503, SCIM_CAUSE_INTERNAL, NULL, NULL,
               "The database could not apply the change; nothing was "
               "saved. Retry the request.");
    return SCIM_ESTORE;
}
