/* SPDX-License-Identifier: MIT */
/*
 * resource_prepare: from a client's POST or PUT body (or a patched
 * document) to the normalised document the store keeps. It works in
 * passes over a private "raw" tree, never over the caller's input:
 * gather (each key to its schema attribute, flat URN and dotted keys
 * folded into nested form, read-only and unknown attributes dropped),
 * check (types and shapes, resource_validate.c), then whole-resource
 * rules: required attributes, immutability against the stored version,
 * the rebuilt "schemas" list and the password. The error detail is
 * what an identity provider's administrator reads, so each failure
 * names the attribute path exactly and says what was expected.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "resource.h"

struct prep {
    struct scim_ctx *ctx;
    const struct scim_rtype *rt;
    enum resource_mode mode;
    const json_t *input;
    const json_t *existing;
    json_t *raw;        /* what the client sent, by canonical name */
    json_t *declared;   /* known extension URNs listed in "schemas" */
    json_t *out;
};

static const struct scim_schema *
ext_by_id(const struct scim_rtype *rt, const char *id)
{
    size_t i;

    for (i = 0; i < rt->nexts; i++)
        if (strcasecmp(rt->exts[i].schema->id, id) == 0)
            return rt->exts[i].schema;
    return NULL;
}

/* ---- The "schemas" list ----------------------------------------------- */

static int
bad_schemas(struct prep *p, const char *fmt)
{
    return scim_failf(&p->ctx->err, 400, SCIM_CAUSE_INVALID_SYNTAX,
                      "invalidSyntax", "schemas", fmt, p->rt->core->id);
}

static int
schema_urn(struct prep *p, const char *urn, int *core_seen)
{
    const struct scim_schema *ext = ext_by_id(p->rt, urn);

    if (strcasecmp(urn, p->rt->core->id) == 0) {
        *core_seen = 1;
        return SCIM_OK;
    }
    if (ext != NULL)
        return json_object_set_new(p->declared, ext->id, json_null()) == 0
               ? SCIM_OK : SCIM_ENOMEM;
    /*
     * Unknown URNs are tolerated by default: Entra ID adds its ADSCIM
     * Group URN and OneLogin templates may carry SCIM 1.x URNs.
     */
    if (p->ctx->cfg != NULL && p->ctx->cfg->unknown == SCIM_UNKNOWN_REJECT)
        return scim_failf(&p->ctx->err, 400, SCIM_CAUSE_INVALID_VALUE,
                          "invalidValue", "schemas", "The schema '%.200s' "
                          "listed in 'schemas' is not defined for %s "
                          "resources of this tenant.", urn, p->rt->name);
    scim_ctx_ignore(p->ctx, urn);
    return SCIM_OK;
}

static int
check_schemas(struct prep *p)
{
    const json_t *s = json_iget(p->input, "schemas", 7, NULL);
    int core_seen = 0, rc;
    size_t i;
    json_t *e;

    if (s == NULL && p->mode == RESOURCE_PATCHED)
        return SCIM_OK;
    if (s == NULL)
        return bad_schemas(p, "The request has no 'schemas' attribute; it "
                           "must list '%s'.");
    if (!json_is_array(s))
        return bad_schemas(p, "Attribute 'schemas' must be a list of "
                           "schema URNs such as '%s'.");
    json_array_foreach(s, i, e) {
        if (!json_is_string(e))
            return bad_schemas(p, "Attribute 'schemas' must be a list of "
                               "schema URNs such as '%s'.");
        if ((rc = schema_urn(p, json_string_value(e), &core_seen)) != 0)
            return rc;
    }
    if (!core_seen && p->ctx->cfg != NULL
        && p->ctx->cfg->unknown == SCIM_UNKNOWN_REJECT)
        return scim_failf(&p->ctx->err, 400, SCIM_CAUSE_INVALID_VALUE,
                          "invalidValue", "schemas", "Attribute 'schemas' "
                          "must contain '%s'.", p->rt->core->id);
    return SCIM_OK;
}

