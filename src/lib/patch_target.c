/* SPDX-License-Identifier: MIT */
/*
 * Applying one operation to one target (an attribute, optionally with a
 * value filter and a sub-attribute). Around the edit itself sit the two
 * rules that look at the attribute as a whole: mutability (a readOnly or
 * set immutable attribute may only be "changed" to its current value,
 * which is how Okta's group rename carrying the group's id passes) and
 * RFC 7644 3.5.2's "primary": a value newly marked primary clears the
 * flag on the others. Group members may go to caller hooks instead of
 * the document, so that a group of any size is never loaded whole.
 */
#include <string.h>
#include <strings.h>

#include "patch.h"
#include "resource.h"

static int
is_members(const struct patch_op *op, const struct patch_target *t)
{
    return op->members != NULL && op->rt != NULL && t->def != NULL
           && t->def->parent == NULL && strcasecmp(t->name, "members") == 0
           && rtype_is_core(op->rt, t->def->schema);
}

static int
has_value(const json_t *v)
{
    return v != NULL && !json_is_null(v);
}

/* ---- Members through the hooks ------------------------------------------- */

static int
members_remove(struct patch_op *op, const struct patch_target *t,
               const json_t *value)
{
    const struct patch_members *m = op->members;
    json_t *list = NULL;
    int rc;

    if (t->filter != NULL && has_value(value))
        return patch_failf(op, SCIM_CAUSE_INVALID_SYNTAX, "invalidSyntax",
                           ".value", "remove takes no \"value\".");
    if (t->filter != NULL)
        return m->remove(m->arg, op->ctx, t->filter, NULL);
    if (!has_value(value))
        return m->remove(m->arg, op->ctx, NULL, NULL);
    if (!scim_ctx_dialect(op->ctx, SCIM_DIALECT_REMOVE_VALUES))
        return patch_failf(op, SCIM_CAUSE_INVALID_SYNTAX, "invalidSyntax",
                           ".value", "remove takes no \"value\" (dialect "
                           "rule remove_values is off).");
    scim_ctx_fire(op->ctx, SCIM_DIALECT_REMOVE_VALUES);
    rc = patch_value_list(op, t->def, value, &list);
    if (rc == SCIM_OK)
        rc = m->remove(m->arg, op->ctx, NULL, list);
    json_decref(list);
    return rc;
}

/*
 * Limitation: members[...].display and the like cannot be edited in
 * place through the hooks; the store keeps members as rows of ids, and
 * no identity provider edits them that way.
 */
static int
members_apply(struct patch_op *op, const struct patch_target *t,
              const json_t *value)
{
    const struct patch_members *m = op->members;
    json_t *list = NULL;
    int rc;

    if (t->sub != NULL || (t->filter != NULL && op->kind != PATCH_REMOVE))
        return patch_failf(op, SCIM_CAUSE_INVALID_PATH, "invalidPath",
                           ".path", "members cannot be edited in place; "
                           "remove them and add them again.");
    if (op->kind == PATCH_REMOVE)
        return members_remove(op, t, value);
    rc = patch_value_list(op, t->def, value, &list);
    if (rc == SCIM_OK && op->kind == PATCH_ADD
        && json_array_size(list) > 0)
        rc = m->add(m->arg, op->ctx, list);
    else if (rc == SCIM_OK && op->kind == PATCH_REPLACE)
        rc = m->replace(m->arg, op->ctx, list);
    json_decref(list);
    return rc;
}

/* ---- Mutability ---------------------------------------------------------- */

static int
is_guarded(const struct scim_attr *d)
{
    return d != NULL && (d->mutability == SCIM_MUT_READONLY
                         || d->mutability == SCIM_MUT_IMMUTABLE);
}

/* As resource_same_value(), so PATCH and PUT agree on "unchanged". */
static int
same(const struct scim_attr *g, const json_t *a, const json_t *b)
{
    if (a == NULL || json_is_null(a))
        return b == NULL || json_is_null(b);
    return b != NULL && resource_same_value(g, a, b);
}

static int
mutability_error(struct patch_op *op, const struct scim_attr *g)
{
    return patch_failf(op, SCIM_CAUSE_MUTABILITY, "mutability",
                       op->path != NULL ? ".path" : ".value",
                       "'%s' is %s; it cannot change.", g->name,
                       g->mutability == SCIM_MUT_READONLY ? "readOnly"
                                                          : "immutable");
}

