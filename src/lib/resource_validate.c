/* SPDX-License-Identifier: MIT */
/*
 * Checking one attribute value against its definition: JSON type,
 * dateTime, base64 and reference syntax, closed canonical lists,
 * sub-attributes of complex values and the elements of multi-valued
 * ones. Every value comes out as a fresh copy in the attribute's
 * canonical shape, or as "absent" (NULL) when RFC 7643 section 2.5 says
 * it means unassigned: null, "", [] or {}. Errors name the exact path
 * ("emails[1].value") and say, in one sentence, what was expected.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "resource.h"

char *
resource_pathf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return buf;
}

/* What a JSON value is, in words an administrator reads in a detail. */
static const char *
json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "a list";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "a whole number";
    case JSON_REAL:
        return "a decimal number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "true/false";
    default:
        return "null";
    }
}

static const char *
expected_kind(const struct scim_attr *a)
{
    switch (a->type) {
    case SCIM_AT_STRING:
        return "a string";
    case SCIM_AT_BOOLEAN:
        return "true or false";
    case SCIM_AT_DECIMAL:
        return "a number";
    case SCIM_AT_INTEGER:
        return "a whole number";
    case SCIM_AT_DATETIME:
        return "a dateTime string such as 2024-01-31T09:30:00Z";
    case SCIM_AT_BINARY:
        return "base64-encoded data";
    case SCIM_AT_REFERENCE:
        return "a URI string";
    default:
        return "an object with sub-attributes";
    }
}

int
resource_type_error(struct scim_ctx *ctx, const struct scim_attr *a,
                    const json_t *v, const char *path)
{
    return scim_failf(&ctx->err, 400, SCIM_CAUSE_INVALID_TYPE,
                      "invalidValue", path, "Attribute '%s' must be %s, "
                      "but %s was sent.", path, expected_kind(a),
                      json_kind(v));
}

/* RFC 7643 section 2.5: these mean "no value". */
int
resource_is_empty(const json_t *v)
{
    return v == NULL || json_is_null(v)
           || (json_is_string(v) && json_string_length(v) == 0)
           || (json_is_array(v) && json_array_size(v) == 0)
           || (json_is_object(v) && json_object_size(v) == 0);
}

int
resource_required_error(struct scim_ctx *ctx, const char *path,
                        const json_t *raw)
{
    enum scim_cause cause = SCIM_CAUSE_EMPTY_REQUIRED;
    const char *how = "was sent without a usable value";

    if (raw == NULL) {
        cause = SCIM_CAUSE_MISSING_REQUIRED;
        how = "was not sent";
    } else if (json_is_null(raw)) {
        cause = SCIM_CAUSE_NULL_REQUIRED;
        how = "was sent as null";
    } else if (json_is_string(raw) && json_string_length(raw) == 0) {
        how = "was sent as an empty string";
    } else if (json_is_array(raw) && json_array_size(raw) == 0) {
        how = "was sent as an empty list";
    } else if (json_is_object(raw) && json_object_size(raw) == 0) {
        how = "was sent as an empty object";
    }
    return scim_failf(&ctx->err, 400, cause, "invalidValue", path,
                      "Attribute '%s' is required but %s.", path, how);
}

/* ---- Simple types ----------------------------------------------------- */

/*
 * Canonical lists are advisory (RFC 7643 says SHOULD) because identity
 * providers send their own labels for "type" of emails, phoneNumbers
 * and the like. The one closed list is Group members.type, which names
 * a resource type; its value is rewritten to the canonical spelling.
 */
static int
closed_list(const struct scim_attr *a)
{
    return a->parent != NULL && strcmp(a->parent->name, "members") == 0
           && strcmp(a->name, "type") == 0
           && strcmp(a->schema->id, SCIM_SCHEMA_GROUP) == 0;
}

