/* SPDX-License-Identifier: MIT */
/*
 * PATCH values checked against their attribute definition before they
 * enter the document: JSON types (RFC 7643 2.3), xsd:dateTime syntax,
 * canonical sub-attribute names, and the value-level dialects: Entra's
 * "True"/"False" strings for booleans and its manager given as a bare
 * id. A value that does not fit is 400 invalidValue with cause
 * invalid_type, naming the operation and the attribute. Canonical
 * values, uniqueness and required attributes are resource_prepare's.
 */
#include <string.h>
#include <strings.h>

#include "fold.h"
#include "patch.h"

static const char *
json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static int
type_error(struct patch_op *op, const struct scim_attr *def, const json_t *v)
{
    const char *t = scim_atype_name(def->type);

    return patch_failf(op, SCIM_CAUSE_INVALID_TYPE, "invalidValue",
                       ".value", "'%s%s%s' takes %s %s, not %s.",
                       def->parent != NULL ? def->parent->name : "",
                       def->parent != NULL ? "." : "", def->name,
                       strchr("aeiou", t[0]) != NULL ? "an" : "a", t,
                       json_kind(v));
}

static int
is_manager(const struct scim_attr *def)
{
    return def != NULL && def->parent == NULL
           && def->type == SCIM_AT_COMPLEX && !def->multi_valued
           && strcasecmp(def->name, "manager") == 0 && def->schema != NULL
           && strcasecmp(def->schema->id, SCIM_SCHEMA_ENTERPRISE) == 0;
}

int
patch_value_shape(struct patch_op *op, const struct scim_attr *def,
                  const json_t *v, json_t **tmp)
{
    const char *s = json_string_value(v);

    *tmp = NULL;
    if (!is_manager(def)
        || !scim_ctx_dialect(op->ctx, SCIM_DIALECT_MANAGER_STRING))
        return SCIM_OK;
    if (s != NULL) {
        *tmp = *s != '\0' ? json_pack("{s:s}", "value", s) : json_null();
    } else if (json_is_array(v) && json_array_size(v) == 1
               && json_is_object(json_array_get(v, 0))) {
        /* Entra's older sample: [{"$ref": ..., "value": "<id>"}]. */
        *tmp = json_incref(json_array_get(v, 0));
    } else {
        return SCIM_OK;
    }
    scim_ctx_fire(op->ctx, SCIM_DIALECT_MANAGER_STRING);
    return *tmp != NULL ? SCIM_OK : SCIM_ENOMEM;
}

int
patch_value_empty(const struct scim_attr *def, const json_t *v)
{
    const json_t *x;
    const char *k;
    json_t *m;
    int named = 0;

    if (v == NULL || json_is_null(v))
        return 1;
    if (json_is_array(v))
        return json_array_size(v) == 0
               && (def == NULL || def->multi_valued);
    if (def == NULL || def->multi_valued)
        return 0;
    if (json_is_string(v))
        return def->type != SCIM_AT_COMPLEX && *json_string_value(v) == 0;
    if (def->type != SCIM_AT_COMPLEX || !json_is_object(v))
        return 0;
    /* {"value": ""}: the SCIM Validator clears the manager that way. */
    json_object_foreach((json_t *)v, k, m) {
        x = m;
        if (!json_is_null(x) && !(json_is_string(x)
                                  && *json_string_value(x) == 0))
            return 0;
        named |= strcasecmp(k, "value") == 0;
    }
    return named;
}

/* ---- Simple values ------------------------------------------------------- */

/*
 * Entra's legacy job sends booleans as "True"/"False" strings; dialect
 * string_bool reads them (in any case) as JSON booleans.
 */
static int
norm_bool(struct patch_op *op, const struct scim_attr *def, const json_t *v,
          json_t **out)
{
    const char *s = json_string_value(v);

    if (json_is_boolean(v)) {
        *out = json_incref((json_t *)v);
        return SCIM_OK;
    }
    if (s == NULL || (strcasecmp(s, "true") != 0
                      && strcasecmp(s, "false") != 0)
        || !scim_ctx_dialect(op->ctx, SCIM_DIALECT_STRING_BOOL))
        return type_error(op, def, v);
    scim_ctx_fire(op->ctx, SCIM_DIALECT_STRING_BOOL);
    *out = json_boolean(strcasecmp(s, "true") == 0);
    return SCIM_OK;
}