/* ---- Gather: input keys to canonical attributes ----------------------- */

static int
dup_error(struct prep *p, const char *path)
{
    return scim_failf(&p->ctx->err, 400, SCIM_CAUSE_INVALID_VALUE,
                      "invalidValue", path, "Attribute '%s' was sent twice "
                      "(attribute names are case-insensitive).", path);
}

/* The raw object for ref's schema: p->raw or p->raw[URN], created. */
static json_t *
raw_container(struct prep *p, const struct scim_schema *s)
{
    json_t *c;

    if (rtype_is_core(p->rt, s))
        return p->raw;
    c = json_object_get(p->raw, s->id);
    if (c == NULL) {
        c = json_object();
        if (c == NULL || json_object_set_new(p->raw, s->id, c) != 0)
            return NULL;
    }
    return c;
}

static void
path_of(const struct scim_attr_ref *ref, const struct scim_rtype *rt,
        char *buf, size_t n)
{
    resource_pathf(buf, n, "%s%s%s%s%s",
             rtype_is_core(rt, ref->schema) ? "" : ref->schema->id,
             rtype_is_core(rt, ref->schema) ? "" : ":", ref->attr->name,
             ref->sub != NULL ? "." : "",
             ref->sub != NULL ? ref->sub->name : "");
}

/* "name.givenName" sent as its own key: merged into a copy of "name". */
static int
place_sub(struct prep *p, json_t *c, const struct scim_attr_ref *ref,
          const json_t *v, const char *path)
{
    json_t *cur = json_object_get(c, ref->attr->name), *obj;

    if (cur != NULL && !json_is_object(cur))
        return dup_error(p, path);
    if (json_iget(cur, ref->sub->name, strlen(ref->sub->name), NULL))
        return dup_error(p, path);
    obj = cur != NULL ? json_copy(cur) : json_object();
    if (obj == NULL
        || json_object_set(obj, ref->sub->name, (json_t *)v) != 0) {
        json_decref(obj);
        return SCIM_ENOMEM;
    }
    return json_object_set_new(c, ref->attr->name, obj) == 0 ? SCIM_OK
                                                             : SCIM_ENOMEM;
}

/* Records what the client sent for ref, under canonical names. */
static int
place(struct prep *p, const struct scim_attr_ref *ref, const json_t *v)
{
    json_t *c = raw_container(p, ref->schema);
    char path[256];

    if (c == NULL)
        return SCIM_ENOMEM;
    path_of(ref, p->rt, path, sizeof(path));
    /* Read-only input (id, meta, groups...) is dropped, never refused. */
    if (ref->attr->mutability == SCIM_MUT_READONLY
        || (ref->sub != NULL && ref->sub->mutability == SCIM_MUT_READONLY))
        return SCIM_OK;
    if (ref->sub != NULL)
        return place_sub(p, c, ref, v, path);
    if (json_object_get(c, ref->attr->name) != NULL)
        return dup_error(p, path);
    return json_object_set(c, ref->attr->name, (json_t *)v) == 0
           ? SCIM_OK : SCIM_ENOMEM;
}

/* The members of an extension object, nested under its URN. */
static int
gather_ext(struct prep *p, const struct scim_schema *s, const json_t *v)
{
    struct scim_attr_ref ref = { .schema = s };
    char path[256];
    const char *k;
    json_t *mv;
    int rc;

    if (raw_container(p, s) == NULL)
        return SCIM_ENOMEM;
    if (resource_is_empty(v))
        return SCIM_OK;
    if (!json_is_object(v))
        return scim_failf(&p->ctx->err, 400, SCIM_CAUSE_INVALID_TYPE,
                          "invalidValue", s->id, "Attribute '%s' must be "
                          "an object holding the extension's attributes.",
                          s->id);
    json_object_foreach((json_t *)v, k, mv) {
        ref.attr = schema_attr(s, k, strlen(k));
        ref.sub = NULL;
        resource_pathf(path, sizeof(path), "%s:%s", s->id, k);
        if (ref.attr == NULL)
            rc = resource_unknown(p->ctx, p->rt, path, path);
        else
            rc = place(p, &ref, mv);
        if (rc != SCIM_OK)
            return rc;
    }
    return SCIM_OK;
}

