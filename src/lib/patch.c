/* SPDX-License-Identifier: MIT */
/*
 * PATCH (RFC 7644 section 3.5.2): the message, its operations and their
 * paths. This file reads the request and turns every operation into
 * targets that patch_target.c applies: a path gives one target, a
 * path-less value one target per key, where a key is an attribute name,
 * an extension URN holding an object, or (dialect path_keys) a dotted or
 * URN-qualified path. The checks run in one fixed order so that each
 * fault gets one RFC 7644 table 9 keyword: message shape, op keyword,
 * path syntax, readOnly target, value presence, unknown attribute, and
 * last the value itself. docs/internals/patch.md gives the reasons.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "patch.h"

static const char *const kind_names[] = { "add", "replace", "remove" };

const char *
patch_kind_name(enum patch_kind kind)
{
    return kind_names[kind];
}

json_t *
patch_iget(const json_t *o, const char *name, const char **key)
{
    return json_iget(o, name, strlen(name), key);
}

/* "replace emails[...]" or "replace, value key 'name.givenName'". */
static void
op_what(const struct patch_op *op, char *buf, size_t size)
{
    const char *k = patch_kind_name(op->kind);

    if (op->key != NULL)
        snprintf(buf, size, "%s, value key '%s'", k, op->key);
    else if (op->path != NULL)
        snprintf(buf, size, "%s %s", k, op->path);
    else
        snprintf(buf, size, "%s", k);
}

int
patch_failf(const struct patch_op *op, enum scim_cause cause,
            const char *scim_type, const char *field, const char *fmt, ...)
{
    char attr[64], what[320], msg[400];
    va_list ap;

    snprintf(attr, sizeof(attr), "Operations[%zu]%s", op->idx, field);
    op_what(op, what, sizeof(what));
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return scim_failf(&op->ctx->err, 400, cause, scim_type, attr,
                      "Operation %zu (%s): %s", op->idx, what, msg);
}

/*
 * A path error recorded by the filter module names no operation; give
 * it the operation's attribute and prefix, keeping its own detail.
 */
static void
rewrap_path_error(const struct patch_op *op)
{
    struct scim_error *e = &op->ctx->err;
    char what[320], detail[sizeof(e->detail)];

    op_what(op, what, sizeof(what));
    /* A cut detail is still a detail: truncation is acceptable here. */
    if (snprintf(detail, sizeof(detail), "Operation %zu (%s): %s", op->idx,
                 what, e->detail) < 0)
        return;
    memcpy(e->detail, detail, sizeof(e->detail));
    snprintf(e->attr, sizeof(e->attr), "Operations[%zu].path", op->idx);
}

/* ---- The message --------------------------------------------------------- */

static int
check_schemas(struct scim_ctx *ctx, const json_t *body)
{
    const json_t *s = patch_iget(body, "schemas", NULL), *e;
    const char *u;
    size_t i;

    if (!json_is_array(s) || json_array_size(s) == 0)
        return scim_failf(&ctx->err, 400, SCIM_CAUSE_INVALID_SYNTAX,
                          "invalidSyntax", "schemas",
                          "A PATCH body must carry \"schemas\": [\"%s\"].",
                          SCIM_MSG_PATCH);
    json_array_foreach(s, i, e) {
        u = json_string_value(e);
        if (u == NULL || strcasecmp(u, SCIM_MSG_PATCH) != 0)
            return scim_failf(&ctx->err, 400, SCIM_CAUSE_INVALID_SYNTAX,
                              "invalidSyntax", "schemas",
                              "\"schemas\" of a PATCH body holds only "
                              "\"%s\", not \"%s\".", SCIM_MSG_PATCH,
                              u != NULL ? u : "(not a string)");
    }
    return SCIM_OK;
}

/*
 * A missing or empty "Operations" is a required value that is missing
 * (invalidValue); one that is not an array breaks the message structure
 * (invalidSyntax). RFC 7644 table 9 words the two that way.
 */
