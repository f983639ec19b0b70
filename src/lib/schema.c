/* SPDX-License-Identifier: MIT */
/*
 * The schema registry. Schemas are read from their RFC 7643 section 7
 * JSON definitions (the built-in ones are embedded at build time from
 * the JSON files in src/lib/schemas, custom ones come from the tenant)
 * and checked strictly, so that every later rule can trust them. The
 * common attributes id, externalId and meta are listed in the built-in
 * core schemas, as RFC 7643 section 3.1 allows, so they resolve like
 * any other attribute. All name lookups are case-insensitive (RFC 7643
 * section 2.1); the definition keeps the canonical spelling.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "schema.h"

extern const char *const scim_builtin_schemas[];

static const char *const atype_names[] = {
    [SCIM_AT_STRING] = "string",
    [SCIM_AT_BOOLEAN] = "boolean",
    [SCIM_AT_DECIMAL] = "decimal",
    [SCIM_AT_INTEGER] = "integer",
    [SCIM_AT_DATETIME] = "dateTime",
    [SCIM_AT_BINARY] = "binary",
    [SCIM_AT_REFERENCE] = "reference",
    [SCIM_AT_COMPLEX] = "complex",
};

static const char *const mut_names[] = {
    [SCIM_MUT_READWRITE] = "readWrite",
    [SCIM_MUT_READONLY] = "readOnly",
    [SCIM_MUT_IMMUTABLE] = "immutable",
    [SCIM_MUT_WRITEONLY] = "writeOnly",
};

static const char *const ret_names[] = {
    [SCIM_RET_DEFAULT] = "default",
    [SCIM_RET_ALWAYS] = "always",
    [SCIM_RET_NEVER] = "never",
    [SCIM_RET_REQUEST] = "request",
};

static const char *const uniq_names[] = {
    [SCIM_UNIQ_NONE] = "none",
    [SCIM_UNIQ_SERVER] = "server",
    [SCIM_UNIQ_GLOBAL] = "global",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Keys an attribute definition may carry (RFC 7643 section 7). */
static const char *const attr_keys[] = {
    "name", "type", "subAttributes", "multiValued", "description",
    "required", "canonicalValues", "caseExact", "mutability", "returned",
    "uniqueness", "referenceTypes",
};

const char *
scim_atype_name(enum scim_atype t)
{
    if ((unsigned)t >= NELEM(atype_names))
        return "unknown";
    return atype_names[t];
}

json_t *
json_iget(const json_t *obj, const char *key, size_t len,
          const char **actual)
{
    const char *k;
    json_t *v;

    if (!json_is_object(obj) || key == NULL)
        return NULL;
    json_object_foreach((json_t *)obj, k, v) {
        if (strlen(k) == len && strncasecmp(k, key, len) == 0) {
            if (actual != NULL)
                *actual = k;
            return v;
        }
    }
    return NULL;
}

static int
name_eq(const char *name, const char *s, size_t len)
{
    return strlen(name) == len && strncasecmp(name, s, len) == 0;
}

const struct scim_attr *
schema_attr(const struct scim_schema *s, const char *name, size_t len)
{
    size_t i;

    for (i = 0; s != NULL && i < s->nattrs; i++)
        if (name_eq(s->attrs[i].name, name, len))
            return &s->attrs[i];
    return NULL;
}

const struct scim_attr *
attr_sub(const struct scim_attr *a, const char *name, size_t len)
{
    size_t i;

    for (i = 0; a != NULL && i < a->nsubs; i++)
        if (name_eq(a->subs[i].name, name, len))
            return &a->subs[i];
    return NULL;
}

/* ---- Freeing ---------------------------------------------------------- */

static void
strv_free(char **v, size_t n)
{
    size_t i;

    for (i = 0; v != NULL && i < n; i++)
        scim_free(v[i]);
    scim_free(v);
}

static void
attr_clear(struct scim_attr *a)
{
    size_t i;

    for (i = 0; a->subs != NULL && i < a->nsubs; i++)
        attr_clear(&a->subs[i]);
    scim_free(a->subs);
    scim_free(a->name);
    scim_free(a->description);
    strv_free(a->canonical, a->ncanonical);
    strv_free(a->ref_types, a->nref_types);
    memset(a, 0, sizeof(*a));
}

void
schema_free(struct scim_schema *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; s->attrs != NULL && i < s->nattrs; i++)
        attr_clear(&s->attrs[i]);
    scim_free(s->attrs);
    scim_free(s->id);
    scim_free(s->name);
    scim_free(s->description);
    json_decref(s->json);
    memset(s, 0, sizeof(*s));
    scim_free(s);
}