static int
check_canonical(struct scim_ctx *ctx, const struct scim_attr *a,
                const char *s, const char *path, json_t **out)
{
    size_t i;

    if (a->ncanonical == 0 || !closed_list(a))
        return SCIM_OK;
    for (i = 0; i < a->ncanonical; i++) {
        if (strcasecmp(a->canonical[i], s) == 0) {
            json_decref(*out);
            *out = json_string(a->canonical[i]);
            return *out == NULL ? SCIM_ENOMEM : SCIM_OK;
        }
    }
    json_decref(*out);
    *out = NULL;
    return scim_failf(&ctx->err, 400, SCIM_CAUSE_INVALID_VALUE,
                      "invalidValue", path, "Attribute '%s' must be one of "
                      "'User' or 'Group', but \"%.40s\" was sent.", path,
                      s);
}

/* Standard base64 with padding (RFC 4648 section 4), as RFC 7643 2.3.6. */
static int
valid_base64(const char *s, size_t len)
{
    unsigned char *buf;
    size_t n;
    int rc;

    if (len % 4 != 0)
        return 0;
    buf = scim_malloc(len / 4 * 3 + 1);
    if (buf == NULL)
        return -1;
    rc = sodium_base642bin(buf, len / 4 * 3 + 1, s, len, NULL, &n, NULL,
                           sodium_base64_VARIANT_ORIGINAL);
    scim_free(buf);
    return rc == 0 ? 1 : 0;
}

/*
 * A URI never holds blanks or control characters (RFC 3986).
 * Limitation: references are checked for that only; the URI grammar
 * and referenceTypes (User, Group, external) are not enforced, since
 * clients send relative, absolute and bare-id forms alike.
 */
static int
valid_reference(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return 0;
    return 1;
}

static int
string_bool(struct scim_ctx *ctx, const struct scim_attr *a,
            const json_t *v, const char *path, json_t **out)
{
    const char *s = json_string_value(v);
    int t = strcasecmp(s, "true") == 0, f = strcasecmp(s, "false") == 0;

    if (!t && !f)
        return resource_type_error(ctx, a, v, path);
    if (!scim_ctx_dialect(ctx, SCIM_DIALECT_STRING_BOOL))
        return scim_failf(&ctx->err, 400, SCIM_CAUSE_INVALID_TYPE,
                          "invalidValue", path, "Attribute '%s' must be "
                          "true or false, but the string \"%s\" was sent "
                          "and this tenant does not accept booleans as "
                          "strings.", path, s);
    /* Entra ID's legacy dialect: "True"/"False" (string_bool rule). */
    scim_ctx_fire(ctx, SCIM_DIALECT_STRING_BOOL);
    *out = json_boolean(t);
    return SCIM_OK;
}

static int
check_string(struct scim_ctx *ctx, const struct scim_attr *a,
             const json_t *v, const char *path, json_t **out)
{
    const char *s = json_string_value(v);
    char canon[SCIM_DATETIME_LEN];
    int ok = 1;

    if (a->type == SCIM_AT_DATETIME && scim_datetime_canon(s, canon) != 0)
        return scim_failf(&ctx->err, 400, SCIM_CAUSE_INVALID_VALUE,
                          "invalidValue", path, "Attribute '%s' must be a "
                          "dateTime such as 2024-01-31T09:30:00Z, but "
                          "\"%.40s\" is not one.", path, s);
    if (a->type == SCIM_AT_BINARY
        && (ok = valid_base64(s, json_string_length(v))) < 0)
        return SCIM_ENOMEM;
    if (a->type == SCIM_AT_REFERENCE)
        ok = valid_reference(s);
    if (!ok)
        return scim_failf(&ctx->err, 400, SCIM_CAUSE_INVALID_VALUE,
                          "invalidValue", path, "Attribute '%s' must be %s, "
                          "but the string sent is not.", path,
                          expected_kind(a));
    *out = json_copy((json_t *)v);
    if (*out == NULL)
        return SCIM_ENOMEM;
    return check_canonical(ctx, a, s, path, out);
}