static int
check_message(struct scim_ctx *ctx, const json_t *body, const json_t **ops)
{
    int rc;

    if (!json_is_object(body))
        return scim_failf(&ctx->err, 400, SCIM_CAUSE_INVALID_SYNTAX,
                          "invalidSyntax", "",
                          "A PATCH body must be a JSON object.");
    if ((rc = check_schemas(ctx, body)) != SCIM_OK)
        return rc;
    *ops = patch_iget(body, "Operations", NULL);
    if (*ops == NULL || json_is_null(*ops))
        return scim_failf(&ctx->err, 400, SCIM_CAUSE_INVALID_VALUE,
                          "invalidValue", "Operations",
                          "The PATCH body has no \"Operations\".");
    if (!json_is_array(*ops))
        return scim_failf(&ctx->err, 400, SCIM_CAUSE_INVALID_SYNTAX,
                          "invalidSyntax", "Operations",
                          "\"Operations\" must be an array of operations.");
    if (json_array_size(*ops) == 0)
        return scim_failf(&ctx->err, 400, SCIM_CAUSE_INVALID_VALUE,
                          "invalidValue", "Operations",
                          "\"Operations\" is empty; RFC 7644 3.5.2 asks for "
                          "one or more operations.");
    return SCIM_OK;
}

/* ---- One operation: its members ------------------------------------------ */

static int
op_fail(const struct patch_op *op, enum scim_cause cause, const char *type,
        const char *field, const char *msg, const char *arg)
{
    char attr[64];

    snprintf(attr, sizeof(attr), "Operations[%zu]%s", op->idx, field);
    return scim_failf(&op->ctx->err, 400, cause, type, attr,
                      "Operation %zu: %s%s%s", op->idx, msg,
                      arg != NULL ? arg : "", arg != NULL ? "'." : "");
}

/*
 * The op keyword. RFC 7644 spells it in lowercase; Entra sends
 * "Replace" and "Add", which dialect op_case reads as the same.
 */
static int
read_kind(struct patch_op *op, const json_t *name)
{
    const char *s = json_string_value(name);
    size_t i;

    if (name == NULL || json_is_null(name))
        return op_fail(op, SCIM_CAUSE_INVALID_VALUE, "invalidValue", ".op",
                       "\"op\" is missing; use add, replace or remove.",
                       NULL);
    for (i = 0; s != NULL && i < 3; i++) {
        if (strcmp(s, kind_names[i]) == 0)
            break;
        if (strcasecmp(s, kind_names[i]) != 0)
            continue;
        if (!scim_ctx_dialect(op->ctx, SCIM_DIALECT_OP_CASE))
            return op_fail(op, SCIM_CAUSE_INVALID_SYNTAX, "invalidSyntax",
                           ".op", "op must be lowercase (dialect rule "
                           "op_case is off): '", s);
        scim_ctx_fire(op->ctx, SCIM_DIALECT_OP_CASE);
        break;
    }
    if (s == NULL || i == 3)
        return op_fail(op, SCIM_CAUSE_INVALID_SYNTAX, "invalidSyntax",
                       ".op", "op must be add, replace or remove, not '",
                       s != NULL ? s : "(not a string)");
    op->kind = (enum patch_kind)i;
    return SCIM_OK;
}

static int
read_op(struct patch_op *op, const json_t *jop, const json_t **path,
        const json_t **value)
{
    int rc;

    if (!json_is_object(jop))
        return op_fail(op, SCIM_CAUSE_INVALID_VALUE, "invalidValue", "",
                       "an operation must be a JSON object.", NULL);
    if ((rc = read_kind(op, patch_iget(jop, "op", NULL))) != SCIM_OK)
        return rc;
    *path = patch_iget(jop, "path", NULL);
    if (json_is_null(*path))
        *path = NULL;
    if (*path != NULL && !json_is_string(*path))
        return patch_failf(op, SCIM_CAUSE_INVALID_PATH, "invalidPath",
                           ".path", "\"path\" must be a string.");
    *value = patch_iget(jop, "value", NULL);
    return SCIM_OK;
}