/* ---- Parsing one definition ------------------------------------------- */

/*
 * ATTRNAME of RFC 7643 section 2.1: ALPHA *(ALPHA / DIGIT / "-" / "_").
 * "$ref" is the one reserved exception the RFC itself uses.
 */
static int
valid_attrname(const char *s)
{
    size_t i;

    if (strcmp(s, "$ref") == 0)
        return 1;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return 0;
    for (i = 1; s[i] != '\0'; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return i <= 128;
}

/*
 * A schema id is a URI; we do not parse URIs, but refuse what could
 * never be one (empty, blanks, control characters) and overlong ids.
 */
static int
valid_schema_id(const char *s)
{
    size_t i;

    for (i = 0; s[i] != '\0'; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f || s[i] == '"')
            return 0;
    return i > 0 && i <= 200;
}

static int
enum_lookup(const char *const *names, size_t n, const char *s)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

struct pctx {
    struct scim_error *err;
    char path[256];          /* attribute path, for messages */
};

static int
bad(struct pctx *p, const char *fmt, const char *what)
{
    return scim_failf(p->err, 400, SCIM_CAUSE_INVALID_VALUE,
                      "invalidValue", p->path, fmt, p->path, what);
}

static int
get_bool(struct pctx *p, const json_t *def, const char *key, int *out)
{
    const json_t *v = json_object_get(def, key);

    if (v == NULL)
        return SCIM_OK;
    if (!json_is_boolean(v))
        return bad(p, "Schema attribute '%s' has a non-boolean '%s'.", key);
    *out = json_is_true(v);
    return SCIM_OK;
}

static int
get_enum(struct pctx *p, const json_t *def, const char *key,
         const char *const *names, size_t n, int *out)
{
    const json_t *v = json_object_get(def, key);

    if (v == NULL)
        return SCIM_OK;
    if (!json_is_string(v)
        || (*out = enum_lookup(names, n, json_string_value(v))) < 0)
        return bad(p, "Schema attribute '%s' has an unknown '%s' value.",
                   key);
    return SCIM_OK;
}

static int
get_text(struct pctx *p, const json_t *def, const char *key, char **out)
{
    const json_t *v = json_object_get(def, key);

    if (v == NULL)
        return SCIM_OK;
    if (!json_is_string(v))
        return bad(p, "Schema attribute '%s' has a non-string '%s'.", key);
    *out = scim_strdup(json_string_value(v));
    return *out == NULL ? SCIM_ENOMEM : SCIM_OK;
}

/* An optional array of distinct non-empty strings. */
static int
get_strv(struct pctx *p, const json_t *def, const char *key, char ***out,
         size_t *n)
{
    const json_t *v = json_object_get(def, key), *e;
    size_t i, j;

    if (v == NULL)
        return SCIM_OK;
    if (!json_is_array(v))
        return bad(p, "Schema attribute '%s' has a '%s' that is not a list.",
                   key);
    for (i = 0; i < json_array_size(v); i++) {
        e = json_array_get(v, i);
        if (!json_is_string(e) || json_string_length(e) == 0)
            return bad(p, "Schema attribute '%s' lists a '%s' entry that "
                       "is not a non-empty string.", key);
        for (j = 0; j < i; j++)
            if (json_equal(e, json_array_get(v, j)))
                return bad(p, "Schema attribute '%s' repeats a '%s' "
                           "entry.", key);
    }
    if (json_array_size(v) == 0)
        return SCIM_OK;
    *out = scim_calloc(json_array_size(v), sizeof(char *));
    if (*out == NULL)
        return SCIM_ENOMEM;
    for (i = 0; i < json_array_size(v); i++) {
        (*out)[i] = scim_strdup(json_string_value(json_array_get(v, i)));
        if ((*out)[i] == NULL)
            return SCIM_ENOMEM;
        (*n)++;
    }
    return SCIM_OK;
}

static int
check_keys(struct pctx *p, const json_t *def)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)def, k, v) {
        (void)v;
        if (enum_lookup(attr_keys, NELEM(attr_keys), k) < 0)
            return bad(p, "Schema attribute '%s' has the unknown key '%s'.",
                       k);
    }
    return SCIM_OK;
}

static int parse_attrs(struct pctx *p, const json_t *list,
                       struct scim_schema *s, struct scim_attr *parent,
                       struct scim_attr **out, size_t *n);

