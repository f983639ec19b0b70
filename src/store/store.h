/* SPDX-License-Identifier: MIT */
/*
 * The storage interface. The server and scimctl speak only to this;
 * SQLite (sqlite.c) and PostgreSQL (pg.c) sit behind a table of
 * function pointers, chosen by the --db argument.
 *
 * Reads go straight to a handle's own connection. Writes are described
 * as a change set (struct store_change) and handed to store_apply(),
 * which applies the whole set atomically together with the SCIM log
 * record of the request. The SQLite backend funnels change sets from
 * all workers through one writer thread that commits several at once
 * (group commit, each in its own savepoint); PostgreSQL commits each in
 * the worker's own transaction. Updates carry the version they were
 * computed from, so concurrent PATCHes never lose an update: a stale
 * version fails with SCIM_ERETRY and the caller recomputes.
 */
#ifndef SCIMD_STORE_STORE_H
#define SCIMD_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "scimd/scim.h"
#include "filter.h"

struct store;

struct store_tenant {
    int64_t id;
    char *name;
    char *config;           /* JSON text of struct scim_config */
    int64_t config_version; /* bumped by every config change */
};

/* One stored resource as read back. */
struct store_res {
    int64_t seq;            /* internal key; stable order of listing */
    char *id;               /* SCIM id */
    char *rtype;            /* "User" / "Group" */
    char *doc;              /* JSON text as served (id and meta inside) */
    int64_t version;
    int active;             /* users: 1/0; groups: 1 */
};

/* The indexed keys of a resource, computed by the caller. */
struct store_keys {
    const char *id;
    const char *external_id;   /* NULL when absent */
    const char *name_key;      /* folded userName (User) or displayName
                                  (Group), unique per type; or NULL */
    const char *display_key;   /* folded displayName or NULL */
    const char **email_keys;   /* folded emails[].value, NULL-ended */
    int active;
};

enum store_change_kind {
    STORE_INSERT,           /* new resource */
    STORE_UPDATE,           /* replace doc if version still matches */
    STORE_DELETE,           /* delete resource and its memberships */
    STORE_MEMBERS_ADD,      /* add members (ids) to group */
    STORE_MEMBERS_REMOVE,   /* remove listed members (ids) */
    STORE_MEMBERS_CLEAR     /* remove every member */
};

struct store_change {
    enum store_change_kind kind;
    const char *rtype;
    const char *id;             /* resource (group for members ops) */
    int64_t version;            /* UPDATE: expected current version, or
                                   -1 to update whatever the version
                                   (changes that commute, such as a
                                   group's membership-only PATCH) */
    const char *doc;            /* INSERT/UPDATE: JSON text */
    const char *fdoc;           /* INSERT/UPDATE: folded JSON text */
    const char *pw_hash;        /* INSERT/UPDATE: argon2id or NULL */
    int keep_pw;                /* UPDATE: leave the stored hash alone */
    struct store_keys keys;     /* INSERT/UPDATE */
    const char *const *members; /* MEMBERS_*: member ids */
    size_t nmembers;
};

/* One record of the SCIM exchange log (all strings may be NULL). */
struct store_log {
    const char *request_id;
    int64_t time_ms;            /* Unix time in milliseconds */
    int64_t tenant_id;          /* 0 when unknown */
    const char *tenant;
    const char *client;
    const char *user_agent;
    const char *method;
    const char *path;           /* path and query */
    int status;
    int64_t latency_us;
    const char *resource_id;
    const char *user_name;
    const char *emails;         /* JSON array text */
    const char *external_id;
    const char *request_body;   /* secrets already redacted */
    const char *response_body;
    const char *cause;
    const char *attribute;
    const char *detail;
    const char *dialects;       /* JSON array text of rule names */
    const char *ignored;        /* JSON array text of attribute paths */
};

/* What scimctl log / diagnose ask for. */
struct store_log_query {
    const char *tenant;         /* NULL: all tenants */
    const char *user;           /* email, userName, externalId or id */
    int64_t since_ms;           /* 0: no lower bound */
    int64_t until_ms;           /* 0: no upper bound */
    int failed_only;
    long limit;                 /* 0: no limit */
};

/* A page of search results. */
struct store_page {
    long total;                 /* every match, whatever the page */
    struct store_res *items;
    size_t nitems;
};

/* Search request: filter AST (NULL: all), sort, paging (1-based). */
struct store_search {
    const char *rtype;
    const struct filter_node *filter;
    const struct scim_attr_ref *sort;   /* NULL: stable creation order */
    int descending;
    long start;
    long count;
    int ids_only;               /* count and list without documents */
    int64_t after_seq;          /* > 0: continue after this seq (keyset
                                   paging; start then only fills in
                                   nothing, and sort must be NULL) */
};