/*
 * RFC 7643 2.2: readOnly attributes cannot be changed by a client;
 * immutable ones once set. Sending the current value is no change
 * (Okta's group rename re-sends {"id": "<the group's id>"}).
 */
static int
check_mutability(struct patch_op *op, const json_t *box, const char *name,
                 const struct scim_attr *g, const json_t *before)
{
    const json_t *after = patch_iget(box, name, NULL);
    int eq = same(g, before, after);

    if (eq < 0)
        return SCIM_ENOMEM;
    if (eq)
        return SCIM_OK;
    if (g->mutability == SCIM_MUT_IMMUTABLE
        && (before == NULL || json_is_null(before)))
        return SCIM_OK;
    return mutability_error(op, g);
}

/*
 * A value that does not even fit a readOnly attribute cannot equal its
 * current value either: the fault to report is the mutability.
 */
static int
readonly_first(struct patch_op *op, const struct scim_attr *g, int rc)
{
    if (rc != SCIM_EINVAL || g->mutability != SCIM_MUT_READONLY)
        return rc;
    scim_error_clear(&op->ctx->err);
    return mutability_error(op, g);
}

static int apply_slot(struct patch_op *op, json_t *box, const char *name,
                      const struct scim_attr *def, const json_t *value);

/* apply_slot on a slot the operation names, under its mutability. */
static int
guarded_slot(struct patch_op *op, json_t *box, const char *name,
             const struct scim_attr *def, const json_t *value)
{
    json_t *cur = patch_iget(box, name, NULL), *before = NULL;
    int rc;

    if (!is_guarded(def))
        return apply_slot(op, box, name, def, value);
    if (cur != NULL && (before = json_deep_copy(cur)) == NULL)
        return SCIM_ENOMEM;
    rc = apply_slot(op, box, name, def, value);
    if (rc == SCIM_OK)
        rc = check_mutability(op, box, name, def, before);
    else
        rc = readonly_first(op, def, rc);
    json_decref(before);
    return rc;
}

/* ---- Plain slots and sub-attributes -------------------------------------- */

/*
 * remove with a "value" on a multi-valued attribute: Entra's legacy
 * member removal (and JumpCloud's). RFC 7644 3.5.2.2 has no value on
 * remove; reading it as "remove all" would empty the whole group.
 */
static int
remove_values(struct patch_op *op, json_t *box, const char *name,
              const struct scim_attr *def, const json_t *value)
{
    const char *key;
    json_t *cur = patch_iget(box, name, &key);
    int mv = def != NULL ? def->multi_valued
                         : json_is_array(cur) || json_is_array(value);
    int rc;

    if (!mv)
        return patch_failf(op, SCIM_CAUSE_INVALID_SYNTAX, "invalidSyntax",
                           ".value", "remove takes no \"value\".");
    if (!scim_ctx_dialect(op->ctx, SCIM_DIALECT_REMOVE_VALUES))
        return patch_failf(op, SCIM_CAUSE_INVALID_SYNTAX, "invalidSyntax",
                           ".value", "remove takes no \"value\" (dialect "
                           "rule remove_values is off).");
    scim_ctx_fire(op->ctx, SCIM_DIALECT_REMOVE_VALUES);
    if (!json_is_array(cur))
        return SCIM_OK;
    rc = patch_remove_listed(op, cur, def, value);
    if (rc == SCIM_OK && json_array_size(cur) == 0)
        json_object_del(box, key);
    return rc;
}

static int
apply_slot(struct patch_op *op, json_t *box, const char *name,
           const struct scim_attr *def, const json_t *value)
{
    switch (op->kind) {
    case PATCH_ADD:
        return patch_slot_add(op, box, name, def, value);
    case PATCH_REPLACE:
        return patch_slot_replace(op, box, name, def, value);
    default:
        if (has_value(value))
            return remove_values(op, box, name, def, value);
        return patch_slot_remove(op, box, name);
    }
}

/* Counts the complex values of multi-valued attribute arr. */
static size_t
count_objects(const json_t *arr)
{
    size_t i, n = 0;
    json_t *e;

    json_array_foreach(arr, i, e)
        n += json_is_object(e);
    return n;
}