static int
parse_type(struct pctx *p, const json_t *def, struct scim_attr *a)
{
    const json_t *t = json_object_get(def, "type");
    int v;

    if (!json_is_string(t))
        return bad(p, "Schema attribute '%s' lacks a valid '%s'.", "type");
    v = enum_lookup(atype_names, NELEM(atype_names), json_string_value(t));
    if (v < 0)
        return bad(p, "Schema attribute '%s' has an unknown '%s'.", "type");
    a->type = (enum scim_atype)v;
    return SCIM_OK;
}

static int
parse_chars(struct pctx *p, const json_t *def, struct scim_attr *a)
{
    int v, rc;

    if ((rc = get_bool(p, def, "multiValued", &a->multi_valued)) != 0
        || (rc = get_bool(p, def, "required", &a->required)) != 0
        || (rc = get_bool(p, def, "caseExact", &a->case_exact)) != 0)
        return rc;
    v = a->mutability;
    if ((rc = get_enum(p, def, "mutability", mut_names, NELEM(mut_names),
                       &v)) != 0)
        return rc;
    a->mutability = (enum scim_mutability)v;
    v = a->returned;
    if ((rc = get_enum(p, def, "returned", ret_names, NELEM(ret_names),
                       &v)) != 0)
        return rc;
    a->returned = (enum scim_returned)v;
    v = a->uniqueness;
    if ((rc = get_enum(p, def, "uniqueness", uniq_names, NELEM(uniq_names),
                       &v)) != 0)
        return rc;
    a->uniqueness = (enum scim_uniqueness)v;
    return SCIM_OK;
}

/* Rules that tie characteristics to the type (RFC 7643 2.3, 7). */
static int
check_coherence(struct pctx *p, const json_t *def, struct scim_attr *a)
{
    const json_t *subs = json_object_get(def, "subAttributes");

    if (a->type == SCIM_AT_COMPLEX && a->parent != NULL)
        return bad(p, "Schema attribute '%s' is complex inside a complex "
                   "attribute, which %s.", "RFC 7643 section 2.4 forbids");
    if (a->type == SCIM_AT_COMPLEX
        && (!json_is_array(subs) || json_array_size(subs) == 0))
        return bad(p, "Schema attribute '%s' is complex but has no %s.",
                   "subAttributes");
    if (a->type != SCIM_AT_COMPLEX && subs != NULL)
        return bad(p, "Schema attribute '%s' has %s but is not complex.",
                   "subAttributes");
    if (a->nref_types > 0 && a->type != SCIM_AT_REFERENCE)
        return bad(p, "Schema attribute '%s' has %s but is not a "
                   "reference.", "referenceTypes");
    if (a->ncanonical > 0 && a->type != SCIM_AT_STRING
        && a->type != SCIM_AT_REFERENCE)
        return bad(p, "Schema attribute '%s' has %s but is not a string.",
                   "canonicalValues");
    return SCIM_OK;
}

static int
parse_attr(struct pctx *p, const json_t *def, struct scim_schema *s,
           struct scim_attr *parent, struct scim_attr *a)
{
    int rc;

    a->schema = s;
    a->parent = parent;
    if ((rc = check_keys(p, def)) != 0 || (rc = parse_type(p, def, a)) != 0
        || (rc = parse_chars(p, def, a)) != 0
        || (rc = get_text(p, def, "description", &a->description)) != 0
        || (rc = get_strv(p, def, "canonicalValues", &a->canonical,
                          &a->ncanonical)) != 0
        || (rc = get_strv(p, def, "referenceTypes", &a->ref_types,
                          &a->nref_types)) != 0
        || (rc = check_coherence(p, def, a)) != 0)
        return rc;
    if (a->type == SCIM_AT_COMPLEX)
        return parse_attrs(p, json_object_get(def, "subAttributes"), s, a,
                           &a->subs, &a->nsubs);
    return SCIM_OK;
}

/* Sets p->path to the name of attribute i of list under parent. */
static int
attr_name(struct pctx *p, const json_t *def, const struct scim_attr *parent,
          size_t i, const char **name)
{
    const json_t *n = json_object_get(def, "name");

    snprintf(p->path, sizeof(p->path), "%s%sattributes[%zu]",
             parent != NULL ? parent->name : "", parent != NULL ? ".sub" : "",
             i);
    if (!json_is_object(def))
        return bad(p, "Schema entry '%s' is not an %s.", "object");
    if (!json_is_string(n) || !valid_attrname(json_string_value(n)))
        return bad(p, "Schema entry '%s' has no valid '%s' (a letter, "
                   "then letters, digits, '-' or '_').", "name");
    *name = json_string_value(n);
    snprintf(p->path, sizeof(p->path), "%s%s%s",
             parent != NULL ? parent->name : "", parent != NULL ? "." : "",
             *name);
    return SCIM_OK;
}