/*
 * Opens a store for url: a file path (SQLite, created when missing) or
 * "postgresql://..." / "postgres://..." (PostgreSQL). The schema is
 * created or migrated. Each thread needs its own handle; handles of one
 * database share its writer. Returns SCIM_OK or an error with err set.
 */
int store_open(const char *url, struct store **out, struct scim_error *err);

/* Opens another handle on the same database as s (for a new thread). */
int store_clone(struct store *s, struct store **out, struct scim_error *err);

/* Closes a handle; the last handle flushes the log and stops the writer. */
void store_close(struct store *s);

/* The backend's name: "sqlite" or "postgresql". */
const char *store_backend(const struct store *s);

/* Tenants. Strings in *out are owned by it: free with store_tenant_free. */
int store_tenant_add(struct store *s, const char *name, const char *config,
                     struct scim_error *err);
int store_tenant_get(struct store *s, const char *name, int64_t id,
                     struct store_tenant *out);
int store_tenant_set_config(struct store *s, const char *name,
                            const char *config);
int store_tenant_list(struct store *s, struct store_tenant **out, size_t *n);
void store_tenant_free(struct store_tenant *t);

/*
 * Tokens are stored as hashes only. Lookup returns the tenant id and
 * its config_version, so that the server notices a configuration change
 * on the very next request without another query.
 */
int store_token_add(struct store *s, int64_t tenant_id, const char *hash);

/*
 * The tenant's tokens as a JSON array of {"id", "fingerprint" (the first
 * 8 hex digits of the stored hash), "created"}, oldest first; no token
 * is ever recoverable from it. New reference in *out.
 */
int store_token_list(struct store *s, int64_t tenant, json_t **out);

/* Deletes token id of tenant: it stops working on the next request.
 * SCIM_ENOTFOUND when the tenant has no such token. */
int store_token_revoke(struct store *s, int64_t tenant, int64_t id);

/*
 * The stored form of a token: hex BLAKE2b-256. Tokens are long random
 * strings, so a fast hash suffices and keeps lookup to one indexed read.
 */
void store_token_hash(const char *token, char out[65]);
int store_token_lookup(struct store *s, const char *hash, int64_t *tenant,
                       int64_t *config_version);

/*
 * Reads one resource by SCIM id; SCIM_ENOTFOUND when absent. Free *out
 * with store_res_free.
 */
int store_get(struct store *s, int64_t tenant, const char *rtype,
              const char *id, struct store_res *out);
void store_res_free(struct store_res *r);

/*
 * Runs a search: the filter is compiled to SQL with bound parameters.
 * Free out with store_page_free. Errors: SCIM_EINVAL (filter the store
 * cannot compile, err set) or SCIM_ESTORE.
 */
int store_search(struct store *s, int64_t tenant,
                 const struct store_search *q, struct store_page *out,
                 struct scim_error *err);
void store_page_free(struct store_page *p);

/*
 * Members of a group as a JSON array of {"value","display","type",
 * "$ref"} (new reference in *out), or the groups of a user likewise.
 */
int store_members(struct store *s, int64_t tenant, const char *group_id,
                  json_t **out);
int store_groups_of(struct store *s, int64_t tenant, const char *user_id,
                    json_t **out);

/*
 * Applies changes atomically with log record rec (may be NULL), and
 * returns only when they are durable. Errors: SCIM_ECONFLICT (a unique
 * key is taken; err says which, and whether its holder is inactive),
 * SCIM_ERETRY (an UPDATE's version is stale), SCIM_ENOTFOUND, SCIM_EINVAL
 * (unknown member ids, named in err), SCIM_ESTORE.
 */
int store_apply(struct store *s, int64_t tenant,
                const struct store_change *changes, size_t nchanges,
                const struct store_log *rec, struct scim_error *err);

/*
 * Queues a log record of a request that changed nothing; it reaches the
 * disk within a second, and at close.
 */
int store_log_append(struct store *s, const struct store_log *rec);

/*
 * Reads log records matching q, oldest first, as a JSON array of
 * objects (new reference in *out).
 */
int store_log_query(struct store *s, const struct store_log_query *q,
                    json_t **out);

/* Deletes log records of tenant older than before_ms. */
int store_log_prune(struct store *s, int64_t tenant, int64_t before_ms);

#endif /* SCIMD_STORE_STORE_H */
