/* SPDX-License-Identifier: MIT */
/*
 * Dispatch from the storage interface to the backend that --db names,
 * plus the few helpers both backends share (log search keys).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "fold.h"
#include "store_impl.h"

static int
is_pg_url(const char *url)
{
    return strncmp(url, "postgresql://", 13) == 0 ||
           strncmp(url, "postgres://", 11) == 0;
}

int
store_open(const char *url, struct store **out, struct scim_error *err)
{
    *out = NULL;
    if (url == NULL || *url == '\0')
        return scim_failf(err, 500, SCIM_CAUSE_INTERNAL, NULL, NULL,
                          "no database given");
    if (is_pg_url(url))
        return pg_store_open(url, out, err);
    return sqlite_store_open(url, out, err);
}

int
store_clone(struct store *s, struct store **out, struct scim_error *err)
{
    return s->ops->clone(s, out, err);
}

void
store_close(struct store *s)
{
    if (s != NULL)
        s->ops->close(s);
}

const char *
store_backend(const struct store *s)
{
    return s->ops->name;
}

int
store_tenant_add(struct store *s, const char *name, const char *config,
                 struct scim_error *err)
{
    return s->ops->tenant_add(s, name, config, err);
}

int
store_tenant_get(struct store *s, const char *name, int64_t id,
                 struct store_tenant *out)
{
    memset(out, 0, sizeof(*out));
    return s->ops->tenant_get(s, name, id, out);
}

int
store_tenant_set_config(struct store *s, const char *name,
                        const char *config)
{
    return s->ops->tenant_set_config(s, name, config);
}

int
store_tenant_list(struct store *s, struct store_tenant **out, size_t *n)
{
    return s->ops->tenant_list(s, out, n);
}

void
store_tenant_free(struct store_tenant *t)
{
    if (t == NULL)
        return;
    free(t->name);
    free(t->config);
    t->name = t->config = NULL;
}

int
store_token_add(struct store *s, int64_t tenant_id, const char *hash)
{
    return s->ops->token_add(s, tenant_id, hash);
}

int
store_token_list(struct store *s, int64_t tenant, json_t **out)
{
    return s->ops->token_list(s, tenant, out);
}

int
store_token_revoke(struct store *s, int64_t tenant, int64_t id)
{
    return s->ops->token_revoke(s, tenant, id);
}

void
store_token_hash(const char *token, char out[65])
{
    unsigned char h[32];

    crypto_generichash(h, sizeof(h), (const unsigned char *)token,
                       strlen(token), NULL, 0);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

int
store_token_lookup(struct store *s, const char *hash, int64_t *tenant,
                   int64_t *config_version)
{
    return s->ops->token_lookup(s, hash, tenant, config_version);
}

int
store_get(struct store *s, int64_t tenant, const char *rtype,
          const char *id, struct store_res *out)
{
    memset(out, 0, sizeof(*out));
    return s->ops->get(s, tenant, rtype, id, out);
}

void
store_res_free(struct store_res *r)
{
    if (r == NULL)
        return;
    free(r->id);
    free(r->rtype);
    free(r->doc);
    r->id = r->rtype = r->doc = NULL;
}

int
store_search(struct store *s, int64_t tenant, const struct store_search *q,
             struct store_page *out, struct scim_error *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    rc = s->ops->count(s, tenant, q, &out->total, err);
    if (rc != SCIM_OK || q->count <= 0)
        return rc;
    return s->ops->page(s, tenant, q, out, err);
}

void
store_page_free(struct store_page *p)
{
    size_t i;

    if (p == NULL)
        return;
    for (i = 0; i < p->nitems; i++)
        store_res_free(&p->items[i]);
    free(p->items);
    p->items = NULL;
    p->nitems = 0;
}

int
store_members(struct store *s, int64_t tenant, const char *group_id,
              json_t **out)
{
    return s->ops->members(s, tenant, group_id, out);
}

int
store_groups_of(struct store *s, int64_t tenant, const char *user_id,
                json_t **out)
{
    return s->ops->groups_of(s, tenant, user_id, out);
}

int
store_apply(struct store *s, int64_t tenant,
            const struct store_change *changes, size_t nchanges,
            const struct store_log *rec, struct scim_error *err)
{
    return s->ops->apply(s, tenant, changes, nchanges, rec, err);
}

int
store_log_append(struct store *s, const struct store_log *rec)
{
    return s->ops->log_append(s, rec);
}

int
store_log_query(struct store *s, const struct store_log_query *q,
                json_t **out)
{
    return s->ops->log_query(s, q, out);
}

int
store_log_prune(struct store *s, int64_t tenant, int64_t before_ms)
{
    return s->ops->log_prune(s, tenant, before_ms);
}

char *
store_strdup(const char *s)
{
    return s == NULL ? NULL : strdup(s);
}

int64_t
store_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Adds the folded v unless it is there already (userName is often
 * the email too: one key row serves both). */
static void
add_key(json_t *keys, const char *v)
{
    json_t *e;
    size_t i;
    char *f;

    if (v == NULL || *v == '\0')
        return;
    f = scim_fold(v, strlen(v));
    if (f == NULL)
        return;
    json_array_foreach(keys, i, e)
        if (strcmp(json_string_value(e), f) == 0)
            break;
    if (i == json_array_size(keys))
        json_array_append_new(keys, json_string(f));
    scim_free(f);
}

json_t *
store_log_keys(const struct store_log *rec)
{
    json_t *keys = json_array(), *emails, *e;
    size_t i;

    if (keys == NULL)
        return NULL;
    add_key(keys, rec->user_name);
    add_key(keys, rec->external_id);
    add_key(keys, rec->resource_id);
    emails = rec->emails != NULL ? json_loads(rec->emails, 0, NULL) : NULL;
    json_array_foreach(emails, i, e)
        add_key(keys, json_string_value(e));
    json_decref(emails);
    return keys;
}

static void
parse_field(json_t *row, const char *key)
{
    const char *text = json_string_value(json_object_get(row, key));
    json_t *v;

    if (text == NULL)
        return;
    v = json_loads(text, JSON_DECODE_ANY, NULL);
    if (v != NULL)
        json_object_set_new(row, key, v);
}

void
store_log_row_finish(json_t *row)
{
    parse_field(row, "emails");
    parse_field(row, "request_body");
    parse_field(row, "response_body");
    parse_field(row, "dialects");
    parse_field(row, "ignored");
}