static int
parse_attrs(struct pctx *p, const json_t *list, struct scim_schema *s,
            struct scim_attr *parent, struct scim_attr **out, size_t *n)
{
    size_t i, j, cnt = json_array_size(list);
    const char *name = NULL;
    int rc;

    *out = scim_calloc(cnt, sizeof(**out));
    if (*out == NULL)
        return SCIM_ENOMEM;
    for (i = 0; i < cnt; i++) {
        const json_t *def = json_array_get(list, i);

        if ((rc = attr_name(p, def, parent, i, &name)) != 0)
            return rc;
        for (j = 0; j < i; j++)
            if (strcasecmp((*out)[j].name, name) == 0)
                return bad(p, "Schema attribute '%s' is defined twice "
                           "(names are %s).", "case-insensitive");
        (*out)[i].name = scim_strdup(name);
        (*n)++;
        if ((*out)[i].name == NULL)
            return SCIM_ENOMEM;
        if ((rc = parse_attr(p, def, s, parent, &(*out)[i])) != 0)
            return rc;
    }
    return SCIM_OK;
}

static int
parse_head(struct pctx *p, const json_t *def, struct scim_schema *s)
{
    const json_t *id = json_object_get(def, "id");
    const json_t *attrs = json_object_get(def, "attributes");

    snprintf(p->path, sizeof(p->path), "id");
    if (!json_is_object(def))
        return bad(p, "The schema definition ('%s') is not a JSON %s.",
                   "object");
    if (!json_is_string(id) || !valid_schema_id(json_string_value(id)))
        return bad(p, "The schema '%s' is missing or not a %s.",
                   "URI without blanks");
    snprintf(p->path, sizeof(p->path), "attributes");
    if (!json_is_array(attrs))
        return bad(p, "The schema's '%s' member is missing or not a %s.",
                   "list");
    s->id = scim_strdup(json_string_value(id));
    if (s->id == NULL)
        return SCIM_ENOMEM;
    snprintf(p->path, sizeof(p->path), "name");
    if (get_text(p, def, "name", &s->name) != SCIM_OK
        || get_text(p, def, "description", &s->description) != SCIM_OK)
        return scim_error_isset(p->err) ? SCIM_EINVAL : SCIM_ENOMEM;
    return SCIM_OK;
}

int
schema_from_json(const json_t *def, struct scim_schema **out,
                 struct scim_error *err)
{
    struct pctx p = { .err = err };
    struct scim_schema *s;
    int rc;

    *out = NULL;
    s = scim_calloc(1, sizeof(*s));
    if (s == NULL)
        return SCIM_ENOMEM;
    if ((rc = parse_head(&p, def, s)) != SCIM_OK)
        goto fail;
    rc = parse_attrs(&p, json_object_get(def, "attributes"), s, NULL,
                     &s->attrs, &s->nattrs);
    if (rc != SCIM_OK)
        goto fail;
    s->json = json_deep_copy(def);
    if (s->json == NULL) {
        rc = SCIM_ENOMEM;
        goto fail;
    }
    *out = s;
    return SCIM_OK;

fail:
    schema_free(s);
    return rc;
}

/* ---- The registry ----------------------------------------------------- */

static int
push_ptr(void ***v, size_t *n, void *p)
{
    void **nv = scim_realloc(*v, (*n + 1) * sizeof(void *));

    if (nv == NULL)
        return SCIM_ENOMEM;
    *v = nv;
    nv[(*n)++] = p;
    return SCIM_OK;
}

static void
rtype_free(struct scim_rtype *rt)
{
    if (rt == NULL)
        return;
    scim_free(rt->name);
    scim_free(rt->endpoint);
    scim_free(rt->description);
    scim_free(rt->exts);
    memset(rt, 0, sizeof(*rt));
    scim_free(rt);
}

void
registry_free(struct scim_registry *reg)
{
    size_t i;

    if (reg == NULL)
        return;
    for (i = 0; i < reg->nschemas; i++)
        schema_free(reg->schemas[i]);
    for (i = 0; i < reg->nrtypes; i++)
        rtype_free(reg->rtypes[i]);
    scim_free(reg->schemas);
    scim_free(reg->rtypes);
    memset(reg, 0, sizeof(*reg));
    scim_free(reg);
}

