/* SPDX-License-Identifier: MIT */
/*
 * SQL and messages shared by the SQLite and PostgreSQL backends
 * (store_sql.c), so that both answer alike.
 */
#ifndef SCIMD_STORE_STORE_SQL_H
#define SCIMD_STORE_STORE_SQL_H

#include "sqlgen.h"
#include "store.h"

/* Columns of a SCIM log row, in the order the log queries select them. */
extern const char *const store_log_cols[];

/* Appends the query counting q's matches (totalResults). Returns
 * SCIM_OK, SCIM_ENOMEM, or SCIM_EINVAL with err set for a filter the
 * store cannot express. */
int store_sql_count(struct sql_buf *b, int64_t tenant,
                    const struct store_search *q, struct scim_error *err);

/* Appends the query of q's page: seq, id, rtype, doc, version, active. */
int store_sql_page(struct sql_buf *b, int64_t tenant,
                   const struct store_search *q, struct scim_error *err);

/* Appends the SCIM log query of q; user_key is the folded user or NULL. */
void store_sql_log_query(struct sql_buf *b, const struct store_log_query *q,
                         const char *user_key);

/* Records the 400 naming the members of ch whose seqs are 0 (unknown);
 * returns SCIM_OK when every one is known. */
int store_unknown_members(const struct store_change *ch,
                          const int64_t *seqs, struct scim_error *err);

/* Records the 409 for a unique name taken by another resource of type
 * rtype (inactive: by a deactivated user); returns SCIM_ECONFLICT. */
int store_conflict(const char *rtype, int inactive, struct scim_error *err);

#endif /* SCIMD_STORE_STORE_SQL_H */