/* "emails.value" without a filter: the sub-attribute of every value. */
static int
apply_sub_each(struct patch_op *op, const struct patch_target *t,
               json_t *arr, const json_t *value)
{
    size_t i;
    json_t *e;
    int rc;

    if (count_objects(arr) == 0 && op->kind != PATCH_REMOVE)
        return patch_failf(op, SCIM_CAUSE_NO_TARGET, "noTarget", ".path",
                           "'%s' has no value whose '%s' could be set.",
                           t->name, t->sub);
    json_array_foreach(arr, i, e) {
        if (!json_is_object(e))
            continue;
        rc = guarded_slot(op, e, t->sub, t->subdef, value);
        if (rc != SCIM_OK)
            return rc;
    }
    return SCIM_OK;
}

/* "name.givenName": a sub-attribute, creating the complex value. */
static int
apply_sub(struct patch_op *op, const struct patch_target *t,
          const json_t *value)
{
    const char *key;
    json_t *cur = patch_iget(t->box, t->name, &key);
    int rc;

    if (json_is_array(cur))
        return apply_sub_each(op, t, cur, value);
    if (cur == NULL || json_is_null(cur)) {
        if (op->kind == PATCH_REMOVE)
            return SCIM_OK;
        if (t->def != NULL && t->def->multi_valued)
            return patch_failf(op, SCIM_CAUSE_NO_TARGET, "noTarget",
                               ".path", "'%s' has no value whose '%s' "
                               "could be set.", t->name, t->sub);
        cur = json_object();
        key = t->name;
        if (cur == NULL || json_object_set_new(t->box, key, cur) != 0)
            return SCIM_ENOMEM;
    }
    if (!json_is_object(cur))
        return patch_failf(op, SCIM_CAUSE_NO_TARGET, "noTarget", ".path",
                           "'%s' is not complex; it has no '%s'.", t->name,
                           t->sub);
    rc = guarded_slot(op, cur, t->sub, t->subdef, value);
    if (json_object_size(cur) == 0)
        json_object_del(t->box, key);
    return rc;
}

/* ---- Value filters ------------------------------------------------------- */

/*
 * Sets in obj the eq terms of a filter made only of "and"-ed eq
 * comparisons: SCIM_OK, 1 when the filter is of another form, or
 * SCIM_ENOMEM.
 */
static int
eq_terms(const struct filter_node *f, json_t *obj)
{
    const char *name;
    int rc;

    if (f->op == FILTER_AND) {
        rc = eq_terms(f->a, obj);
        return rc != SCIM_OK ? rc : eq_terms(f->b, obj);
    }
    if (f->op != FILTER_EQ || f->attr.uri != NULL || f->attr.sub != NULL
        || json_is_null(f->value))
        return 1;
    name = f->attr.ref.sub != NULL ? f->attr.ref.sub->name : f->attr.name;
    if (name == NULL || patch_iget(obj, name, NULL) != NULL)
        return 1;
    if (json_object_set_new(obj, name, json_deep_copy(f->value)) != 0)
        return SCIM_ENOMEM;
    return SCIM_OK;
}

/*
 * Dialect filter_create: Entra replaces emails[type eq "work"].value on
 * a user that has no work email yet, and expects the element to appear,
 * built from the filter's eq terms. RFC 7644 3.5.2.3 answers noTarget.
 */
static int
create_from_filter(struct patch_op *op, const struct patch_target *t,
                   const json_t *value)
{
    const char *key;
    json_t *arr = patch_iget(t->box, t->name, &key);
    json_t *obj = json_object();
    int rc;

    if (obj == NULL)
        return SCIM_ENOMEM;
    if ((rc = eq_terms(t->filter, obj)) != SCIM_OK) {
        json_decref(obj);
        return rc;
    }
    rc = apply_slot(op, obj, t->sub, t->subdef, value);
    if (rc == SCIM_OK && !json_is_array(arr)) {
        arr = json_array();
        rc = json_object_set_new(t->box, t->name, arr) == 0 ? SCIM_OK
                                                            : SCIM_ENOMEM;
    }
    if (rc == SCIM_OK && json_array_append(arr, obj) != 0)
        rc = SCIM_ENOMEM;
    json_decref(obj);
    if (rc == SCIM_OK)
        scim_ctx_fire(op->ctx, SCIM_DIALECT_FILTER_CREATE);
    return rc;
}