const struct scim_schema *
registry_schema(const struct scim_registry *reg, const char *id)
{
    size_t i;

    for (i = 0; reg != NULL && id != NULL && i < reg->nschemas; i++)
        if (strcasecmp(reg->schemas[i]->id, id) == 0)
            return reg->schemas[i];
    return NULL;
}

const struct scim_rtype *
registry_rtype(const struct scim_registry *reg, const char *name)
{
    size_t i;

    for (i = 0; reg != NULL && name != NULL && i < reg->nrtypes; i++) {
        const struct scim_rtype *rt = reg->rtypes[i];

        if (strcasecmp(rt->name, name) == 0
            || strcasecmp(rt->endpoint, name) == 0)
            return rt;
    }
    return NULL;
}

/* Takes ownership of s: adds it or frees it. */
static int
add_schema(struct scim_registry *reg, struct scim_schema *s,
           struct scim_error *err)
{
    if (registry_schema(reg, s->id) != NULL) {
        scim_failf(err, 400, SCIM_CAUSE_INVALID_VALUE, "invalidValue", "id",
                   "The schema '%s' is already defined for this tenant.",
                   s->id);
        schema_free(s);
        return SCIM_EINVAL;
    }
    if (push_ptr((void ***)&reg->schemas, &reg->nschemas, s) != SCIM_OK) {
        schema_free(s);
        return SCIM_ENOMEM;
    }
    return SCIM_OK;
}

int
registry_add_rtype(struct scim_registry *reg, struct scim_schema *core,
                   const char *name, const char *endpoint,
                   struct scim_error *err)
{
    struct scim_rtype *rt;
    int rc;

    if (registry_rtype(reg, name) != NULL
        || registry_rtype(reg, endpoint) != NULL) {
        schema_free(core);
        return scim_failf(err, 400, SCIM_CAUSE_INVALID_VALUE,
                          "invalidValue", "name", "The resource type '%s' "
                          "is already defined.", name);
    }
    if ((rc = add_schema(reg, core, err)) != SCIM_OK)
        return rc;
    rt = scim_calloc(1, sizeof(*rt));
    if (rt == NULL)
        return SCIM_ENOMEM;
    rt->core = core;
    rt->name = scim_strdup(name);
    rt->endpoint = scim_strdup(endpoint);
    rt->description = scim_strdup(core->description != NULL
                                  ? core->description : name);
    if (rt->name == NULL || rt->endpoint == NULL || rt->description == NULL
        || push_ptr((void ***)&reg->rtypes, &reg->nrtypes, rt) != 0) {
        rtype_free(rt);
        return SCIM_ENOMEM;
    }
    return SCIM_OK;
}

static int
attach(struct scim_rtype *rt, const struct scim_schema *s, int required)
{
    struct scim_rtype_ext *e;

    e = scim_realloc(rt->exts, (rt->nexts + 1) * sizeof(*e));
    if (e == NULL)
        return SCIM_ENOMEM;
    rt->exts = e;
    e[rt->nexts].schema = s;
    e[rt->nexts].required = required;
    rt->nexts++;
    return SCIM_OK;
}

int
registry_add_extension(struct scim_registry *reg, struct scim_schema *s,
                       const char *rtype_name, int required,
                       struct scim_error *err)
{
    struct scim_rtype *rt = (struct scim_rtype *)registry_rtype(reg,
                                                               rtype_name);
    int rc;

    if (rt == NULL) {
        schema_free(s);
        return scim_failf(err, 400, SCIM_CAUSE_INVALID_VALUE,
                          "invalidValue", "resourceType", "The extension "
                          "names the resource type '%s', which does not "
                          "exist.", rtype_name != NULL ? rtype_name : "");
    }
    if ((rc = add_schema(reg, s, err)) != SCIM_OK)
        return rc;
    rc = attach(rt, s, required);
    if (rc != SCIM_OK) {
        /* s is the last schema; drop it so that reg stays consistent. */
        reg->nschemas--;
        schema_free(s);
    }
    return rc;
}

static struct scim_schema *
builtin(const char *id)
{
    struct scim_schema *s = NULL;
    json_t *j;
    size_t i;

    for (i = 0; scim_builtin_schemas[i] != NULL; i++) {
        j = json_loads(scim_builtin_schemas[i], 0, NULL);
        if (j == NULL)
            return NULL;
        if (json_is_string(json_object_get(j, "id"))
            && strcmp(json_string_value(json_object_get(j, "id")), id) == 0)
            (void)schema_from_json(j, &s, NULL);
        json_decref(j);
        if (s != NULL)
            return s;
    }
    return NULL;
}