/* ---- Unknown attributes and schema objects ------------------------------- */

/*
 * A path-less value key that names no attribute: RFC 7644 reads value
 * keys as attribute names, so this is an unknown attribute, dropped and
 * noted or refused as the tenant's policy says.
 */
static int
unknown_key(struct patch_op *op, const char *key)
{
    const struct scim_config *cfg = op->ctx->cfg;

    if (cfg == NULL || cfg->unknown == SCIM_UNKNOWN_IGNORE) {
        scim_ctx_ignore(op->ctx, key);
        return SCIM_OK;
    }
    return patch_failf(op, SCIM_CAUSE_INVALID_VALUE, "invalidValue",
                       ".value", "'%s' is not an attribute of %s.", key,
                       op->rt != NULL ? op->rt->name : "the resource");
}

/* The schema of op->rt whose URN is key, or NULL. */
static const struct scim_schema *
rt_schema(const struct patch_op *op, const char *key)
{
    const struct scim_rtype *rt = op->rt;
    size_t i;

    if (rt == NULL)
        return NULL;
    if (strcasecmp(rt->core->id, key) == 0)
        return rt->core;
    for (i = 0; i < rt->nexts; i++)
        if (strcasecmp(rt->exts[i].schema->id, key) == 0)
            return rt->exts[i].schema;
    return NULL;
}

/*
 * The object holding attributes of schema s (doc, or doc[URN] created
 * when missing). NULL with SCIM_ENOMEM, or with a 400 when doc[URN]
 * holds something else than an object.
 */
static json_t *
schema_box(struct patch_op *op, const struct scim_schema *s, int *rc)
{
    struct scim_attr_ref ref = { s, NULL, NULL };
    json_t *box = rtype_container(op->rt, op->doc, &ref, 1);

    *rc = SCIM_OK;
    if (box != NULL)
        return box;
    if (patch_iget(op->doc, s->id, NULL) == NULL)
        *rc = SCIM_ENOMEM;
    else
        *rc = patch_failf(op, SCIM_CAUSE_INVALID_VALUE, "invalidValue",
                          ".path", "'%s' in the resource is not an object.",
                          s->id);
    return NULL;
}

static int
apply_def(struct patch_op *op, json_t *box, const struct scim_attr *def,
          const json_t *value)
{
    struct patch_target t = { box, def->name, def, NULL, NULL, NULL };

    return patch_target_apply(op, &t, value);
}

/*
 * An object of a schema's attributes: the value of a bare schema URN
 * path (explicit: an unknown key is a bad path), or of a URN key in a
 * path-less value (an unknown key follows the tenant's policy).
 */
static int
apply_schema_object(struct patch_op *op, const struct scim_schema *s,
                    const json_t *value, int explicit)
{
    const struct scim_attr *def;
    const char *k, *saved = op->key;
    json_t *v, *box;
    int rc = SCIM_OK;

    if (!json_is_object(value))
        return patch_failf(op, SCIM_CAUSE_INVALID_PATH, "invalidPath",
                           ".path", "'%s' names a schema, so the value "
                           "must be an object of its attributes.", s->id);
    json_object_foreach((json_t *)value, k, v) {
        if (strcasecmp(k, "schemas") == 0)
            continue;
        op->key = explicit ? saved : k;
        def = schema_attr(s, k, strlen(k));
        if (def == NULL && explicit)
            rc = patch_failf(op, SCIM_CAUSE_INVALID_PATH, "invalidPath",
                             ".path", "'%s' is not an attribute of %s.", k,
                             s->id);
        else if (def == NULL)
            rc = unknown_key(op, k);
        else if ((box = schema_box(op, s, &rc)) != NULL)
            rc = apply_def(op, box, def, v);
        if (rc != SCIM_OK)
            break;
    }
    op->key = saved;
    return rc;
}