/*
 * A key that is an attribute path rather than a name: "name.givenName"
 * or "urn:...:enterprise:2.0:User:department". Entra ID's path-less
 * PATCH values use this form (path_keys rule); a multi-valued parent
 * ("emails.value") has no single place to go and counts as unknown.
 */
static int
gather_path_key(struct prep *p, const char *k, const json_t *v)
{
    struct scim_attr_ref ref;

    if (!scim_ctx_dialect(p->ctx, SCIM_DIALECT_PATH_KEYS)
        || rtype_resolve(p->rt, k, strlen(k), &ref) != SCIM_OK
        || ref.attr == NULL
        || (ref.sub != NULL && ref.attr->multi_valued))
        return resource_unknown(p->ctx, p->rt, k, k);
    scim_ctx_fire(p->ctx, SCIM_DIALECT_PATH_KEYS);
    return place(p, &ref, v);
}

static int
gather_key(struct prep *p, const char *k, const json_t *v)
{
    struct scim_attr_ref ref = { .schema = p->rt->core };
    const struct scim_schema *ext;

    if (strcasecmp(k, "schemas") == 0)
        return SCIM_OK;
    if ((ext = ext_by_id(p->rt, k)) != NULL)
        return gather_ext(p, ext, v);
    if (strchr(k, ':') != NULL || strchr(k, '.') != NULL)
        return gather_path_key(p, k, v);
    ref.attr = schema_attr(p->rt->core, k, strlen(k));
    if (ref.attr == NULL)
        return resource_unknown(p->ctx, p->rt, k, k);
    ref.sub = NULL;
    return place(p, &ref, v);
}

static int
gather(struct prep *p)
{
    const char *k;
    json_t *v;
    int rc;

    json_object_foreach((json_t *)p->input, k, v) {
        if ((rc = gather_key(p, k, v)) != SCIM_OK)
            return rc;
    }
    return SCIM_OK;
}

/* ---- Check: each gathered value against its definition ---------------- */

static int
check_schema(struct prep *p, const struct scim_schema *s, json_t *raw,
             json_t *dst)
{
    char path[256];
    const char *k;
    json_t *v, *nv;
    int rc;

    json_object_foreach(raw, k, v) {
        const struct scim_attr *a = schema_attr(s, k, strlen(k));

        if (a == NULL)      /* an extension's URN key inside p->raw */
            continue;
        resource_pathf(path, sizeof(path), "%s%s%s",
                 rtype_is_core(p->rt, s) ? "" : s->id,
                 rtype_is_core(p->rt, s) ? "" : ":", a->name);
        /* A body must send a multi-valued attribute as an array, as
         * RFC 7643 section 2.4 says; PATCH values are wrapped earlier. */
        if (p->mode != RESOURCE_PATCHED && a->multi_valued &&
            !json_is_array(v) && !resource_is_empty(v))
            return scim_failf(&p->ctx->err, 400, SCIM_CAUSE_INVALID_TYPE,
                              "invalidValue", path, "Attribute '%s' is "
                              "multi-valued and must be a JSON array, even "
                              "with a single value.", path);
        rc = resource_check_value(p->ctx, p->rt, a, v, path, &nv);
        if (rc != SCIM_OK)
            return rc;
        if (nv != NULL && json_object_set_new(dst, a->name, nv) != 0)
            return SCIM_ENOMEM;
    }
    return SCIM_OK;
}

