/* SPDX-License-Identifier: MIT */
/*
 * The schema registry: RFC 7643 schemas (core User, core Group, the
 * Enterprise User extension, and per-tenant custom extensions) and the
 * resource types that combine them. Every rule the core applies to a
 * resource (type, case, mutability, returned, uniqueness, required)
 * comes from these structures, never from hand-written checks.
 *
 * A registry is built once, is immutable afterwards, and is shared
 * read-only by all worker threads.
 */
#ifndef SCIMD_LIB_SCHEMA_H
#define SCIMD_LIB_SCHEMA_H

#include <stddef.h>

#include <jansson.h>

#include "scimd/scim.h"

#define SCIM_SCHEMA_USER "urn:ietf:params:scim:schemas:core:2.0:User"
#define SCIM_SCHEMA_GROUP "urn:ietf:params:scim:schemas:core:2.0:Group"
#define SCIM_SCHEMA_ENTERPRISE \
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define SCIM_MSG_LIST "urn:ietf:params:scim:api:messages:2.0:ListResponse"
#define SCIM_MSG_ERROR "urn:ietf:params:scim:api:messages:2.0:Error"
#define SCIM_MSG_PATCH "urn:ietf:params:scim:api:messages:2.0:PatchOp"
#define SCIM_MSG_SEARCH "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

enum scim_atype {
    SCIM_AT_STRING,
    SCIM_AT_BOOLEAN,
    SCIM_AT_DECIMAL,
    SCIM_AT_INTEGER,
    SCIM_AT_DATETIME,
    SCIM_AT_BINARY,
    SCIM_AT_REFERENCE,
    SCIM_AT_COMPLEX
};

enum scim_mutability {
    SCIM_MUT_READWRITE,
    SCIM_MUT_READONLY,
    SCIM_MUT_IMMUTABLE,
    SCIM_MUT_WRITEONLY
};

enum scim_returned {
    SCIM_RET_DEFAULT,
    SCIM_RET_ALWAYS,
    SCIM_RET_NEVER,
    SCIM_RET_REQUEST
};

enum scim_uniqueness {
    SCIM_UNIQ_NONE,
    SCIM_UNIQ_SERVER,
    SCIM_UNIQ_GLOBAL
};

struct scim_schema;

/* One attribute definition (RFC 7643 section 7, "attributes"). */
struct scim_attr {
    char *name;                     /* canonical spelling */
    char *description;
    enum scim_atype type;
    int multi_valued;
    int required;
    int case_exact;
    enum scim_mutability mutability;
    enum scim_returned returned;
    enum scim_uniqueness uniqueness;
    char **canonical;               /* canonicalValues, may be empty */
    size_t ncanonical;
    char **ref_types;               /* referenceTypes, may be empty */
    size_t nref_types;
    struct scim_attr *subs;         /* subAttributes of a complex type */
    size_t nsubs;
    const struct scim_attr *parent; /* NULL for a top-level attribute */
    const struct scim_schema *schema;
};

struct scim_schema {
    char *id;                       /* the schema URN */
    char *name;
    char *description;
    struct scim_attr *attrs;
    size_t nattrs;
    json_t *json;                   /* the definition, for /Schemas */
};

struct scim_rtype_ext {
    const struct scim_schema *schema;
    int required;
};

/* A resource type (RFC 7643 section 6): a core schema plus extensions. */
struct scim_rtype {
    char *name;                     /* "User" */
    char *endpoint;                 /* "/Users" */
    char *description;
    const struct scim_schema *core;
    struct scim_rtype_ext *exts;
    size_t nexts;
};

struct scim_registry {
    struct scim_schema **schemas;
    size_t nschemas;
    struct scim_rtype **rtypes;
    size_t nrtypes;
};

/*
 * Where a resolved attribute path points: the schema that owns it, the
 * top-level attribute, and the sub-attribute when the path names one.
 * Core attributes live at the top of a resource document; extension
 * attributes live in the object under the extension's URN.
 */