static int
check_number(struct scim_ctx *ctx, const struct scim_attr *a,
             const json_t *v, const char *path, json_t **out)
{
    double d = json_number_value(v);

    if (a->type == SCIM_AT_DECIMAL) {
        *out = json_real(d);
        return *out == NULL ? SCIM_ENOMEM : SCIM_OK;
    }
    if (json_is_integer(v)) {
        *out = json_copy((json_t *)v);
        return *out == NULL ? SCIM_ENOMEM : SCIM_OK;
    }
    /* 42.0 is the integer 42 written by a generic JSON encoder. */
    if (d == (double)(json_int_t)d && d > -9.0e15 && d < 9.0e15) {
        *out = json_integer((json_int_t)d);
        return *out == NULL ? SCIM_ENOMEM : SCIM_OK;
    }
    return resource_type_error(ctx, a, v, path);
}

static int
check_simple(struct scim_ctx *ctx, const struct scim_attr *a,
             const json_t *v, const char *path, json_t **out)
{
    int stringy = a->type == SCIM_AT_STRING || a->type == SCIM_AT_DATETIME
                  || a->type == SCIM_AT_BINARY
                  || a->type == SCIM_AT_REFERENCE;

    *out = NULL;
    if (resource_is_empty(v))
        return SCIM_OK;
    if (stringy && json_is_string(v))
        return check_string(ctx, a, v, path, out);
    if (a->type == SCIM_AT_BOOLEAN && json_is_boolean(v)) {
        *out = json_boolean(json_is_true(v));
        return SCIM_OK;
    }
    if (a->type == SCIM_AT_BOOLEAN && json_is_string(v))
        return string_bool(ctx, a, v, path, out);
    if ((a->type == SCIM_AT_INTEGER || a->type == SCIM_AT_DECIMAL)
        && json_is_number(v))
        return check_number(ctx, a, v, path, out);
    return resource_type_error(ctx, a, v, path);
}

/* ---- Complex values --------------------------------------------------- */

static int
dup_error(struct scim_ctx *ctx, const char *path)
{
    return scim_failf(&ctx->err, 400, SCIM_CAUSE_INVALID_VALUE,
                      "invalidValue", path, "Attribute '%s' was sent twice "
                      "(attribute names are case-insensitive).", path);
}

int
resource_unknown(struct scim_ctx *ctx, const struct scim_rtype *rt,
                 const char *path, const char *note)
{
    if (ctx->cfg != NULL && ctx->cfg->unknown == SCIM_UNKNOWN_REJECT)
        return scim_failf(&ctx->err, 400, SCIM_CAUSE_INVALID_VALUE,
                          "invalidValue", path, "Attribute '%s' is not "
                          "defined by any schema of this tenant for %s "
                          "resources.", path, rt->name);
    scim_ctx_ignore(ctx, note);
    return SCIM_OK;
}

/* A required sub-attribute missing from a complex value that is set. */
static int
check_required_subs(struct scim_ctx *ctx, const struct scim_attr *a,
                    const json_t *in, const json_t *obj, const char *path)
{
    char p[256];
    size_t i;

    for (i = 0; i < a->nsubs; i++) {
        const struct scim_attr *s = &a->subs[i];

        if (!s->required || s->mutability == SCIM_MUT_READONLY
            || json_object_get(obj, s->name) != NULL)
            continue;
        resource_pathf(p, sizeof(p), "%s.%s", path, s->name);
        return resource_required_error(ctx, p,
                                       json_iget(in, s->name,
                                                 strlen(s->name), NULL));
    }
    return SCIM_OK;
}