static int
check_all(struct prep *p)
{
    json_t *raw, *obj;
    size_t i;
    int rc;

    if ((rc = check_schema(p, p->rt->core, p->raw, p->out)) != SCIM_OK)
        return rc;
    for (i = 0; i < p->rt->nexts; i++) {
        const struct scim_schema *s = p->rt->exts[i].schema;

        if ((raw = json_object_get(p->raw, s->id)) == NULL)
            continue;
        if ((obj = json_object()) == NULL)
            return SCIM_ENOMEM;
        if ((rc = check_schema(p, s, raw, obj)) != SCIM_OK
            || json_object_size(obj) == 0) {
            json_decref(obj);
            if (rc != SCIM_OK)
                return rc;
            continue;
        }
        if (json_object_set_new(p->out, s->id, obj) != 0)
            return SCIM_ENOMEM;
    }
    return SCIM_OK;
}

/* ---- Required attributes ---------------------------------------------- */

/* The value of ref in doc (core or extension object), or NULL. */
static const json_t *
lookup(const struct prep *p, const json_t *doc, const struct scim_schema *s,
       const char *name)
{
    if (!rtype_is_core(p->rt, s))
        doc = json_iget(doc, s->id, strlen(s->id), NULL);
    return json_iget(doc, name, strlen(name), NULL);
}

/* Nonzero when element e of a has a non-empty sub-attribute sub. */
static int
elem_has(const json_t *e, const struct scim_attr *sub)
{
    if (sub == NULL)
        return !resource_is_empty(e);
    return !resource_is_empty(json_iget(e, sub->name, strlen(sub->name),
                                         NULL));
}

/*
 * Whether doc satisfies ref. For a multi-valued complex attribute named
 * alone, at least one value needs a non-empty "value" ("emails" means
 * an address, not just a type label).
 */
static int
satisfied(const struct prep *p, const json_t *doc,
          const struct scim_attr_ref *ref)
{
    const json_t *v = lookup(p, doc, ref->schema, ref->attr->name), *e;
    const struct scim_attr *sub = ref->sub;
    size_t i;

    if (resource_is_empty(v))
        return 0;
    if (sub == NULL && ref->attr->multi_valued)
        sub = attr_sub(ref->attr, "value", 5);
    if (sub == NULL)
        return 1;
    if (!json_is_array(v))
        return elem_has(v, sub);
    json_array_foreach(v, i, e) {
        if (elem_has(e, sub))
            return 1;
    }
    return 0;
}

static int
required_error(struct prep *p, const struct scim_attr_ref *ref)
{
    const json_t *raw = lookup(p, p->raw, ref->schema, ref->attr->name);
    char path[256];

    path_of(ref, p->rt, path, sizeof(path));
    if (ref->sub != NULL)
        raw = json_is_object(raw)
              ? json_iget(raw, ref->sub->name, strlen(ref->sub->name), NULL)
              : NULL;
    if (ref->sub == NULL && ref->attr->multi_valued && json_is_array(raw)
        && json_array_size(raw) > 0)
        return scim_failf(&p->ctx->err, 400, SCIM_CAUSE_EMPTY_REQUIRED,
                          "invalidValue", path, "Attribute '%s' is "
                          "required but none of its values has a "
                          "non-empty 'value'.", path);
    return resource_required_error(p->ctx, path, raw);
}

/*
 * The tenant's required paths apply to User resources. On PUT and
 * PATCH a path the stored user already lacked is not enforced, so that
 * tightening the configuration never blocks deactivating old users.
 */