static int
norm_simple(struct patch_op *op, const struct scim_attr *def,
            const json_t *v, json_t **out)
{
    char canon[SCIM_DATETIME_LEN];
    int ok;

    switch (def->type) {
    case SCIM_AT_BOOLEAN:
        return norm_bool(op, def, v, out);
    case SCIM_AT_INTEGER:
        ok = json_is_integer(v);
        break;
    case SCIM_AT_DECIMAL:
        ok = json_is_number(v);
        break;
    case SCIM_AT_DATETIME:
        if (!json_is_string(v))
            return type_error(op, def, v);
        if (scim_datetime_canon(json_string_value(v), canon) != 0)
            return patch_failf(op, SCIM_CAUSE_INVALID_VALUE,
                               "invalidValue", ".value", "'%s' is not an "
                               "xsd:dateTime.", json_string_value(v));
        ok = 1;
        break;
    default:
        ok = json_is_string(v);
        break;
    }
    if (!ok)
        return type_error(op, def, v);
    *out = json_deep_copy(v);
    return *out != NULL ? SCIM_OK : SCIM_ENOMEM;
}

/* ---- Complex and multi-valued -------------------------------------------- */

/*
 * A complex value: known sub-attributes checked and spelled as the
 * schema does, nulls dropped (Entra's "$ref": null), unknown ones kept
 * for resource_prepare to drop or refuse as the tenant says.
 */
static int
norm_complex(struct patch_op *op, const struct scim_attr *def,
             const json_t *v, json_t **out)
{
    const struct scim_attr *sd;
    json_t *o, *x, *n = NULL;
    const char *k;
    int rc = SCIM_OK;

    if (!json_is_object(v))
        return type_error(op, def, v);
    if ((o = json_object()) == NULL)
        return SCIM_ENOMEM;
    json_object_foreach((json_t *)v, k, x) {
        if (json_is_null(x))
            continue;
        sd = attr_sub(def, k, strlen(k));
        rc = patch_value_norm(op, sd, x, 0, &n);
        if (rc == SCIM_OK && json_object_set_new(o, sd != NULL ? sd->name
                                                               : k, n) != 0)
            rc = SCIM_ENOMEM;
        if (rc != SCIM_OK)
            break;
    }
    if (rc != SCIM_OK)
        json_decref(o);
    else
        *out = o;
    return rc;
}

int
patch_value_list(struct patch_op *op, const struct scim_attr *def,
                 const json_t *v, json_t **out)
{
    json_t *arr = json_array(), *n = NULL;
    size_t i, cnt = json_is_array(v) ? json_array_size(v) : 1;
    const json_t *e;
    int rc = arr != NULL ? SCIM_OK : SCIM_ENOMEM;

    for (i = 0; rc == SCIM_OK && v != NULL && i < cnt; i++) {
        e = json_is_array(v) ? json_array_get(v, i) : v;
        if (json_is_null(e))
            continue;
        rc = patch_value_norm(op, def, e, 1, &n);
        if (rc == SCIM_OK && json_array_append_new(arr, n) != 0)
            rc = SCIM_ENOMEM;
    }
    if (rc != SCIM_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return SCIM_OK;
}

int
patch_value_norm(struct patch_op *op, const struct scim_attr *def,
                 const json_t *v, int elem, json_t **out)
{
    *out = NULL;
    if (def == NULL) {
        *out = json_deep_copy(v);
        return *out != NULL ? SCIM_OK : SCIM_ENOMEM;
    }
    if (def->multi_valued && !elem)
        return patch_value_list(op, def, v, out);
    if (def->type == SCIM_AT_COMPLEX)
        return norm_complex(op, def, v, out);
    return norm_simple(op, def, v, out);
}
