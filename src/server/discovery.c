/* SPDX-License-Identifier: MIT */
/*
 * Discovery (RFC 7644 section 4): /ServiceProviderConfig, /ResourceTypes
 * and /Schemas, answered from the tenant's real configuration, so that
 * clients that gate PATCH or read custom extensions learn the truth.
 * The endpoints are read-only; any other method gets 405.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "render.h"
#include "server.h"

#define SCHEMA_SPC "urn:ietf:params:scim:schemas:core:2.0:" \
                   "ServiceProviderConfig"
#define SCHEMA_RT "urn:ietf:params:scim:schemas:core:2.0:ResourceType"

static json_t *
meta_of(struct req *r, const char *rtype, const char *path)
{
    char loc[512];

    req_location(r, "", path, loc, sizeof(loc));
    return json_pack("{s:s, s:s}", "resourceType", rtype, "location", loc);
}

static json_t *
spc(struct req *r)
{
    const struct scim_config *c = &r->tenant->cfg;

    return json_pack(
        "{s:[s], s:s, s:{s:b}, s:{s:b, s:i, s:i}, s:{s:b, s:i},"
        " s:{s:b}, s:{s:b}, s:{s:b}, s:[{s:s, s:s, s:s, s:b}], s:o}",
        "schemas", SCHEMA_SPC,
        "documentationUri", "https://github.com/scimd/scimd",
        "patch", "supported", 1,
        "bulk", "supported", 0, "maxOperations", 0, "maxPayloadSize", 0,
        "filter", "supported", 1, "maxResults",
        c->max_results > 0 ? c->max_results : 1000,
        "changePassword", "supported", c->store_passwords,
        "sort", "supported", 1,
        "etag", "supported", 0,
        "authenticationSchemes",
        "type", "oauthbearertoken", "name", "OAuth Bearer Token",
        "description", "A bearer token issued by 'scimctl token issue', "
        "sent as 'Authorization: Bearer <token>'.",
        "primary", 1,
        "meta", meta_of(r, "ServiceProviderConfig", "ServiceProviderConfig"));
}

static json_t *
rtype_json(struct req *r, const struct scim_rtype *rt)
{
    json_t *exts = json_array();
    char path[256];
    size_t i;

    for (i = 0; i < rt->nexts; i++)
        json_array_append_new(exts, json_pack("{s:s, s:b}", "schema",
                              rt->exts[i].schema->id, "required",
                              rt->exts[i].required));
    snprintf(path, sizeof(path), "ResourceTypes/%s", rt->name);
    return json_pack("{s:[s], s:s, s:s, s:s, s:s, s:s, s:o, s:o}",
                     "schemas", SCHEMA_RT, "id", rt->name, "name", rt->name,
                     "endpoint", rt->endpoint, "description",
                     rt->description != NULL ? rt->description : rt->name,
                     "schema", rt->core->id, "schemaExtensions", exts,
                     "meta", meta_of(r, "ResourceType", path));
}

/* The definition of a inside list ("attributes" or "subAttributes"). */
static json_t *
attr_json(const json_t *list, const struct scim_attr *a)
{
    const char *name;
    size_t i;
    json_t *e;

    json_array_foreach(list, i, e) {
        name = json_string_value(json_object_get(e, "name"));
        if (name != NULL && strcasecmp(name, a->name) == 0)
            return e;
    }
    return NULL;
}

static void
set_missing(json_t *def, const char *key, json_t *v)
{
    if (json_object_get(def, key) == NULL)
        json_object_set_new(def, key, v);
    else
        json_decref(v);
}

/*
 * A tenant's extension file may leave characteristics out (RFC 7643
 * section 2.2 gives their defaults); discovery shows every one, as the
 * parsed definition that validation uses has them.
 */
static void
complete_attrs(json_t *list, const struct scim_attr *attrs, size_t n)
{
    static const char *const mut[] = { "readWrite", "readOnly",
                                       "immutable", "writeOnly" };
    static const char *const ret[] = { "default", "always", "never",
                                       "request" };
    static const char *const uniq[] = { "none", "server", "global" };
    const struct scim_attr *a;
    json_t *def;
    size_t i;

    for (i = 0; i < n; i++) {
        a = &attrs[i];
        if ((def = attr_json(list, a)) == NULL)
            continue;
        set_missing(def, "multiValued", json_boolean(a->multi_valued));
        set_missing(def, "required", json_boolean(a->required));
        if (a->type != SCIM_AT_COMPLEX)
            set_missing(def, "caseExact", json_boolean(a->case_exact));
        set_missing(def, "mutability", json_string(mut[a->mutability]));
        set_missing(def, "returned", json_string(ret[a->returned]));
        set_missing(def, "uniqueness", json_string(uniq[a->uniqueness]));
        if (a->nsubs > 0)
            complete_attrs(json_object_get(def, "subAttributes"), a->subs,
                           a->nsubs);
    }
}