static int
check_cfg_required(struct prep *p)
{
    const struct scim_config *cfg = p->ctx->cfg;
    struct scim_attr_ref ref;
    size_t i;

    if (cfg == NULL || strcmp(p->rt->core->id, SCIM_SCHEMA_USER) != 0)
        return SCIM_OK;
    for (i = 0; i < cfg->nrequired; i++) {
        const char *path = cfg->required[i];

        if (rtype_resolve(p->rt, path, strlen(path), &ref) != SCIM_OK
            || ref.attr == NULL || satisfied(p, p->out, &ref))
            continue;
        if (p->mode != RESOURCE_CREATE && p->existing != NULL
            && !satisfied(p, p->existing, &ref))
            continue;
        return required_error(p, &ref);
    }
    return SCIM_OK;
}

static int
check_schema_required(struct prep *p, const struct scim_schema *s)
{
    struct scim_attr_ref ref = { .schema = s };
    size_t i;

    for (i = 0; i < s->nattrs; i++) {
        ref.attr = &s->attrs[i];
        /* A required readOnly attribute is the server's to supply. */
        if (!ref.attr->required
            || ref.attr->mutability == SCIM_MUT_READONLY
            || satisfied(p, p->out, &ref))
            continue;
        return required_error(p, &ref);
    }
    return SCIM_OK;
}

static int
check_required(struct prep *p)
{
    size_t i;
    int rc;

    if ((rc = check_cfg_required(p)) != SCIM_OK
        || (rc = check_schema_required(p, p->rt->core)) != SCIM_OK)
        return rc;
    for (i = 0; i < p->rt->nexts; i++) {
        const struct scim_rtype_ext *e = &p->rt->exts[i];

        if (json_object_get(p->out, e->schema->id) != NULL)
            rc = check_schema_required(p, e->schema);
        else if (e->required)
            rc = scim_failf(&p->ctx->err, 400,
                            SCIM_CAUSE_MISSING_REQUIRED, "invalidValue",
                            e->schema->id, "The extension '%s' is "
                            "required for %s resources but was not sent.",
                            e->schema->id, p->rt->name);
        if (rc != SCIM_OK)
            return rc;
    }
    return SCIM_OK;
}

/* ---- Immutable attributes (RFC 7643 2.2, RFC 7644 3.5.1) -------------- */

int
resource_same_value(const struct scim_attr *a, const json_t *x,
                    const json_t *y)
{
    char cx[SCIM_DATETIME_LEN], cy[SCIM_DATETIME_LEN];
    char *fx, *fy;
    int eq;

    if (!json_is_string(x) || !json_is_string(y))
        return json_equal((json_t *)x, (json_t *)y);
    if (a->type == SCIM_AT_DATETIME
        && scim_datetime_canon(json_string_value(x), cx) == 0
        && scim_datetime_canon(json_string_value(y), cy) == 0)
        return strcmp(cx, cy) == 0;
    if (a->case_exact || a->type != SCIM_AT_STRING)
        return json_equal((json_t *)x, (json_t *)y);
    fx = scim_fold(json_string_value(x), json_string_length(x));
    fy = scim_fold(json_string_value(y), json_string_length(y));
    eq = fx != NULL && fy != NULL ? strcmp(fx, fy) == 0 : -1;
    scim_free(fx);
    scim_free(fy);
    return eq;
}

/*
 * One immutable value: equal to the stored one, or carried over from
 * it when the client left it out (a PUT need not repeat it).
 */
static int
keep_immutable(struct prep *p, const struct scim_attr *a, json_t *dst,
               const json_t *old, const char *path)
{
    json_t *cur = json_object_get(dst, a->name), *copy;
    int eq;

    if (resource_is_empty(old))
        return SCIM_OK;
    if (cur == NULL) {
        copy = json_deep_copy(old);
        return copy != NULL && json_object_set_new(dst, a->name, copy) == 0
               ? SCIM_OK : SCIM_ENOMEM;
    }
    if ((eq = resource_same_value(a, cur, old)) < 0)
        return SCIM_ENOMEM;
    if (eq)
        return SCIM_OK;
    return scim_failf(&p->ctx->err, 400, SCIM_CAUSE_MUTABILITY, "mutability",
                      path, "Attribute '%s' is immutable and cannot be "
                      "changed once set; send the stored value or leave it "
                      "out.", path);
}