struct scim_attr_ref {
    const struct scim_schema *schema;
    const struct scim_attr *attr;
    const struct scim_attr *sub;
};

/*
 * Builds a schema from its RFC 7643 section 7 JSON definition and
 * validates it: id, attribute names (ATTRNAME), types, characteristics,
 * canonical values and sub-attributes (complex only, one level). On a
 * bad definition returns SCIM_EINVAL with err naming the attribute path.
 * On success *out is a new schema the caller frees with schema_free().
 */
int schema_from_json(const json_t *def, struct scim_schema **out,
                     struct scim_error *err);

void schema_free(struct scim_schema *s);

/*
 * Returns a new registry holding the built-in core User, core Group and
 * Enterprise User schemas and the User and Group resource types (the
 * enterprise extension attached to User, not required). NULL on ENOMEM.
 * Caller frees with registry_free().
 */
struct scim_registry *registry_new(void);

void registry_free(struct scim_registry *reg);

/*
 * Adds schema s (the registry takes ownership, also on failure) and
 * attaches it as an extension of resource type rtype_name. Fails with
 * SCIM_EINVAL when the id is already registered or the type is unknown.
 */
int registry_add_extension(struct scim_registry *reg, struct scim_schema *s,
                           const char *rtype_name, int required,
                           struct scim_error *err);

/*
 * Adds a resource type named name, served at endpoint ("/Devices"),
 * whose core schema is core. The registry takes ownership of core, also
 * on failure. Fails with SCIM_EINVAL when the name, endpoint or schema
 * id is already registered.
 */
int registry_add_rtype(struct scim_registry *reg, struct scim_schema *core,
                       const char *name, const char *endpoint,
                       struct scim_error *err);

/* Resource type by name ("User") or endpoint ("/Users"); NULL if none. */
const struct scim_rtype *registry_rtype(const struct scim_registry *reg,
                                        const char *name);

/* Schema by URN, compared case-insensitively; NULL if none. */
const struct scim_schema *registry_schema(const struct scim_registry *reg,
                                          const char *id);

/* Attribute of s by name (len bytes), case-insensitively; NULL if none. */
const struct scim_attr *schema_attr(const struct scim_schema *s,
                                    const char *name, size_t len);

/* Sub-attribute of a by name (len bytes), case-insensitively. */
const struct scim_attr *attr_sub(const struct scim_attr *a,
                                 const char *name, size_t len);

/*
 * Resolves an attribute path of resource type rt: "userName",
 * "name.givenName", "emails.value", or a fully qualified
 * "urn:...:enterprise:2.0:User:manager.value". An unqualified name is
 * looked up in the core schema first, then in the extensions. A bare
 * schema URN resolves to that schema with attr NULL. Returns SCIM_OK or
 * SCIM_ENOTFOUND (err is not touched; the caller knows the context).
 */
int rtype_resolve(const struct scim_rtype *rt, const char *path, size_t len,
                  struct scim_attr_ref *out);

/*
 * The object that holds ref's top-level attribute inside document doc:
 * doc itself for core attributes, doc[schema-id] for extensions (found
 * case-insensitively). When create is nonzero a missing extension object
 * is added. Returns a borrowed reference or NULL.
 */
json_t *rtype_container(const struct scim_rtype *rt, json_t *doc,
                        const struct scim_attr_ref *ref, int create);

/* Nonzero when schema is rt's core schema. */
int rtype_is_core(const struct scim_rtype *rt, const struct scim_schema *s);

/* Type name as in RFC 7643 ("dateTime"), for messages and discovery. */
const char *scim_atype_name(enum scim_atype t);

/*
 * Case-insensitive object lookup: the value under key (len bytes) in obj,
 * or NULL; *actual, when not NULL, receives the key as spelled in obj.
 */
json_t *json_iget(const json_t *obj, const char *key, size_t len,
                  const char **actual);

#endif /* SCIMD_LIB_SCHEMA_H */
