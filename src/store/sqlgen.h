/* SPDX-License-Identifier: MIT */
/*
 * Compiles a filter AST to an SQL condition with bound parameters, for
 * both backends. No value is ever spliced into SQL text: literals
 * become parameters. Case-insensitive comparisons use the folded copy
 * of each document (fdoc) and the folded key columns, so eq on id,
 * userName, externalId, displayName and emails.value is served by an
 * index. The tables (see docs/internals/store.md):
 *   resources r(seq, tenant_id, rtype, id, external_id, name_key,
 *               display_key, active, version, created, modified,
 *               doc, fdoc, pw_hash)
 *   emails(res_seq, tenant_id, value_key)
 *   members(group_seq, member_seq)
 */
#ifndef SCIMD_STORE_SQLGEN_H
#define SCIMD_STORE_SQLGEN_H

#include <stddef.h>
#include <stdint.h>

#include "filter.h"

enum sqlgen_dialect {
    SQLGEN_SQLITE,      /* json_extract / json_each, ? parameters */
    SQLGEN_PG           /* jsonb operators, $n parameters */
};

enum sql_param_type {
    SQL_P_TEXT,
    SQL_P_INT,
    SQL_P_REAL,
    SQL_P_NULL
};

struct sql_param {
    enum sql_param_type type;
    char *text;         /* owned, for SQL_P_TEXT */
    int64_t i;
    double d;
};

/* A growing SQL text with its parameters. */
struct sql_buf {
    enum sqlgen_dialect dialect;
    char *sql;
    size_t len;
    size_t cap;
    struct sql_param *params;
    size_t nparams;
    size_t cparams;
    int oom;            /* sticky: an append failed */
};

void sql_buf_init(struct sql_buf *b, enum sqlgen_dialect d);
void sql_buf_free(struct sql_buf *b);

/* Appends text; on ENOMEM sets b->oom and later appends do nothing. */
void sql_buf_add(struct sql_buf *b, const char *text);

/* Appends a placeholder ("?" or "$n") bound to a copy of the value. */
void sql_buf_text(struct sql_buf *b, const char *s);
void sql_buf_int(struct sql_buf *b, int64_t i);
void sql_buf_real(struct sql_buf *b, double d);

/*
 * Appends to b an SQL boolean expression over alias "r" equivalent to
 * filter_match(f, doc) for every stored resource. Returns SCIM_OK,
 * SCIM_ENOMEM, or SCIM_EINVAL with err set (400 invalidFilter) for a
 * filter the store cannot express.
 */
int sqlgen_where(struct sql_buf *b, const struct filter_node *f,
                 struct scim_error *err);

/*
 * Appends the ORDER BY expression for sortBy ref (without the keyword
 * and direction): the folded value for caseExact=false, and the first
 * (primary, else first) element's value for a multi-valued attribute.
 */
int sqlgen_order(struct sql_buf *b, const struct scim_attr_ref *ref,
                 struct scim_error *err);

#endif /* SCIMD_STORE_SQLGEN_H */
