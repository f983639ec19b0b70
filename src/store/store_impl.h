/* SPDX-License-Identifier: MIT */
/*
 * What a storage backend provides: a table of functions that
 * src/store/store.c dispatches to. Each backend's handle struct begins
 * with struct store, so a handle can be passed as struct store *.
 */
#ifndef SCIMD_STORE_STORE_IMPL_H
#define SCIMD_STORE_STORE_IMPL_H

#include "store.h"

struct store_ops {
    const char *name;
    int (*clone)(struct store *s, struct store **out,
                 struct scim_error *err);
    void (*close)(struct store *s);
    int (*tenant_add)(struct store *s, const char *name, const char *config,
                      struct scim_error *err);
    int (*tenant_get)(struct store *s, const char *name, int64_t id,
                      struct store_tenant *out);
    int (*tenant_set_config)(struct store *s, const char *name,
                             const char *config);
    int (*tenant_list)(struct store *s, struct store_tenant **out,
                       size_t *n);
    int (*token_add)(struct store *s, int64_t tenant, const char *hash);
    int (*token_list)(struct store *s, int64_t tenant, json_t **out);
    int (*token_revoke)(struct store *s, int64_t tenant, int64_t id);
    int (*token_lookup)(struct store *s, const char *hash, int64_t *tenant,
                        int64_t *config_version);
    int (*get)(struct store *s, int64_t tenant, const char *rtype,
               const char *id, struct store_res *out);
    /* store_search in two steps: every match's count, then the page. */
    int (*count)(struct store *s, int64_t tenant,
                 const struct store_search *q, long *total,
                 struct scim_error *err);
    int (*page)(struct store *s, int64_t tenant,
                const struct store_search *q, struct store_page *out,
                struct scim_error *err);
    int (*members)(struct store *s, int64_t tenant, const char *group_id,
                   json_t **out);
    int (*groups_of)(struct store *s, int64_t tenant, const char *user_id,
                     json_t **out);
    int (*apply)(struct store *s, int64_t tenant,
                 const struct store_change *changes, size_t n,
                 const struct store_log *rec, struct scim_error *err);
    int (*log_append)(struct store *s, const struct store_log *rec);
    int (*log_query)(struct store *s, const struct store_log_query *q,
                     json_t **out);
    int (*log_prune)(struct store *s, int64_t tenant, int64_t before_ms);
};

struct store {
    const struct store_ops *ops;
};

int sqlite_store_open(const char *path, struct store **out,
                      struct scim_error *err);
int pg_store_open(const char *url, struct store **out,
                  struct scim_error *err);

/* Helpers shared by the backends (store.c). */
char *store_strdup(const char *s);
int64_t store_now_ms(void);

/* Search keys of a log record: folded userName, emails, ids. */
json_t *store_log_keys(const struct store_log *rec);

/* Converts a stored log row (JSON object) for scimctl: parses bodies. */
void store_log_row_finish(json_t *row);

#endif /* SCIMD_STORE_STORE_IMPL_H */