/* A bare schema URN as the path: the extension object as a whole. */
static int
apply_bare(struct patch_op *op, const struct scim_schema *s,
           const json_t *value)
{
    const char *key;

    if (op->kind != PATCH_REMOVE)
        return apply_schema_object(op, s, value, 1);
    if (rtype_is_core(op->rt, s))
        return patch_failf(op, SCIM_CAUSE_INVALID_PATH, "invalidPath",
                           ".path", "the core schema cannot be removed.");
    if (patch_iget(op->doc, s->id, &key) != NULL)
        json_object_del(op->doc, key);
    return SCIM_OK;
}

/* ---- Paths --------------------------------------------------------------- */

/*
 * Without a schema, "name.nestedArray[primary eq true]" is a value
 * filter over a list nested in a complex value. The path parser refuses
 * a filter after a sub-attribute (RFC 7643 allows no complex
 * sub-attributes), so the part before the dot picks the box here.
 */
static const char *
schemaless_nest(struct patch_op *op, const char *text, json_t **box)
{
    const char *br = strchr(text, '['), *dot = strchr(text, '.');
    json_t *o;
    char *name;

    if (op->rt != NULL || br == NULL || dot == NULL || dot > br
        || memchr(text, ':', (size_t)(br - text)) != NULL)
        return text;
    if ((name = scim_strndup(text, (size_t)(dot - text))) == NULL)
        return NULL;
    o = patch_iget(op->doc, name, NULL);
    if (!json_is_object(o) && op->kind != PATCH_REMOVE) {
        o = json_object();
        if (o != NULL && json_object_set_new(op->doc, name, o) != 0)
            o = NULL;
    }
    scim_free(name);
    *box = o;
    return o != NULL || op->kind == PATCH_REMOVE ? dot + 1 : NULL;
}

/* Where path p points in op->doc; t->box is NULL when nothing is there. */
static void
path_target(struct patch_op *op, const struct scim_path *p, json_t *box,
            struct patch_target *t)
{
    const struct filter_attr *a = &p->attr;
    int create = op->kind != PATCH_REMOVE;

    memset(t, 0, sizeof(*t));
    t->filter = p->filter;
    if (t->filter != NULL && t->filter->op == FILTER_VALUEPATH)
        t->filter = t->filter->a;
    if (op->rt != NULL) {
        t->box = rtype_container(op->rt, op->doc, &a->ref, create);
        t->def = a->ref.attr;
        t->name = t->def->name;
        t->subdef = p->filter != NULL ? p->sub_after_def : a->ref.sub;
        t->sub = t->subdef != NULL ? t->subdef->name : NULL;
        return;
    }
    t->box = box;
    if (a->uri != NULL && box == op->doc) {
        t->box = patch_iget(op->doc, a->uri, NULL);
        if (!json_is_object(t->box) && create) {
            t->box = json_object();
            if (json_object_set_new(op->doc, a->uri, t->box) != 0)
                t->box = NULL;
        }
    }
    t->name = a->name;
    t->sub = p->filter != NULL ? p->sub_after : a->sub;
}

static int
parse_path(struct patch_op *op, const char *text, struct scim_path **p)
{
    int rc = path_parse_flags(op->ctx, op->rt, text, PATH_ALLOW_UNKNOWN, p);

    if (rc == SCIM_EINVAL)
        rewrap_path_error(op);
    return rc;
}

static int
is_fixed(const struct scim_attr *d)
{
    return d != NULL && d->mutability == SCIM_MUT_READONLY;
}

/*
 * The checks that need the parsed path, in the order that gives each
 * fault one keyword: a readOnly target may not be removed nor sent
 * without value; add and replace need a value; an explicit path must
 * name a known attribute.
 */