static int
immutable_subs(struct prep *p, const struct scim_attr *a, json_t *dst,
               const json_t *old, const char *path)
{
    json_t *cur = json_object_get(dst, a->name), *created = NULL;
    char sp[256];
    size_t i;
    int rc = SCIM_OK;

    if (!json_is_object(old))
        return SCIM_OK;
    if (cur == NULL) {
        if ((created = cur = json_object()) == NULL)
            return SCIM_ENOMEM;
    }
    for (i = 0; rc == SCIM_OK && i < a->nsubs; i++) {
        const struct scim_attr *s = &a->subs[i];

        if (s->mutability != SCIM_MUT_IMMUTABLE)
            continue;
        resource_pathf(sp, sizeof(sp), "%s.%s", path, s->name);
        rc = keep_immutable(p, s, cur, json_iget(old, s->name,
                                                 strlen(s->name), NULL), sp);
    }
    if (created != NULL && rc == SCIM_OK && json_object_size(created) > 0)
        return json_object_set_new(dst, a->name, created) == 0
               ? SCIM_OK : SCIM_ENOMEM;
    json_decref(created);
    return rc;
}

/*
 * Limitation: immutable sub-attributes of multi-valued attributes (Group
 * members.value) are not compared, because values have no identity to
 * pair old and new elements by; members come and go as a whole.
 */
static int
check_immutable_in(struct prep *p, const struct scim_schema *s)
{
    json_t *dst = rtype_is_core(p->rt, s) ? p->out
                  : json_object_get(p->out, s->id);
    char path[256];
    size_t i;
    int rc = SCIM_OK;

    for (i = 0; rc == SCIM_OK && i < s->nattrs; i++) {
        const struct scim_attr *a = &s->attrs[i];
        const json_t *old = lookup(p, p->existing, s, a->name);
        struct scim_attr_ref ref = { .schema = s, .attr = a };

        if (old == NULL || a->multi_valued
            || (a->mutability != SCIM_MUT_IMMUTABLE
                && a->type != SCIM_AT_COMPLEX))
            continue;
        if (dst == NULL && (dst = rtype_container(p->rt, p->out, &ref, 1))
                           == NULL)
            return SCIM_ENOMEM;
        path_of(&ref, p->rt, path, sizeof(path));
        if (a->mutability == SCIM_MUT_IMMUTABLE)
            rc = keep_immutable(p, a, dst, old, path);
        else
            rc = immutable_subs(p, a, dst, old, path);
    }
    /* An extension object created above but left empty goes again. */
    if (dst != NULL && dst != p->out && json_object_size(dst) == 0)
        json_object_del(p->out, s->id);
    return rc;
}

static int
check_immutable(struct prep *p)
{
    size_t i;
    int rc;

    if (p->mode == RESOURCE_CREATE || !json_is_object(p->existing))
        return SCIM_OK;
    if ((rc = check_immutable_in(p, p->rt->core)) != SCIM_OK)
        return rc;
    for (i = 0; i < p->rt->nexts; i++)
        if ((rc = check_immutable_in(p, p->rt->exts[i].schema)) != SCIM_OK)
            return rc;
    return SCIM_OK;
}

/* ---- Schemas and password --------------------------------------------- */

/*
 * "schemas" is rebuilt: the core URN, then every extension of the type
 * that has attributes or that the client listed (never unknown URNs).
 */
static int
rebuild_schemas(struct prep *p)
{
    json_t *arr = json_array();
    size_t i;

    if (arr == NULL || json_array_append_new(arr,
                                             json_string(p->rt->core->id)))
        goto fail;
    for (i = 0; i < p->rt->nexts; i++) {
        const char *id = p->rt->exts[i].schema->id;

        if (json_object_get(p->out, id) == NULL
            && json_object_get(p->declared, id) == NULL)
            continue;
        if (json_array_append_new(arr, json_string(id)) != 0)
            goto fail;
    }
    return json_object_set_new(p->out, "schemas", arr) == 0 ? SCIM_OK
                                                            : SCIM_ENOMEM;

fail:
    json_decref(arr);
    return SCIM_ENOMEM;
}