static int
set_sub(struct scim_ctx *ctx, const struct scim_rtype *rt,
        const struct scim_attr *a, const char *k, const json_t *v,
        const char *path, json_t *obj)
{
    const struct scim_attr *s = attr_sub(a, k, strlen(k));
    char p[256], note[256];
    json_t *nv = NULL;
    int rc;

    resource_pathf(p, sizeof(p), "%s.%s", path, s != NULL ? s->name : k);
    if (s == NULL) {
        resource_pathf(note, sizeof(note), "%s.%s", a->name, k);
        return resource_unknown(ctx, rt, p, note);
    }
    if (json_object_get(obj, s->name) != NULL)
        return dup_error(ctx, p);
    /* Read-only sub-attributes (manager.displayName...) are dropped. */
    if (s->mutability == SCIM_MUT_READONLY)
        return SCIM_OK;
    if ((rc = check_simple(ctx, s, v, p, &nv)) != SCIM_OK || nv == NULL)
        return rc;
    return json_object_set_new(obj, s->name, nv) == 0 ? SCIM_OK
                                                       : SCIM_ENOMEM;
}

/*
 * The sub-attributes that were sent, even those dropped as empty, are
 * remembered under their canonical name in "seen", so that "sub" and
 * "Sub" in one object are caught as the same attribute twice.
 */
static int
check_complex(struct scim_ctx *ctx, const struct scim_rtype *rt,
              const struct scim_attr *a, const json_t *v, const char *path,
              json_t **out)
{
    json_t *obj = NULL, *seen = NULL;
    const struct scim_attr *s;
    const char *k;
    json_t *sv;
    int rc = SCIM_ENOMEM;

    *out = NULL;
    if (resource_is_empty(v))
        return SCIM_OK;
    if (!json_is_object(v))
        return resource_type_error(ctx, a, v, path);
    if ((obj = json_object()) == NULL || (seen = json_object()) == NULL)
        goto out;
    json_object_foreach((json_t *)v, k, sv) {
        s = attr_sub(a, k, strlen(k));
        if (s != NULL && json_object_get(seen, s->name) != NULL) {
            char p[256];

            resource_pathf(p, sizeof(p), "%s.%s", path, s->name);
            rc = dup_error(ctx, p);
            goto out;
        }
        if (s != NULL && json_object_set(seen, s->name, json_null()) != 0) {
            rc = SCIM_ENOMEM;
            goto out;
        }
        if ((rc = set_sub(ctx, rt, a, k, sv, path, obj)) != SCIM_OK)
            goto out;
    }
    rc = check_required_subs(ctx, a, v, obj, path);
    if (rc == SCIM_OK && json_object_size(obj) > 0) {
        *out = obj;
        obj = NULL;
    }

out:
    json_decref(obj);
    json_decref(seen);
    return rc;
}

/* ---- Multi-valued ----------------------------------------------------- */

/*
 * RFC 7643 2.4: "primary" may be true for one value only. The first
 * value marked primary keeps it; later ones are set to false and noted
 * in the SCIM log, rather than failing a whole provisioning run.
 */
static int
one_primary(struct scim_ctx *ctx, const struct scim_attr *a, json_t *arr)
{
    char note[256];
    size_t i;
    json_t *e;
    int seen = 0;

    json_array_foreach(arr, i, e) {
        if (!json_is_true(json_object_get(e, "primary")))
            continue;
        if (seen++ == 0)
            continue;
        if (json_object_set_new(e, "primary", json_false()) != 0)
            return SCIM_ENOMEM;
        resource_pathf(note, sizeof(note), "%s.primary", a->name);
        scim_ctx_ignore(ctx, note);
    }
    return SCIM_OK;
}

static int
check_element(struct scim_ctx *ctx, const struct scim_rtype *rt,
              const struct scim_attr *a, const json_t *e, const char *path,
              json_t **out)
{
    if (a->type == SCIM_AT_COMPLEX)
        return check_complex(ctx, rt, a, e, path, out);
    return check_simple(ctx, a, e, path, out);
}

/*
 * Limitation: values repeating the same value and type are kept as
 * sent, not merged; RFC 7643 2.4 asks clients not to send them.
 */