/*
 * The tenant's required set (User paths such as "name.givenName") is
 * part of what a client must send, so the schema it reads says so: each
 * such attribute, and the parent of a required sub-attribute, shows
 * "required": true.
 */
static void
mark_required(struct req *r, const struct scim_schema *s, json_t *j)
{
    const struct scim_config *c = &r->tenant->cfg;
    const struct scim_rtype *rt = registry_rtype(r->tenant->reg, "User");
    struct scim_attr_ref ref;
    json_t *top;
    size_t i;

    for (i = 0; rt != NULL && i < c->nrequired; i++) {
        if (rtype_resolve(rt, c->required[i], strlen(c->required[i]),
                          &ref) != SCIM_OK
            || ref.schema != s || ref.attr == NULL)
            continue;
        top = attr_json(json_object_get(j, "attributes"), ref.attr);
        json_object_set_new(top, "required", json_true());
        if (ref.sub != NULL)
            json_object_set_new(attr_json(json_object_get(top,
                                "subAttributes"), ref.sub), "required",
                                json_true());
    }
}

static json_t *
schema_json(struct req *r, const struct scim_schema *s)
{
    json_t *j = json_deep_copy(s->json);
    char path[512];

    complete_attrs(json_object_get(j, "attributes"), s->attrs, s->nattrs);
    mark_required(r, s, j);
    snprintf(path, sizeof(path), "Schemas/%s", s->id);
    json_object_set_new(j, "schemas", json_pack("[s]",
                        "urn:ietf:params:scim:schemas:core:2.0:Schema"));
    json_object_set_new(j, "meta", meta_of(r, "Schema", path));
    return j;
}

static json_t *
list_of(json_t *items)
{
    size_t n = json_array_size(items);

    return json_pack("{s:[s], s:I, s:I, s:I, s:o}", "schemas", SCIM_MSG_LIST,
                     "totalResults", (json_int_t)n, "startIndex",
                     (json_int_t)1, "itemsPerPage", (json_int_t)n,
                     "Resources", items);
}

static void
resource_types(struct req *r, const char *arg)
{
    const struct scim_registry *reg = r->tenant->reg;
    json_t *items = json_array();
    size_t i;

    for (i = 0; i < reg->nrtypes; i++) {
        if (arg != NULL && strcasecmp(arg, reg->rtypes[i]->name) == 0) {
            json_decref(items);
            respond_json(r, 200, rtype_json(r, reg->rtypes[i]));
            return;
        }
        json_array_append_new(items, rtype_json(r, reg->rtypes[i]));
    }
    if (arg == NULL) {
        respond_json(r, 200, list_of(items));
        return;
    }
    json_decref(items);
    respond_fail(r, 404, SCIM_CAUSE_NOT_FOUND, NULL, NULL,
                 "No resource type '%s' in this tenant.", arg);
}

static void
schemas(struct req *r, const char *arg)
{
    const struct scim_registry *reg = r->tenant->reg;
    json_t *items = json_array();
    size_t i;

    for (i = 0; i < reg->nschemas; i++) {
        if (arg != NULL && strcasecmp(arg, reg->schemas[i]->id) == 0) {
            json_decref(items);
            respond_json(r, 200, schema_json(r, reg->schemas[i]));
            return;
        }
        json_array_append_new(items, schema_json(r, reg->schemas[i]));
    }
    if (arg == NULL) {
        respond_json(r, 200, list_of(items));
        return;
    }
    json_decref(items);
    respond_fail(r, 404, SCIM_CAUSE_NOT_FOUND, NULL, NULL,
                 "No schema '%s' in this tenant.", arg);
}

void
handle_discovery(struct req *r, const char *what, const char *arg)
{
    r->allow = "GET";
    if (strcmp(r->method, "GET") != 0) {
        respond_fail(r, 405, SCIM_CAUSE_UNSUPPORTED_REQUEST, NULL, NULL,
                     "/%s is read-only; only GET is allowed.", what);
        return;
    }
    if (strcmp(what, "ServiceProviderConfig") == 0 && arg != NULL)
        respond_fail(r, 404, SCIM_CAUSE_NOT_FOUND, NULL, NULL,
                     "/ServiceProviderConfig is a single resource; "
                     "'%s' below it does not exist.", arg);
    else if (strcmp(what, "ServiceProviderConfig") == 0)
        respond_json(r, 200, spc(r));
    else if (strcmp(what, "ResourceTypes") == 0)
        resource_types(r, arg);
    else
        schemas(r, arg);
}
