/* SPDX-License-Identifier: MIT */
/*
 * What a response shows and what the store compares. resource_project
 * applies the "returned" characteristic and the attributes /
 * excludedAttributes lists of RFC 7644 section 3.9 to a stored
 * document; resource_fold makes the copy the store indexes, where text
 * of caseExact=false attributes is case-folded and dateTimes are in
 * canonical UTC form. Both walk the document through the schema, so an
 * attribute's rules come from its definition, never from its name.
 */
#include <string.h>
#include <strings.h>

#include "resource.h"

/* Attribute paths named in an attributes or excludedAttributes list. */
struct sel {
    struct scim_attr_ref *refs;
    size_t n;
};

static const struct scim_schema *
ext_of(const struct scim_rtype *rt, const char *key)
{
    size_t i;

    for (i = 0; i < rt->nexts; i++)
        if (strcasecmp(rt->exts[i].schema->id, key) == 0)
            return rt->exts[i].schema;
    return NULL;
}

/* ---- Parsing the lists ------------------------------------------------ */

/* Characters of an attribute path or URN; brackets and blanks are not. */
static int
path_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '$'
           || c == '.' || c == ':';
}

static int
sel_add(struct sel *s, const struct scim_attr_ref *ref)
{
    struct scim_attr_ref *r = scim_realloc(s->refs,
                                           (s->n + 1) * sizeof(*r));

    if (r == NULL)
        return SCIM_ENOMEM;
    s->refs = r;
    r[s->n++] = *ref;
    return SCIM_OK;
}

static int
parse_item(struct scim_ctx *ctx, const struct scim_rtype *rt,
           const char *param, const char *p, size_t len, struct sel *s)
{
    struct scim_attr_ref ref;
    char note[256];
    size_t i;

    for (i = 0; i < len; i++)
        if (!path_char(p[i]))
            return scim_failf(&ctx->err, 400, SCIM_CAUSE_INVALID_PATH,
                              "invalidValue", param, "The %s parameter "
                              "holds '%.*s', which is not an attribute "
                              "path; list paths such as name.givenName, "
                              "separated by commas.", param,
                              (int)(len > 80 ? 80 : len), p);
    /*
     * A well-formed path that no schema defines is ignored (RFC 7644 is
     * silent); refusing would break clients that ask for vendor fields.
     */
    if (rtype_resolve(rt, p, len, &ref) != SCIM_OK) {
        resource_pathf(note, sizeof(note), "%s=%.*s", param,
                       (int)(len > 200 ? 200 : len), p);
        scim_ctx_ignore(ctx, note);
        return SCIM_OK;
    }
    return sel_add(s, &ref);
}

static int
parse_list(struct scim_ctx *ctx, const struct scim_rtype *rt,
           const char *param, const char *list, struct sel *s)
{
    const char *p = list, *end;
    size_t len;
    int rc;

    while (list != NULL && *p != '\0') {
        end = strchr(p, ',');
        len = end != NULL ? (size_t)(end - p) : strlen(p);
        while (len > 0 && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len > 0 && (rc = parse_item(ctx, rt, param, p, len, s)) != 0)
            return rc;
        if (end == NULL)
            break;
        p = end + 1;
    }
    return SCIM_OK;
}

/* ---- Selection tests -------------------------------------------------- */

static int
sel_has(const struct sel *s, const struct scim_schema *schema,
        const struct scim_attr *a, const struct scim_attr *sub)
{
    size_t i;

    for (i = 0; s != NULL && i < s->n; i++)
        if (s->refs[i].schema == schema && s->refs[i].attr == a
            && s->refs[i].sub == sub)
            return 1;
    return 0;
}

static int
sel_any_sub(const struct sel *s, const struct scim_attr *a)
{
    size_t i;

    for (i = 0; s != NULL && i < s->n; i++)
        if (s->refs[i].attr == a && s->refs[i].sub != NULL)
            return 1;
    return 0;
}

/* How one attribute is to be shown. */
struct view {
    const struct sel *want;     /* attributes list, or NULL */
    const struct sel *drop;     /* excludedAttributes list, or NULL */
    int only_named_subs;        /* want names some sub-attributes only */
};

static int
show_sub(const struct view *v, const struct scim_attr *a,
         const struct scim_attr *sub)
{
    int named = sel_has(v->want, a->schema, a, sub);

    if (sub->returned == SCIM_RET_NEVER)
        return 0;
    if (sub->returned == SCIM_RET_ALWAYS)
        return 1;
    if (v->only_named_subs)
        return named;
    if (sub->returned == SCIM_RET_REQUEST && !named
        && !sel_has(v->want, a->schema, a, NULL))
        return 0;
    return !sel_has(v->drop, a->schema, a, sub);
}

/* ---- Projection ------------------------------------------------------- */