struct scim_registry *
registry_new(void)
{
    struct scim_registry *reg = scim_calloc(1, sizeof(*reg));
    struct scim_schema *s;

    if (reg == NULL)
        return NULL;
    if ((s = builtin(SCIM_SCHEMA_USER)) == NULL
        || registry_add_rtype(reg, s, "User", "/Users", NULL) != SCIM_OK)
        goto fail;
    if ((s = builtin(SCIM_SCHEMA_GROUP)) == NULL
        || registry_add_rtype(reg, s, "Group", "/Groups", NULL) != SCIM_OK)
        goto fail;
    if ((s = builtin(SCIM_SCHEMA_ENTERPRISE)) == NULL
        || registry_add_extension(reg, s, "User", 0, NULL) != SCIM_OK)
        goto fail;
    return reg;

fail:
    registry_free(reg);
    return NULL;
}

/* ---- Path resolution -------------------------------------------------- */

int
rtype_is_core(const struct scim_rtype *rt, const struct scim_schema *s)
{
    return rt != NULL && s != NULL && rt->core == s;
}

/* Resolves "attr" or "attr.sub" inside schema s. */
static int
resolve_in(const struct scim_schema *s, const char *path, size_t len,
           struct scim_attr_ref *out)
{
    const char *dot = memchr(path, '.', len);
    size_t alen = dot != NULL ? (size_t)(dot - path) : len;
    const struct scim_attr *a = schema_attr(s, path, alen);
    const struct scim_attr *sub = NULL;

    if (a == NULL)
        return SCIM_ENOTFOUND;
    if (dot != NULL) {
        sub = attr_sub(a, dot + 1, len - alen - 1);
        if (sub == NULL)
            return SCIM_ENOTFOUND;
    }
    out->schema = s;
    out->attr = a;
    out->sub = sub;
    return SCIM_OK;
}

/* The schema of rt whose id prefixes path (longest wins), or NULL. */
static const struct scim_schema *
urn_prefix(const struct scim_rtype *rt, const char *path, size_t len)
{
    const struct scim_schema *best = NULL;
    size_t i, n;

    for (i = 0; i <= rt->nexts; i++) {
        const struct scim_schema *s = i == 0 ? rt->core
                                             : rt->exts[i - 1].schema;

        n = strlen(s->id);
        if (n > len || strncasecmp(s->id, path, n) != 0)
            continue;
        if (n < len && path[n] != ':')
            continue;
        if (best == NULL || n > strlen(best->id))
            best = s;
    }
    return best;
}

/*
 * Limitation: id, externalId and meta resolve through the core schema's
 * own list, as the built-in User and Group define them; a custom
 * resource type whose core schema omits them does not resolve them.
 */
int
rtype_resolve(const struct scim_rtype *rt, const char *path, size_t len,
              struct scim_attr_ref *out)
{
    const struct scim_schema *s;
    size_t i, n;

    if (rt == NULL || path == NULL || len == 0)
        return SCIM_ENOTFOUND;
    s = urn_prefix(rt, path, len);
    if (s != NULL) {
        n = strlen(s->id);
        if (n == len) {
            out->schema = s;
            out->attr = NULL;
            out->sub = NULL;
            return SCIM_OK;
        }
        return resolve_in(s, path + n + 1, len - n - 1, out);
    }
    if (resolve_in(rt->core, path, len, out) == SCIM_OK)
        return SCIM_OK;
    for (i = 0; i < rt->nexts; i++)
        if (resolve_in(rt->exts[i].schema, path, len, out) == SCIM_OK)
            return SCIM_OK;
    return SCIM_ENOTFOUND;
}

json_t *
rtype_container(const struct scim_rtype *rt, json_t *doc,
                const struct scim_attr_ref *ref, int create)
{
    const char *id;
    json_t *c;

    if (!json_is_object(doc) || ref == NULL || ref->schema == NULL)
        return NULL;
    if (rtype_is_core(rt, ref->schema))
        return doc;
    id = ref->schema->id;
    c = json_iget(doc, id, strlen(id), NULL);
    if (json_is_object(c))
        return c;
    if (c != NULL || !create)
        return NULL;
    c = json_object();
    if (c == NULL || json_object_set_new(doc, id, c) != 0)
        return NULL;
    return c;
}