/* Overwrites the cleartext password in doc, our own copy, in place. */
static void
wipe_password(json_t *doc)
{
    json_t *pw = json_object_get(doc, "password");

    if (json_is_string(pw))
        sodium_memzero((char *)json_string_value(pw),
                       json_string_length(pw));
}

/*
 * The password never reaches the stored document. When the tenant keeps
 * passwords, it becomes an argon2id hash in ctx->password_hash. The
 * cleartext then lives only in the caller's input and in our checked
 * copy, which is wiped before it is released.
 */
static int
take_password(struct prep *p)
{
    json_t *pw = json_object_get(p->out, "password");
    char hash[crypto_pwhash_STRBYTES];
    int rc = SCIM_OK;

    if (!json_is_string(pw)
        || strcmp(p->rt->core->id, SCIM_SCHEMA_USER) != 0)
        return SCIM_OK;
    if (p->ctx->cfg != NULL && p->ctx->cfg->store_passwords) {
        if (sodium_init() < 0
            || crypto_pwhash_str(hash, json_string_value(pw),
                                 json_string_length(pw),
                                 crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
            rc = SCIM_ENOMEM;
        if (rc == SCIM_OK && p->ctx->password_hash != NULL) {
            sodium_memzero(p->ctx->password_hash,
                           strlen(p->ctx->password_hash));
            scim_free(p->ctx->password_hash);
        }
        if (rc == SCIM_OK
            && (p->ctx->password_hash = scim_strdup(hash)) == NULL)
            rc = SCIM_ENOMEM;
        sodium_memzero(hash, sizeof(hash));
    }
    wipe_password(p->out);
    json_object_del(p->out, "password");
    return rc;
}

/* ---- Entry point ------------------------------------------------------ */

static int
run(struct prep *p)
{
    int rc;

    if (!json_is_object(p->input))
        return scim_failf(&p->ctx->err, 400, SCIM_CAUSE_INVALID_SYNTAX,
                          "invalidSyntax", "", "The request body must be a "
                          "JSON object holding the resource's attributes.");
    p->raw = json_object();
    p->declared = json_object();
    p->out = json_object();
    /* "schemas" first, so that it leads the stored document. */
    if (p->raw == NULL || p->declared == NULL || p->out == NULL
        || json_object_set_new(p->out, "schemas", json_array()) != 0)
        return SCIM_ENOMEM;
    if ((rc = check_schemas(p)) != SCIM_OK || (rc = gather(p)) != SCIM_OK
        || (rc = check_all(p)) != SCIM_OK
        || (rc = check_immutable(p)) != SCIM_OK
        || (rc = check_required(p)) != SCIM_OK
        || (rc = rebuild_schemas(p)) != SCIM_OK)
        return rc;
    return take_password(p);
}

int
resource_prepare(struct scim_ctx *ctx, const struct scim_rtype *rt,
                 enum resource_mode mode, const json_t *input,
                 const json_t *existing, json_t **out)
{
    struct prep p = {
        .ctx = ctx, .rt = rt, .mode = mode, .input = input,
        .existing = existing,
    };
    int rc;

    *out = NULL;
    rc = run(&p);
    if (rc == SCIM_OK) {
        *out = p.out;
        p.out = NULL;
    } else if (rc == SCIM_EINVAL && !scim_error_isset(&ctx->err)) {
        rc = SCIM_EINTERNAL;
    }
    json_decref(p.raw);
    json_decref(p.declared);
    if (p.out != NULL)
        wipe_password(p.out);
    json_decref(p.out);
    return rc;
}