static int
path_checks(struct patch_op *op, const struct scim_path *p,
            const json_t *value)
{
    const struct scim_attr_ref *r = &p->attr.ref;
    int ro = is_fixed(r->attr) || is_fixed(r->sub)
             || is_fixed(p->sub_after_def);

    if (ro && (op->kind == PATCH_REMOVE || value == NULL))
        return patch_failf(op, SCIM_CAUSE_MUTABILITY, "mutability",
                           ".path", "'%s' is readOnly.", p->attr.text);
    if (op->kind != PATCH_REMOVE && value == NULL)
        return patch_failf(op, SCIM_CAUSE_INVALID_VALUE, "invalidValue",
                           ".value", "%s needs a \"value\".",
                           patch_kind_name(op->kind));
    if (op->rt != NULL && r->schema == NULL)
        return patch_failf(op, SCIM_CAUSE_INVALID_PATH, "invalidPath",
                           ".path", "'%s' is not an attribute of %s.",
                           p->attr.text, op->rt->name);
    return SCIM_OK;
}

static int
apply_parsed(struct patch_op *op, const struct scim_path *p, json_t *box,
             const json_t *value)
{
    struct patch_target t;
    int rc;

    if (op->rt != NULL && p->attr.ref.attr == NULL)
        return apply_bare(op, p->attr.ref.schema, value);
    path_target(op, p, box, &t);
    if (t.box == NULL && op->kind == PATCH_REMOVE)
        return SCIM_OK;
    if (t.box == NULL && op->rt == NULL)
        return SCIM_ENOMEM;
    if (t.box == NULL && (t.box = schema_box(op, p->attr.ref.schema,
                                             &rc)) == NULL)
        return rc;
    return patch_target_apply(op, &t, value);
}

/*
 * "schemas" is not an attribute of any schema: the server rebuilds it
 * from what the resource holds, so add and replace are noted and
 * ignored, while removing it would remove a required attribute.
 */
static int
apply_schemas_path(struct patch_op *op)
{
    if (op->kind == PATCH_REMOVE)
        return patch_failf(op, SCIM_CAUSE_INVALID_VALUE, "invalidValue",
                           ".path", "\"schemas\" is required and cannot be "
                           "removed.");
    scim_ctx_ignore(op->ctx, "schemas");
    return SCIM_OK;
}

static int
apply_path(struct patch_op *op, const json_t *value)
{
    struct scim_path *p = NULL;
    const char *text = op->path;
    json_t *box = op->doc;
    int rc;

    if (strcasecmp(text, "schemas") == 0)
        return apply_schemas_path(op);
    if ((text = schemaless_nest(op, text, &box)) == NULL)
        return SCIM_ENOMEM;
    if (box == NULL)
        return SCIM_OK;
    rc = parse_path(op, text, &p);
    if (rc == SCIM_OK)
        rc = path_checks(op, p, value);
    if (rc == SCIM_OK)
        rc = apply_parsed(op, p, box, value);
    path_free(p);
    return rc;
}

/* ---- Path-less values ---------------------------------------------------- */

/*
 * A dotted or URN-qualified value key (Entra with aadOptscim062020, the
 * SCIM Validator): read as a path when dialect path_keys is on.
 */
static int
apply_key_path(struct patch_op *op, const char *key, const json_t *v)
{
    struct scim_path *p = NULL;
    struct scim_error saved = op->ctx->err;
    int rc;

    if (!scim_ctx_dialect(op->ctx, SCIM_DIALECT_PATH_KEYS))
        return unknown_key(op, key);
    rc = path_parse_flags(op->ctx, op->rt, key, PATH_ALLOW_UNKNOWN, &p);
    if (rc == SCIM_EINVAL || (rc == SCIM_OK && op->rt != NULL
                              && p->attr.ref.schema == NULL)) {
        /* Not a path after all: an attribute name nobody defines. */
        op->ctx->err = saved;
        path_free(p);
        return unknown_key(op, key);
    }
    if (rc != SCIM_OK)
        return rc;
    scim_ctx_fire(op->ctx, SCIM_DIALECT_PATH_KEYS);
    rc = apply_parsed(op, p, op->doc, v);
    path_free(p);
    return rc;
}