static int
check_multi(struct scim_ctx *ctx, const struct scim_rtype *rt,
            const struct scim_attr *a, const json_t *v, const char *path,
            json_t **out)
{
    json_t *arr = json_array(), *ev;
    char p[256];
    size_t i;
    int rc = SCIM_OK;

    if (arr == NULL)
        return SCIM_ENOMEM;
    for (i = 0; rc == SCIM_OK && i < json_array_size(v); i++) {
        resource_pathf(p, sizeof(p), "%s[%zu]", path, i);
        if (json_is_array(json_array_get(v, i)))
            rc = resource_type_error(ctx, a, json_array_get(v, i), p);
        else if ((rc = check_element(ctx, rt, a, json_array_get(v, i), p,
                                     &ev)) == SCIM_OK && ev != NULL
                 && json_array_append_new(arr, ev) != 0)
            rc = SCIM_ENOMEM;
    }
    if (rc == SCIM_OK && a->type == SCIM_AT_COMPLEX)
        rc = one_primary(ctx, a, arr);
    if (rc != SCIM_OK || json_array_size(arr) == 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return SCIM_OK;
}

/* ---- Entry point ------------------------------------------------------ */

/*
 * A bare string for a single-valued complex attribute with a "value"
 * sub-attribute: Entra ID sends the enterprise manager as its id alone
 * (manager_string rule).
 */
static int
bare_value(struct scim_ctx *ctx, const struct scim_attr *a, const json_t *v,
           const char *path, json_t **out)
{
    const struct scim_attr *val = attr_sub(a, "value", 5);
    json_t *nv = NULL;
    int rc;

    if (val == NULL || !scim_ctx_dialect(ctx, SCIM_DIALECT_MANAGER_STRING))
        return resource_type_error(ctx, a, v, path);
    scim_ctx_fire(ctx, SCIM_DIALECT_MANAGER_STRING);
    if ((rc = check_simple(ctx, val, v, path, &nv)) != SCIM_OK || nv == NULL)
        return rc;
    /* json_object_set_new releases nv on every failure, NULL included. */
    *out = json_object();
    if (json_object_set_new(*out, val->name, nv) != 0) {
        json_decref(*out);
        *out = NULL;
        return SCIM_ENOMEM;
    }
    return SCIM_OK;
}

static int
wrap(json_t **v)
{
    json_t *arr = json_array();

    if (json_array_append_new(arr, *v) != 0) {
        json_decref(arr);
        *v = NULL;
        return SCIM_ENOMEM;
    }
    *v = arr;
    return SCIM_OK;
}

int
resource_check_value(struct scim_ctx *ctx, const struct scim_rtype *rt,
                     const struct scim_attr *a, const json_t *v,
                     const char *path, json_t **out)
{
    int rc;

    *out = NULL;
    /* [] or {} is "no value" only where a list or object fits; for a
     * simple single-valued attribute it is a wrong type, as in PATCH. */
    if (resource_is_empty(v) && !a->multi_valued &&
        a->type != SCIM_AT_COMPLEX && (json_is_array(v) || json_is_object(v)))
        return resource_type_error(ctx, a, v, path);
    if (resource_is_empty(v))
        return SCIM_OK;
    if (a->multi_valued) {
        /* One value where a list is expected is read as a list of one. */
        if (json_is_array(v))
            return check_multi(ctx, rt, a, v, path, out);
        rc = check_element(ctx, rt, a, v, path, out);
        if (rc != SCIM_OK || *out == NULL)
            return rc;
        return wrap(out);
    }
    /* A list of one for a single-valued complex: Entra's manager form. */
    if (json_is_array(v) && json_array_size(v) == 1
        && a->type == SCIM_AT_COMPLEX
        && json_is_object(json_array_get(v, 0)))
        v = json_array_get(v, 0);
    if (json_is_array(v))
        return scim_failf(&ctx->err, 400, SCIM_CAUSE_INVALID_TYPE,
                          "invalidValue", path, "Attribute '%s' is "
                          "single-valued, but a list was sent.", path);
    if (a->type == SCIM_AT_COMPLEX && json_is_string(v))
        return bare_value(ctx, a, v, path, out);
    return check_element(ctx, rt, a, v, path, out);
}
