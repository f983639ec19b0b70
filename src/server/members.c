/* SPDX-License-Identifier: MIT */
/*
 * Group membership changes (see members.h). Removal by a value filter
 * takes the member ids straight from the filter when it is the usual
 * members[value eq "..."] (alone or or-ed); any other member filter is
 * evaluated against the group's member list, which is the one case
 * that reads the whole list.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "members.h"

void
member_acc_init(struct member_acc *a, struct req *r, const char *group_id)
{
    memset(a, 0, sizeof(*a));
    a->r = r;
    a->group_id = group_id;
    a->hold = json_array();
}

void
member_acc_free(struct member_acc *a)
{
    size_t i;

    for (i = 0; i < a->n; i++)
        free((void *)a->ch[i].members);
    free(a->ch);
    json_decref(a->hold);
    memset(a, 0, sizeof(*a));
}

static struct store_change *
push(struct member_acc *a, enum store_change_kind kind)
{
    struct store_change *nc;

    if (a->n == a->cap) {
        a->cap = a->cap == 0 ? 4 : a->cap * 2;
        nc = realloc(a->ch, a->cap * sizeof(*nc));
        if (nc == NULL)
            return NULL;
        a->ch = nc;
    }
    nc = &a->ch[a->n++];
    memset(nc, 0, sizeof(*nc));
    nc->kind = kind;
    nc->rtype = "Group";
    nc->id = a->group_id;
    return nc;
}

/* Member ids of values; errors name members[i].value. */
static int
ids_of(struct member_acc *a, struct scim_ctx *ctx, const json_t *values,
       const char ***out, size_t *n)
{
    const json_t *e, *v;
    const char **ids;
    size_t i;

    *out = NULL;
    *n = 0;
    if (!json_is_array(values))
        return scim_failf(&ctx->err, 400, SCIM_CAUSE_INVALID_VALUE,
                          "invalidValue", "members", "Attribute 'members' "
                          "must be an array of objects with a 'value'.");
    ids = calloc(json_array_size(values) + 1, sizeof(*ids));
    if (ids == NULL)
        return SCIM_ENOMEM;
    json_array_foreach(values, i, e) {
        char attr[48];

        v = json_is_object(e) ? json_object_get(e, "value") : e;
        if (json_is_string(v) && json_string_length(v) > 0) {
            json_array_append(a->hold, (json_t *)v);
            ids[(*n)++] = json_string_value(v);
            continue;
        }
        snprintf(attr, sizeof(attr), "members[%zu].value", i);
        free(ids);
        return scim_failf(&ctx->err, 400, SCIM_CAUSE_INVALID_VALUE,
                          "invalidValue", attr, "Attribute '%s' must be the "
                          "id of a user or group, as a non-empty string.",
                          attr);
    }
    *out = ids;
    return SCIM_OK;
}

static int
queue(struct member_acc *a, enum store_change_kind kind, const char **ids,
      size_t n)
{
    struct store_change *c = push(a, kind);

    if (c == NULL) {
        free(ids);
        return SCIM_ENOMEM;
    }
    c->members = ids;
    c->nmembers = n;
    return SCIM_OK;
}

int
member_add(struct member_acc *a, struct scim_ctx *ctx, const json_t *values)
{
    const char **ids;
    size_t n;
    int rc = ids_of(a, ctx, values, &ids, &n);

    if (rc != SCIM_OK)
        return rc;
    return queue(a, STORE_MEMBERS_ADD, ids, n);
}

int
member_replace(struct member_acc *a, struct scim_ctx *ctx,
               const json_t *values)
{
    if (push(a, STORE_MEMBERS_CLEAR) == NULL)
        return SCIM_ENOMEM;
    if (values == NULL || json_array_size(values) == 0)
        return SCIM_OK;
    return member_add(a, ctx, values);
}

/* Ids named by value eq "..." terms joined by or; -1 for other forms. */
static int
filter_ids(const struct filter_node *f, json_t *out)
{
    const char *name = f->attr.name;

    if (f->op == FILTER_OR)
        return filter_ids(f->a, out) == 0 && filter_ids(f->b, out) == 0
                   ? 0 : -1;
    if (f->op != FILTER_EQ || !json_is_string(f->value))
        return -1;
    if (f->attr.sub != NULL)
        name = f->attr.sub;
    if (name == NULL || strcasecmp(name, "value") != 0)
        return -1;
    json_array_append(out, f->value);
    return 0;
}

static int
scan_ids(struct member_acc *a, const struct filter_node *f, json_t *out)
{
    json_t *all = NULL, *e;
    size_t i;
    int rc = store_members(a->r->store, a->r->tenant->id, a->group_id, &all);

    /* Limitation: filters on members other than value eq read the
     * whole member list; identity providers only send value eq. */
    json_array_foreach(all, i, e)
        if (filter_match_elem(f, e))
            json_array_append(out, json_object_get(e, "value"));
    json_decref(all);
    return rc;
}

static int
hook_add(void *arg, struct scim_ctx *ctx, const json_t *values)
{
    return member_add(arg, ctx, values);
}

static int
hook_replace(void *arg, struct scim_ctx *ctx, const json_t *values)
{
    return member_replace(arg, ctx, values);
}

static int
hook_remove(void *arg, struct scim_ctx *ctx, const struct filter_node *f,
            const json_t *values)
{
    struct member_acc *a = arg;
    json_t *found;
    int rc;

    if (f == NULL && values == NULL)
        return push(a, STORE_MEMBERS_CLEAR) != NULL ? SCIM_OK : SCIM_ENOMEM;
    if (values != NULL) {
        const char **ids;
        size_t n;

        rc = ids_of(a, ctx, values, &ids, &n);
        return rc == SCIM_OK ? queue(a, STORE_MEMBERS_REMOVE, ids, n) : rc;
    }
    found = json_array();
    if (filter_ids(f, found) != 0) {
        json_array_clear(found);
        rc = scan_ids(a, f, found);
        if (rc != SCIM_OK) {
            json_decref(found);
            return rc;
        }
    }
    rc = SCIM_OK;
    if (json_array_size(found) > 0) {
        const char **ids;
        size_t n;

        rc = ids_of(a, ctx, found, &ids, &n);
        if (rc == SCIM_OK)
            rc = queue(a, STORE_MEMBERS_REMOVE, ids, n);
    }
    json_decref(found);
    return rc;
}

void
member_hooks_init(struct patch_members *h, struct member_acc *a)
{
    h->arg = a;
    h->add = hook_add;
    h->remove = hook_remove;
    h->replace = hook_replace;
}