static int
apply_key_name(struct patch_op *op, const char *key, const json_t *v)
{
    struct patch_target t = { op->doc, key, NULL, NULL, NULL, NULL };
    struct scim_attr_ref ref;
    int rc;

    if (op->rt == NULL)
        return patch_target_apply(op, &t, v);
    if (rtype_resolve(op->rt, key, strlen(key), &ref) != SCIM_OK
        || ref.attr == NULL)
        return unknown_key(op, key);
    if ((t.box = schema_box(op, ref.schema, &rc)) == NULL)
        return rc;
    return apply_def(op, t.box, ref.attr, v);
}

static int
apply_key(struct patch_op *op, const char *key, const json_t *v)
{
    const struct scim_schema *s;

    /* The server keeps "schemas" itself (resource_prepare rebuilds it). */
    if (strcasecmp(key, "schemas") == 0)
        return SCIM_OK;
    if ((s = rt_schema(op, key)) != NULL) {
        if (!json_is_object(v))
            return patch_failf(op, SCIM_CAUSE_INVALID_VALUE, "invalidValue",
                               ".value", "the value of a schema URN must be "
                               "an object of its attributes.");
        return apply_schema_object(op, s, v, 0);
    }
    if (strpbrk(key, ".:") != NULL
        && (op->rt != NULL || strncasecmp(key, "urn:", 4) != 0))
        return apply_key_path(op, key, v);
    return apply_key_name(op, key, v);
}

static int
apply_pathless(struct patch_op *op, const json_t *value)
{
    const char *k;
    json_t *v;
    int rc;

    if (op->kind == PATCH_REMOVE)
        return patch_failf(op, SCIM_CAUSE_NO_TARGET, "noTarget", ".path",
                           "remove needs a \"path\" naming what to remove.");
    if (value == NULL)
        return patch_failf(op, SCIM_CAUSE_INVALID_VALUE, "invalidValue",
                           ".value", "%s needs a \"value\".",
                           patch_kind_name(op->kind));
    if (!json_is_object(value))
        return patch_failf(op, SCIM_CAUSE_INVALID_VALUE, "invalidValue",
                           ".value", "without a \"path\", the value must be "
                           "an object of attributes.");
    json_object_foreach((json_t *)value, k, v) {
        op->key = k;
        rc = apply_key(op, k, v);
        op->key = NULL;
        if (rc != SCIM_OK)
            return rc;
    }
    return SCIM_OK;
}

/* ---- Entry point --------------------------------------------------------- */

/* An extension object that the operations left empty is no value. */
static void
drop_empty_extensions(const struct scim_rtype *rt, json_t *doc)
{
    const char *key;
    json_t *v;
    size_t i;

    for (i = 0; rt != NULL && i < rt->nexts; i++) {
        v = patch_iget(doc, rt->exts[i].schema->id, &key);
        if (json_is_object(v) && json_object_size(v) == 0)
            json_object_del(doc, key);
    }
}

int
patch_apply(struct scim_ctx *ctx, const struct scim_rtype *rt,
            json_t *doc, const json_t *body,
            const struct patch_members *members)
{
    const json_t *ops = NULL, *jop, *path, *value;
    size_t i;
    int rc;

    if ((rc = check_message(ctx, body, &ops)) != SCIM_OK)
        return rc;
    json_array_foreach(ops, i, jop) {
        struct patch_op op = { ctx, rt, members, doc, i, PATCH_ADD, NULL,
                               NULL };

        path = value = NULL;
        rc = read_op(&op, jop, &path, &value);
        if (rc == SCIM_OK && path == NULL)
            rc = apply_pathless(&op, value);
        else if (rc == SCIM_OK) {
            op.path = json_string_value(path);
            rc = apply_path(&op, value);
        }
        if (rc != SCIM_OK)
            return rc;
    }
    drop_empty_extensions(rt, doc);
    return SCIM_OK;
}
