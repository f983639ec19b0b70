/* SPDX-License-Identifier: MIT */
/*
 * Internals of the PostgreSQL backend shared by its files: the handle
 * (one libpq connection each), named prepared statements, parameter
 * lists, and the transaction runner that re-establishes a lost
 * connection and retries when that cannot apply anything twice.
 */
#ifndef SCIMD_STORE_PG_DB_H
#define SCIMD_STORE_PG_DB_H

#include <libpq-fe.h>

#include "sqlgen.h"
#include "store_impl.h"

/* Internal results beside enum scim_rc; never leave the backend. */
#define PG_ELOST (-100)     /* the connection broke; nothing committed */
#define PG_EUNIQUE (-101)   /* a unique index refused the row */
#define PG_EFOREIGN (-102)  /* a referenced row vanished meanwhile */
#define PG_EUNKNOWN (-103)  /* lost during COMMIT: outcome unknown */

#define PG_MAX_PREPARED 48
#define PG_MAX_PARAMS 24

/* One statement prepared once per connection under its name. */
struct pg_sql {
    const char *name;
    const char *sql;
};

struct pg_store {
    struct store base;
    char *url;                  /* libpq URL or conninfo, for clones */
    PGconn *pq;
    const struct pg_sql *prepared[PG_MAX_PREPARED];
    size_t nprepared;
    int in_txn;                 /* inside pg_txn: never reset silently */
    int broken;                 /* a statement found the connection lost */
    char sqlstate[6];           /* of the last failed statement */
    char constraint[64];        /* its constraint, for unique errors */
};

/* Text parameters of one statement; numbers are printed into num. */
struct pg_params {
    int n;
    const char *v[PG_MAX_PARAMS];
    char num[PG_MAX_PARAMS][24];
};

/* Appends a text value (NULL binds SQL NULL) or an integer. */
void pg_p_text(struct pg_params *p, const char *s);
void pg_p_int(struct pg_params *p, int64_t i);

/* Connects to url (URL or conninfo). Returns SCIM_OK or SCIM_ESTORE
 * with err set; the password never appears in err. */
int pg_connect(const char *url, PGconn **out, struct scim_error *err);

/* Creates or migrates the schema under an advisory lock, so several
 * processes starting at once migrate exactly once. */
int pg_migrate(struct pg_store *s, struct scim_error *err);

/* Re-establishes the connection; prepared statements are re-created on
 * next use. Returns SCIM_OK or PG_ELOST. */
int pg_reset(struct pg_store *s);

/*
 * Runs prepared statement q with parameters p (may be NULL). On SCIM_OK
 * *res (when res is not NULL) holds the result for the caller to
 * PQclear. Outside a transaction a statement that finds the connection
 * lost is retried once on a fresh one when retry is set (reads). Errors:
 * PG_ELOST, PG_EUNIQUE, PG_EFOREIGN, SCIM_ERETRY (serialisation failure
 * or deadlock), SCIM_ESTORE.
 */
int pg_exec(struct pg_store *s, const struct pg_sql *q,
            const struct pg_params *p, PGresult **res, int retry);

/* Runs one writing statement in its own transaction, so that a
 * connection found lost before COMMIT is re-established and the write
 * rerun (pg_txn). Results as pg_exec, plus PG_EUNKNOWN. */
int pg_write(struct pg_store *s, const struct pg_sql *q,
             const struct pg_params *p, PGresult **res);

/* Runs a compiled statement (sqlgen) with its typed parameters: text,
 * int8, float8. Same results and retry rule as pg_exec. */
int pg_exec_buf(struct pg_store *s, const struct sql_buf *b, PGresult **res,
                int retry);

/* Runs plain SQL text (no parameters) and classifies its result. */
int pg_exec_text(struct pg_store *s, const char *sql);

/* Classifies a result of s's connection as pg_exec does. */
int pg_result_rc(struct pg_store *s, const PGresult *res);

/*
 * Runs body(s, arg, err) inside BEGIN ... COMMIT. When the connection
 * is found lost before COMMIT was sent, nothing was applied: the
 * connection is re-established and the whole transaction rerun once.
 * When it breaks during COMMIT, the new connection asks the server
 * whether the transaction committed (txid_status) and reruns it only
 * if it did not. async commits without waiting for the WAL flush
 * (log-only records). Returns body's result, or PG_EUNKNOWN (the
 * server could not say), PG_ELOST, SCIM_ESTORE.
 */
typedef int (*pg_txn_body)(struct pg_store *s, void *arg,
                           struct scim_error *err);
int pg_txn(struct pg_store *s, int async, pg_txn_body body, void *arg,
           struct scim_error *err);

/* Column i of row r as a new string (NULL when SQL NULL or no memory),
 * or as an integer (0 when NULL). */
char *pg_dup(const PGresult *r, int row, int col);
int64_t pg_int(const PGresult *r, int row, int col);

/* Store operations of pg_apply.c and pg_log.c. */
int pg_apply(struct store *base, int64_t tenant,
             const struct store_change *ch, size_t n,
             const struct store_log *rec, struct scim_error *err);
int pg_log_insert(struct pg_store *s, const struct store_log *rec);
int pg_log_append(struct store *base, const struct store_log *rec);
int pg_log_query(struct store *base, const struct store_log_query *q,
                 json_t **out);
int pg_log_prune(struct store *base, int64_t tenant, int64_t before_ms);

#endif /* SCIMD_STORE_PG_DB_H */
