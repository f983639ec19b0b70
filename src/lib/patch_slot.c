/* SPDX-License-Identifier: MIT */
/*
 * The edits of one attribute slot, box[name], by RFC 7644 3.5.2.1-3:
 * add appends to a multi-valued attribute without duplicating a value
 * that is already there, merges the sub-attributes of a complex one and
 * sets a simple one; replace sets the whole list of a multi-valued
 * attribute, only the sub-attributes given of a complex one ("left
 * unchanged" otherwise, 3.5.2.3) and a simple one; null, "" and []
 * clear (RFC 7643 2.5). Without a definition (an unknown sub-attribute,
 * or schemaless use) the JSON shapes decide.
 */
#include <string.h>
#include <strings.h>

#include "patch.h"

static int
set_key(json_t *box, const char *name, json_t *v)
{
    const char *key = NULL;

    if (v == NULL)
        return SCIM_ENOMEM;
    if (patch_iget(box, name, &key) == NULL)
        key = name;
    return json_object_set_new(box, key, v) == 0 ? SCIM_OK : SCIM_ENOMEM;
}

static const char *
canon(const struct scim_attr *def, const char *name)
{
    return def != NULL ? def->name : name;
}

static int
is_mv(const struct scim_attr *def, const json_t *cur, const json_t *v)
{
    if (def != NULL)
        return def->multi_valued;
    return json_is_array(cur) || json_is_array(v);
}

static int
is_complex(const struct scim_attr *def, const json_t *cur, const json_t *v)
{
    if (def != NULL)
        return def->type == SCIM_AT_COMPLEX;
    return json_is_object(v) && (cur == NULL || json_is_object(cur));
}

static int
required_cleared(struct patch_op *op, const struct scim_attr *def,
                 const json_t *v)
{
    int null = v == NULL || json_is_null(v);

    return patch_failf(op, null ? SCIM_CAUSE_NULL_REQUIRED
                                : SCIM_CAUSE_EMPTY_REQUIRED,
                       "invalidValue", ".value",
                       "'%s' is required and cannot be cleared.", def->name);
}

/* ---- Multi-valued -------------------------------------------------------- */

/*
 * Two values are the same member when their "value" (the id) is; other
 * multi-valued attributes compare whole values (RFC 7644 3.5.2.1: "if
 * the target already contains the value, no change").
 */
static int
same_value(const char *name, const json_t *a, const json_t *b)
{
    const json_t *x, *y;

    if (strcasecmp(name, "members") == 0 && json_is_object(a)
        && json_is_object(b)) {
        x = patch_iget(a, "value", NULL);
        y = patch_iget(b, "value", NULL);
        if (json_is_string(x) && json_is_string(y))
            return strcmp(json_string_value(x), json_string_value(y)) == 0;
    }
    return json_equal(a, b);
}

static int
contains(const char *name, const json_t *arr, const json_t *v)
{
    size_t i;
    json_t *e;

    json_array_foreach(arr, i, e)
        if (same_value(name, e, v))
            return 1;
    return 0;
}

static int
mv_add(struct patch_op *op, json_t *box, const char *name,
       const struct scim_attr *def, const json_t *value)
{
    json_t *list = NULL, *cur, *e;
    size_t i;
    int rc;

    if ((rc = patch_value_list(op, def, value, &list)) != SCIM_OK)
        return rc;
    cur = patch_iget(box, name, NULL);
    if (json_array_size(list) > 0 && !json_is_array(cur)) {
        cur = json_array();
        rc = set_key(box, canon(def, name), cur);
    }
    json_array_foreach(list, i, e) {
        if (rc != SCIM_OK)
            break;
        if (!contains(name, cur, e) && json_array_append(cur, e) != 0)
            rc = SCIM_ENOMEM;
    }
    json_decref(list);
    return rc;
}

static int
mv_replace(struct patch_op *op, json_t *box, const char *name,
           const struct scim_attr *def, const json_t *value)
{
    json_t *list = NULL;
    int rc;

    if ((rc = patch_value_list(op, def, value, &list)) != SCIM_OK)
        return rc;
    if (json_array_size(list) == 0) {
        json_decref(list);
        return patch_slot_remove(op, box, name);
    }
    return set_key(box, canon(def, name), list);
}

/* ---- Complex and simple -------------------------------------------------- */

/* Applies each sub-attribute of object value to box[name]. */
static int
complex_merge(struct patch_op *op, json_t *box, const char *name,
              const struct scim_attr *def, const json_t *value)
{
    const struct scim_attr *sd;
    const char *k, *key = NULL;
    json_t *cur, *v;
    int rc = SCIM_OK;

    if (!json_is_object(value))
        return patch_failf(op, SCIM_CAUSE_INVALID_TYPE, "invalidValue",
                           ".value", "'%s' is complex; its value must be "
                           "an object.", canon(def, name));
    cur = patch_iget(box, name, &key);
    if (!json_is_object(cur)) {
        key = canon(def, name);
        if ((rc = set_key(box, key, cur = json_object())) != SCIM_OK)
            return rc;
        patch_iget(box, key, &key);   /* the spelling now stored */
    }
    json_object_foreach((json_t *)value, k, v) {
        sd = def != NULL ? attr_sub(def, k, strlen(k)) : NULL;
        if (op->kind == PATCH_ADD)
            rc = patch_slot_add(op, cur, canon(sd, k), sd, v);
        else
            rc = patch_slot_replace(op, cur, canon(sd, k), sd, v);
        if (rc != SCIM_OK)
            return rc;
    }
    if (json_object_size(cur) == 0)
        json_object_del(box, key);
    return SCIM_OK;
}