static json_t *
project_object(const struct view *v, const struct scim_attr *a,
               const json_t *obj)
{
    json_t *out = json_object(), *sv;
    const struct scim_attr *sub;
    const char *k;

    if (out == NULL)
        return NULL;
    json_object_foreach((json_t *)obj, k, sv) {
        sub = attr_sub(a, k, strlen(k));
        if (sub != NULL && !show_sub(v, a, sub))
            continue;
        if (sub == NULL && v->want != NULL)
            continue;
        if (json_object_set_new(out, k, json_deep_copy(sv)) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* Sets *res to the projected value of a, or leaves it NULL (hidden). */
static int
project_value(const struct view *v, const struct scim_attr *a,
              const json_t *val, json_t **res)
{
    json_t *e, *pe;
    size_t i;

    *res = NULL;
    if (a->type != SCIM_AT_COMPLEX) {
        *res = json_deep_copy(val);
        return *res == NULL ? SCIM_ENOMEM : SCIM_OK;
    }
    if (json_is_object(val)) {
        *res = project_object(v, a, val);
        return *res == NULL ? SCIM_ENOMEM : SCIM_OK;
    }
    if (!json_is_array(val))
        return SCIM_OK;
    if ((*res = json_array()) == NULL)
        return SCIM_ENOMEM;
    json_array_foreach(val, i, e) {
        pe = json_is_object(e) ? project_object(v, a, e) : json_deep_copy(e);
        if (pe != NULL && json_is_object(e) && json_object_size(pe) == 0) {
            json_decref(pe);
            continue;
        }
        if (pe == NULL || json_array_append_new(*res, pe) != 0) {
            json_decref(*res);
            *res = NULL;
            return SCIM_ENOMEM;
        }
    }
    return SCIM_OK;
}

static int
visible(const struct sel *want, const struct sel *drop,
        const struct scim_attr *a, int whole_schema, struct view *v)
{
    v->want = want;
    v->drop = drop;
    v->only_named_subs = 0;
    if (a->returned == SCIM_RET_NEVER)
        return 0;
    if (a->returned == SCIM_RET_ALWAYS) {
        v->want = NULL;
        return 1;
    }
    if (want != NULL) {
        if (whole_schema || sel_has(want, a->schema, a, NULL))
            return 1;
        v->only_named_subs = sel_any_sub(want, a);
        return v->only_named_subs;
    }
    if (a->returned == SCIM_RET_REQUEST)
        return 0;
    return !sel_has(drop, a->schema, a, NULL);
}

/* Nonzero when a projected value carries nothing worth showing. */
static int
hollow(const json_t *v)
{
    size_t i;
    json_t *e;

    if (!json_is_array(v))
        return resource_is_empty(v);
    json_array_foreach(v, i, e) {
        if (!resource_is_empty(e))
            return 0;
    }
    return 1;
}

static int
project_schema(const struct scim_rtype *rt, const struct scim_schema *s,
               const json_t *src, const struct sel *want,
               const struct sel *drop, json_t *dst)
{
    int whole = sel_has(want, s, NULL, NULL);
    const struct scim_attr *a;
    struct view v;
    const char *k;
    json_t *val, *res;

    json_object_foreach((json_t *)src, k, val) {
        if (strcasecmp(k, "schemas") == 0 || ext_of(rt, k) != NULL)
            continue;
        a = schema_attr(s, k, strlen(k));
        /*
         * Stored data no schema of the tenant defines any more (an
         * extension the admin removed) is not shown: a client would
         * send it back on its next PUT and be refused.
         */
        if (a == NULL || !visible(want, drop, a, whole, &v))
            continue;
        res = NULL;
        if (project_value(&v, a, val, &res) != SCIM_OK)
            return SCIM_ENOMEM;
        if (res != NULL && hollow(res)) {
            json_decref(res);
            continue;
        }
        if (res == NULL || json_object_set_new(dst, k, res) != 0)
            return SCIM_ENOMEM;
    }
    return SCIM_OK;
}

static int
project_exts(const struct scim_rtype *rt, const json_t *doc,
             const struct sel *want, const struct sel *drop, json_t *out)
{
    const struct scim_schema *s;
    const char *k;
    json_t *val, *obj;
    int rc;

    json_object_foreach((json_t *)doc, k, val) {
        if ((s = ext_of(rt, k)) == NULL || !json_is_object(val)
            || sel_has(drop, s, NULL, NULL))
            continue;
        if ((obj = json_object()) == NULL)
            return SCIM_ENOMEM;
        rc = project_schema(rt, s, val, want, drop, obj);
        if (rc == SCIM_OK && json_object_size(obj) > 0)
            rc = json_object_set_new(out, k, obj) == 0 ? SCIM_OK
                                                        : SCIM_ENOMEM;
        else
            json_decref(obj);
        if (rc != SCIM_OK)
            return rc;
    }
    return SCIM_OK;
}

/* The URNs of list that rt still knows: its core and its extensions. */
static json_t *
known_schemas(const struct scim_rtype *rt, const json_t *list)
{
    json_t *out = json_array(), *e;
    const char *id;
    size_t i;

    json_array_foreach(list, i, e) {
        id = json_string_value(e);
        if (id != NULL && out != NULL
            && (strcasecmp(id, rt->core->id) == 0 || ext_of(rt, id) != NULL)
            && json_array_append_new(out, json_deep_copy(e)) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

static int
project(const struct scim_rtype *rt, const json_t *doc,
        const struct sel *want, const struct sel *drop, json_t *out)
{
    const json_t *schemas = json_object_get(doc, "schemas");
    int rc;

    /* "schemas" leads every representation (RFC 7643 section 3). */
    if (schemas != NULL
        && json_object_set_new(out, "schemas", known_schemas(rt, schemas)))
        return SCIM_ENOMEM;
    if ((rc = project_schema(rt, rt->core, doc, want, drop, out)) != 0)
        return rc;
    return project_exts(rt, doc, want, drop, out);
}

/*
 * When both lists are given (RFC 7644 3.9 expects one or the other),
 * the attributes list selects and excludedAttributes then removes.
 */
int
resource_project(struct scim_ctx *ctx, const struct scim_rtype *rt,
                 const json_t *doc, const char *attributes,
                 const char *excluded, json_t **out)
{
    struct sel want = { 0 }, drop = { 0 };
    int rc;

    *out = NULL;
    if ((rc = parse_list(ctx, rt, "attributes", attributes, &want)) != 0
        || (rc = parse_list(ctx, rt, "excludedAttributes", excluded,
                            &drop)) != 0)
        goto out;
    if ((*out = json_object()) == NULL) {
        rc = SCIM_ENOMEM;
        goto out;
    }
    rc = project(rt, doc, attributes != NULL ? &want : NULL,
                 excluded != NULL ? &drop : NULL, *out);
    if (rc != SCIM_OK) {
        json_decref(*out);
        *out = NULL;
    }

out:
    scim_free(want.refs);
    scim_free(drop.refs);
    return rc;
}

/* ---- Folding ---------------------------------------------------------- */

static int
fold_string(const struct scim_attr *a, json_t *v)
{
    char canon[SCIM_DATETIME_LEN];
    char *f;
    int rc;

    if (!json_is_string(v))
        return SCIM_OK;
    if (a->type == SCIM_AT_DATETIME) {
        if (scim_datetime_canon(json_string_value(v), canon) != 0)
            return SCIM_OK;
        return json_string_set(v, canon) == 0 ? SCIM_OK : SCIM_ENOMEM;
    }
    if (a->type != SCIM_AT_STRING || a->case_exact)
        return SCIM_OK;
    f = scim_fold(json_string_value(v), json_string_length(v));
    if (f == NULL)
        return SCIM_ENOMEM;
    rc = json_string_set(v, f) == 0 ? SCIM_OK : SCIM_ENOMEM;
    scim_free(f);
    return rc;
}

static int
fold_one(const struct scim_attr *a, json_t *v)
{
    const struct scim_attr *sub;
    const char *k;
    json_t *sv;

    if (a->type != SCIM_AT_COMPLEX)
        return fold_string(a, v);
    json_object_foreach(v, k, sv) {
        if ((sub = attr_sub(a, k, strlen(k))) != NULL
            && fold_string(sub, sv) != SCIM_OK)
            return SCIM_ENOMEM;
    }
    return SCIM_OK;
}

static int
fold_value(const struct scim_attr *a, json_t *v)
{
    size_t i;
    json_t *e;

    if (!json_is_array(v))
        return fold_one(a, v);
    json_array_foreach(v, i, e) {
        if (fold_one(a, e) != SCIM_OK)
            return SCIM_ENOMEM;
    }
    return SCIM_OK;
}

static int
fold_schema(const struct scim_schema *s, json_t *obj)
{
    const struct scim_attr *a;
    const char *k;
    json_t *v;

    json_object_foreach(obj, k, v) {
        if ((a = schema_attr(s, k, strlen(k))) != NULL
            && fold_value(a, v) != SCIM_OK)
            return SCIM_ENOMEM;
    }
    return SCIM_OK;
}

json_t *
resource_fold(const struct scim_rtype *rt, const json_t *doc)
{
    json_t *copy = json_deep_copy(doc), *v;
    const struct scim_schema *s;
    const char *k;

    if (copy == NULL || fold_schema(rt->core, copy) != SCIM_OK)
        goto fail;
    json_object_foreach(copy, k, v) {
        if ((s = ext_of(rt, k)) != NULL && json_is_object(v)
            && fold_schema(s, v) != SCIM_OK)
            goto fail;
    }
    return copy;

fail:
    json_decref(copy);
    return NULL;
}