static int
filtered_none(struct patch_op *op, const struct patch_target *t,
              const json_t *value)
{
    int rc;

    if (t->sub != NULL
        && scim_ctx_dialect(op->ctx, SCIM_DIALECT_FILTER_CREATE)) {
        rc = create_from_filter(op, t, value);
        if (rc <= 0)
            return rc;
    }
    /* add merges value into each selected element; none, nothing to do */
    if (op->kind == PATCH_ADD && t->sub == NULL)
        return SCIM_OK;
    return patch_failf(op, SCIM_CAUSE_NO_TARGET, "noTarget", ".path",
                       "no element of '%s' matches the filter.", t->name);
}

/* Merges object value into element e, one sub-attribute at a time. */
static int
merge_elem(struct patch_op *op, const struct patch_target *t, json_t *e,
           const json_t *value)
{
    const struct scim_attr *sd;
    const char *k;
    json_t *v;
    int rc;

    if (!json_is_object(value))
        return patch_failf(op, SCIM_CAUSE_INVALID_TYPE, "invalidValue",
                           ".value", "a value of '%s' selected by a filter "
                           "takes an object.", t->name);
    json_object_foreach((json_t *)value, k, v) {
        sd = t->def != NULL ? attr_sub(t->def, k, strlen(k)) : NULL;
        rc = apply_slot(op, e, sd != NULL ? sd->name : k, sd, v);
        if (rc != SCIM_OK)
            return rc;
    }
    return SCIM_OK;
}

/* add or replace on element i of arr, which the filter selected. */
static int
filtered_one(struct patch_op *op, const struct patch_target *t, json_t *arr,
             size_t i, const json_t *value)
{
    json_t *e = json_array_get(arr, i), *n;
    int rc;

    if (t->sub != NULL && !json_is_object(e))
        return patch_failf(op, SCIM_CAUSE_NO_TARGET, "noTarget", ".path",
                           "the values of '%s' have no '%s'.", t->name,
                           t->sub);
    if (t->sub != NULL)
        return guarded_slot(op, e, t->sub, t->subdef, value);
    /* Replacing the selected values with nothing removes them. */
    if (op->kind == PATCH_REPLACE && patch_value_empty(t->def, value))
        return json_array_remove(arr, i) == 0 ? SCIM_OK : SCIM_ENOMEM;
    if (json_is_object(e))
        return merge_elem(op, t, e, value);
    if ((rc = patch_value_norm(op, t->def, value, 1, &n)) != SCIM_OK)
        return rc;
    return json_array_set_new(arr, i, n) == 0 ? SCIM_OK : SCIM_ENOMEM;
}

/*
 * remove through a filter. A filter that selects nothing is no error:
 * the values are gone either way, and an identity provider retrying a
 * member removal must not fail (RFC 7644 table 9 would allow noTarget).
 */
static int
filtered_remove(struct patch_op *op, const struct patch_target *t,
                json_t *arr, const char *key, const json_t *value)
{
    const char *sk;
    size_t i;
    json_t *e;

    if (has_value(value))
        return patch_failf(op, SCIM_CAUSE_INVALID_SYNTAX, "invalidSyntax",
                           ".value", "remove takes no \"value\".");
    for (i = json_array_size(arr); i-- > 0;) {
        e = json_array_get(arr, i);
        if (!filter_match_elem(t->filter, e))
            continue;
        if (t->sub == NULL)
            json_array_remove(arr, i);
        else if (patch_iget(e, t->sub, &sk) == NULL)
            continue;
        else if (is_guarded(t->subdef))
            return mutability_error(op, t->subdef);
        else
            json_object_del(e, sk);
    }
    if (json_is_array(arr) && json_array_size(arr) == 0)
        json_object_del(t->box, key);
    return SCIM_OK;
}

/*
 * Limitation: filter_match_elem() has no way to report a failed
 * allocation while it case-folds strings, so under memory exhaustion a
 * value filter may select fewer values instead of failing the request.
 * Limitation: a value filter on a single-valued complex attribute
 * ("name[givenName eq \"B\"]") selects nothing; no client sends one.
 */
static int
apply_filtered(struct patch_op *op, const struct patch_target *t,
               const json_t *value)
{
    const char *key;
    json_t *arr = patch_iget(t->box, t->name, &key);
    size_t i, hits = 0;
    int rc;

    if (op->kind == PATCH_REMOVE)
        return filtered_remove(op, t, arr, key, value);
    for (i = json_array_size(arr); i-- > 0;) {
        if (!filter_match_elem(t->filter, json_array_get(arr, i)))
            continue;
        hits++;
        if ((rc = filtered_one(op, t, arr, i, value)) != SCIM_OK)
            return rc;
    }
    if (hits == 0)
        return filtered_none(op, t, value);
    if (json_array_size(arr) == 0)
        json_object_del(t->box, key);
    return SCIM_OK;
}

