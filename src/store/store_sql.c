/* SPDX-License-Identifier: MIT */
/*
 * SQL text that both backends run alike: the search query around the
 * compiled filter (count or page, keyset or offset), the SCIM log query,
 * and the error for unknown group members. Each backend only executes
 * what these build; sql_buf numbers the parameters for its dialect.
 */
#include <stdio.h>
#include <string.h>

#include "sqlgen.h"
#include "store_sql.h"

const char *const store_log_cols[] = {
    "request_id", "time_ms", "tenant", "client", "user_agent", "method",
    "path", "status", "latency_us", "resource_id", "user_name", "emails",
    "external_id", "request_body", "response_body", "cause", "attribute",
    "detail", "dialects", "ignored", NULL
};

/* " FROM resources r WHERE tenant and type [AND (filter)]". */
static int
where_clause(struct sql_buf *b, int64_t tenant,
             const struct store_search *q, struct scim_error *err)
{
    sql_buf_add(b, " FROM resources r WHERE r.tenant_id = ");
    sql_buf_int(b, tenant);
    sql_buf_add(b, " AND r.rtype = ");
    sql_buf_text(b, q->rtype);
    if (q->filter != NULL) {
        sql_buf_add(b, " AND (");
        if (sqlgen_where(b, q->filter, err) != SCIM_OK)
            return SCIM_EINVAL;
        sql_buf_add(b, ")");
    }
    return b->oom ? SCIM_ENOMEM : SCIM_OK;
}

int
store_sql_count(struct sql_buf *b, int64_t tenant,
                const struct store_search *q, struct scim_error *err)
{
    if (q->filter != NULL) {
        sql_buf_add(b, "SELECT count(*)");
        return where_clause(b, tenant, q, err);
    }
    /* Kept exact by every insert and delete: no row is counted. */
    sql_buf_add(b, "SELECT coalesce(sum(n), 0) FROM resource_counts"
                   " WHERE tenant_id = ");
    sql_buf_int(b, tenant);
    sql_buf_add(b, " AND rtype = ");
    sql_buf_text(b, q->rtype);
    return b->oom ? SCIM_ENOMEM : SCIM_OK;
}

int
store_sql_page(struct sql_buf *b, int64_t tenant,
               const struct store_search *q, struct scim_error *err)
{
    int rc;

    sql_buf_add(b, q->ids_only
                       ? "SELECT r.seq, r.id, r.rtype, NULL, r.version,"
                         " r.active"
                       : "SELECT r.seq, r.id, r.rtype, r.doc, r.version,"
                         " r.active");
    rc = where_clause(b, tenant, q, err);
    if (q->after_seq > 0) {
        sql_buf_add(b, " AND r.seq > ");
        sql_buf_int(b, q->after_seq);
    }
    sql_buf_add(b, " ORDER BY ");
    if (rc == SCIM_OK && q->sort != NULL) {
        rc = sqlgen_order(b, q->sort, err);
        sql_buf_add(b, q->descending ? " DESC, " : " ASC, ");
    }
    sql_buf_add(b, "r.seq LIMIT ");
    sql_buf_int(b, q->count);
    sql_buf_add(b, " OFFSET ");
    sql_buf_int(b, q->after_seq > 0 || q->start <= 1 ? 0 : q->start - 1);
    return rc == SCIM_OK && b->oom ? SCIM_ENOMEM : rc;
}

static void
log_conditions(struct sql_buf *b, const struct store_log_query *q,
               const char *user_key)
{
    sql_buf_add(b, " WHERE 1 = 1");
    if (q->tenant != NULL) {
        sql_buf_add(b, " AND l.tenant = ");
        sql_buf_text(b, q->tenant);
    }
    if (user_key != NULL) {
        sql_buf_add(b, " AND l.seq IN (SELECT log_seq FROM scim_log_keys"
                       " WHERE key = ");
        sql_buf_text(b, user_key);
        sql_buf_add(b, ")");
    }
    if (q->since_ms > 0) {
        sql_buf_add(b, " AND l.time_ms >= ");
        sql_buf_int(b, q->since_ms);
    }
    if (q->until_ms > 0) {
        sql_buf_add(b, " AND l.time_ms <= ");
        sql_buf_int(b, q->until_ms);
    }
    if (q->failed_only)
        sql_buf_add(b, " AND l.status >= 400");
}

void
store_sql_log_query(struct sql_buf *b, const struct store_log_query *q,
                    const char *user_key)
{
    int i;

    sql_buf_add(b, "SELECT ");
    for (i = 0; store_log_cols[i] != NULL; i++) {
        sql_buf_add(b, i > 0 ? ", l." : "l.");
        sql_buf_add(b, store_log_cols[i]);
    }
    sql_buf_add(b, " FROM scim_log l");
    log_conditions(b, q, user_key);
    sql_buf_add(b, " ORDER BY l.time_ms, l.seq");
    if (q->limit > 0) {
        sql_buf_add(b, " LIMIT ");
        sql_buf_int(b, q->limit);
    }
}

int
store_unknown_members(const struct store_change *ch, const int64_t *seqs,
                      struct scim_error *err)
{
    char list[512] = "";
    size_t i, used = 0, bad = 0;

    for (i = 0; i < ch->nmembers; i++) {
        if (seqs[i] > 0)
            continue;
        bad++;
        if (used < sizeof(list) - 1)
            used += (size_t)snprintf(list + used, sizeof(list) - used,
                                     "%s'%s'", bad > 1 ? ", " : "",
                                     ch->members[i]);
    }
    if (bad == 0)
        return SCIM_OK;
    if (used >= sizeof(list))
        memcpy(list + sizeof(list) - 4, "...", 4);
    return scim_failf(err, 400, SCIM_CAUSE_INVALID_VALUE, "invalidValue",
                      "members", "Attribute 'members' names %zu value%s "
                      "that %s no user or group of this tenant: %s. "
                      "Nothing of the request was applied.", bad,
                      bad > 1 ? "s" : "", bad > 1 ? "are" : "is", list);
}

int
store_conflict(const char *rtype, int inactive, struct scim_error *err)
{
    if (strcmp(rtype, "User") != 0)
        scim_failf(err, 409, SCIM_CAUSE_UNIQUENESS, "uniqueness",
                   "displayName", "Attribute 'displayName' must be "
                   "unique: another group already holds this "
                   "displayName (compared without regard to case).");
    else if (inactive)
        scim_failf(err, 409, SCIM_CAUSE_REACTIVATION_CONFLICT, "uniqueness",
                   "userName", "Attribute 'userName' must be unique: a "
                   "deactivated user already holds this userName (in any "
                   "case). Reactivate that user instead of creating a new "
                   "one.");
    else
        scim_failf(err, 409, SCIM_CAUSE_UNIQUENESS, "uniqueness",
                   "userName", "Attribute 'userName' must be unique: "
                   "another user already holds this userName (compared "
                   "without regard to case).");
    return SCIM_ECONFLICT;
}