/*
 * RFC 7644 3.5.2.1 already says that add on a single-valued attribute
 * replaces it; dialect add_single only records that it happened, since
 * Entra relies on it ("Add" of nickName on a user that has one).
 */
static int
simple_set(struct patch_op *op, json_t *box, const char *name,
           const struct scim_attr *def, const json_t *value)
{
    json_t *v = NULL, *cur;
    int rc;

    if ((rc = patch_value_norm(op, def, value, 0, &v)) != SCIM_OK)
        return rc;
    cur = patch_iget(box, name, NULL);
    if (op->kind == PATCH_ADD && cur != NULL && !json_is_null(cur)
        && !json_equal(cur, v)
        && scim_ctx_dialect(op->ctx, SCIM_DIALECT_ADD_SINGLE))
        scim_ctx_fire(op->ctx, SCIM_DIALECT_ADD_SINGLE);
    return set_key(box, canon(def, name), v);
}

/* ---- Entry points -------------------------------------------------------- */

static int
slot_write(struct patch_op *op, json_t *box, const char *name,
           const struct scim_attr *def, const json_t *value)
{
    const json_t *cur = patch_iget(box, name, NULL);

    if (is_mv(def, cur, value))
        return op->kind == PATCH_ADD ? mv_add(op, box, name, def, value)
                                     : mv_replace(op, box, name, def, value);
    if (is_complex(def, cur, value))
        return complex_merge(op, box, name, def, value);
    return simple_set(op, box, name, def, value);
}

/* add or replace: op->kind tells which. */
static int
slot_put(struct patch_op *op, json_t *box, const char *name,
         const struct scim_attr *def, const json_t *value)
{
    json_t *tmp = NULL;
    int rc;

    if ((rc = patch_value_shape(op, def, value, &tmp)) != SCIM_OK)
        return rc;
    if (tmp != NULL)
        value = tmp;
    if (patch_value_empty(def, value)) {
        if (def != NULL && def->required)
            rc = required_cleared(op, def, value);
        else if (op->kind == PATCH_REPLACE)
            rc = patch_slot_remove(op, box, name);
    } else {
        rc = slot_write(op, box, name, def, value);
    }
    json_decref(tmp);
    return rc;
}

int
patch_slot_add(struct patch_op *op, json_t *box, const char *name,
               const struct scim_attr *def, const json_t *value)
{
    enum patch_kind k = op->kind;
    int rc;

    op->kind = PATCH_ADD;
    rc = slot_put(op, box, name, def, value);
    op->kind = k;
    return rc;
}

int
patch_slot_replace(struct patch_op *op, json_t *box, const char *name,
                   const struct scim_attr *def, const json_t *value)
{
    enum patch_kind k = op->kind;
    int rc;

    op->kind = PATCH_REPLACE;
    rc = slot_put(op, box, name, def, value);
    op->kind = k;
    return rc;
}

int
patch_slot_remove(struct patch_op *op, json_t *box, const char *name)
{
    const char *key;

    (void)op;
    if (patch_iget(box, name, &key) != NULL)
        json_object_del(box, key);
    return SCIM_OK;
}

/* ---- Remove with a value list -------------------------------------------- */

/*
 * Whether element e is the listed value item: by "value" when the item
 * names one (Entra lists {"$ref": null, "value": "<id>"}), else when
 * every sub-attribute the item gives is equal; simple values by
 * equality.
 */
static int
listed(const json_t *e, const json_t *item)
{
    const json_t *iv, *ev;
    const char *k;
    json_t *v;

    if (!json_is_object(item) || !json_is_object(e))
        return json_equal(e, item);
    iv = patch_iget(item, "value", NULL);
    if (iv != NULL && !json_is_null(iv))
        return (ev = patch_iget(e, "value", NULL)) != NULL
               && json_equal(ev, iv);
    json_object_foreach((json_t *)item, k, v) {
        if (json_is_null(v))
            continue;
        if ((ev = patch_iget(e, k, NULL)) == NULL || !json_equal(ev, v))
            return 0;
    }
    return json_object_size(item) > 0;
}

int
patch_remove_listed(struct patch_op *op, json_t *arr,
                    const struct scim_attr *def, const json_t *values)
{
    size_t i, j, n = json_is_array(values) ? json_array_size(values) : 1;
    const json_t *item;

    (void)def;
    for (j = 0; j < n; j++) {
        item = json_is_array(values) ? json_array_get(values, j) : values;
        if (json_is_array(item))
            return patch_failf(op, SCIM_CAUSE_INVALID_SYNTAX,
                               "invalidSyntax", ".value", "a value listed "
                               "for removal cannot be an array.");
    }
    for (i = json_array_size(arr); i-- > 0;) {
        for (j = 0; j < n; j++) {
            item = json_is_array(values) ? json_array_get(values, j)
                                         : values;
            if (listed(json_array_get(arr, i), item))
                break;
        }
        if (j < n)
            json_array_remove(arr, i);
    }
    return SCIM_OK;
}