/* ---- Primary ------------------------------------------------------------- */

struct primaries {
    json_t **was;          /* values that were primary before the op */
    size_t n;
};

static int
is_primary(const json_t *e)
{
    return json_is_object(e) && json_is_true(patch_iget(e, "primary", NULL));
}

static int
primaries_take(const json_t *arr, struct primaries *p)
{
    size_t i;
    json_t *e;

    p->n = 0;
    p->was = NULL;
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return SCIM_OK;
    p->was = scim_calloc(json_array_size(arr), sizeof(*p->was));
    if (p->was == NULL)
        return SCIM_ENOMEM;
    /* Held, so that no new value can take a freed one's address. */
    json_array_foreach(arr, i, e)
        if (is_primary(e))
            p->was[p->n++] = json_incref(e);
    return SCIM_OK;
}

static void
primaries_drop(struct primaries *p)
{
    size_t i;

    for (i = 0; i < p->n; i++)
        json_decref((json_t *)p->was[i]);
    scim_free(p->was);
    p->was = NULL;
    p->n = 0;
}

static int
was_primary(const struct primaries *p, const json_t *e)
{
    size_t i;

    for (i = 0; i < p->n; i++)
        if (p->was[i] == e)
            return 1;
    return 0;
}

/*
 * RFC 7644 3.5.2: a value newly set primary clears "primary" on the
 * others. Two new primaries in one operation, or an attribute left
 * with several, is an invalid value.
 */
static int
primaries_fix(struct patch_op *op, const struct patch_target *t,
              const struct primaries *p)
{
    const json_t *arr = patch_iget(t->box, t->name, NULL), *fresh = NULL;
    size_t i, nnew = 0, all = 0;
    const char *k;
    json_t *e;

    json_array_foreach(arr, i, e) {
        if (!is_primary(e))
            continue;
        all++;
        if (!was_primary(p, e)) {
            nnew++;
            fresh = e;
        }
    }
    if (nnew > 1 || (nnew == 0 && all > 1))
        return patch_failf(op, SCIM_CAUSE_INVALID_VALUE, "invalidValue",
                           ".value", "more than one value of '%s' would be "
                           "primary.", t->name);
    json_array_foreach(arr, i, e) {
        if (nnew != 1 || e == fresh || !is_primary(e))
            continue;
        patch_iget(e, "primary", &k);
        if (json_object_set_new(e, k, json_false()) != 0)
            return SCIM_ENOMEM;
    }
    return SCIM_OK;
}

/* ---- Entry --------------------------------------------------------------- */

static int
dispatch(struct patch_op *op, const struct patch_target *t,
         const json_t *value)
{
    if (t->filter != NULL)
        return apply_filtered(op, t, value);
    if (t->sub != NULL)
        return apply_sub(op, t, value);
    return apply_slot(op, t->box, t->name, t->def, value);
}

int
patch_target_apply(struct patch_op *op, const struct patch_target *t,
                   const json_t *value)
{
    const struct scim_attr *g = is_guarded(t->def) ? t->def : NULL;
    struct primaries prim = { NULL, 0 };
    json_t *before = NULL, *cur;
    int rc;

    if (t->box == NULL)
        return patch_failf(op, SCIM_CAUSE_NO_TARGET, "noTarget", ".path",
                           "the object that would hold '%s' is not an "
                           "object.", t->name);
    if (is_members(op, t))
        return members_apply(op, t, value);
    cur = patch_iget(t->box, t->name, NULL);
    if (g != NULL && cur != NULL && (before = json_deep_copy(cur)) == NULL)
        return SCIM_ENOMEM;
    rc = primaries_take(cur, &prim);
    if (rc == SCIM_OK)
        rc = dispatch(op, t, value);
    if (rc == SCIM_OK && g != NULL)
        rc = check_mutability(op, t->box, t->name, g, before);
    else if (g != NULL)
        rc = readonly_first(op, g, rc);
    if (rc == SCIM_OK)
        rc = primaries_fix(op, t, &prim);
    primaries_drop(&prim);
    json_decref(before);
    return rc;
}
