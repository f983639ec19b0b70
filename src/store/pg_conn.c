/* SPDX-License-Identifier: MIT */
/*
 * PostgreSQL connections: connecting, versioned schema migration,
 * named prepared statements, and recovery from a lost connection.
 * Every statement goes through one classifier that turns SQLSTATEs
 * into the store's codes. A broken connection is re-established with
 * PQreset; a statement is retried on the new one only when that cannot
 * apply anything twice: reads outside a transaction, and transactions
 * that lost their connection before COMMIT was sent (the server rolls
 * those back). When the connection breaks during COMMIT, the server is
 * asked on the new connection whether that transaction committed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg_db.h"

/* libpq type OIDs of the parameters we send (pg_type.h is server-side). */
#define PG_OID_INT8 20
#define PG_OID_TEXT 25
#define PG_OID_FLOAT8 701

#define PG_MIN_SERVER 120000

void
pg_p_text(struct pg_params *p, const char *s)
{
    if (p->n < PG_MAX_PARAMS)
        p->v[p->n++] = s;
}

void
pg_p_int(struct pg_params *p, int64_t i)
{
    if (p->n >= PG_MAX_PARAMS)
        return;
    snprintf(p->num[p->n], sizeof(p->num[0]), "%" PRId64, i);
    p->v[p->n] = p->num[p->n];
    p->n++;
}

char *
pg_dup(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    return strdup(PQgetvalue(r, row, col));
}

int64_t
pg_int(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* Copies libpq's message without its trailing newline. */
static void
copy_msg(char *dst, size_t n, const char *msg)
{
    size_t len;

    snprintf(dst, n, "%s", msg != NULL ? msg : "");
    len = strlen(dst);
    while (len > 0 && (dst[len - 1] == '\n' || dst[len - 1] == ' '))
        dst[--len] = '\0';
}

/* The store never writes to stderr: server notices (such as "relation
 * already exists, skipping") are of no use to an operator. */
static void
quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/*
 * Per-session settings. A scimd process that stalls or loses its network
 * inside a transaction would keep its row locks until TCP gave up (hours
 * by default) and block every other process writing those rows; our
 * transactions never idle between statements, so the server may end
 * one that does after a minute. Best effort: a server that lacks the
 * setting still works.
 */
static void
session_setup(PGconn *c)
{
    PQclear(PQexec(c, "SET idle_in_transaction_session_timeout = 60000"));
}

int
pg_connect(const char *url, PGconn **out, struct scim_error *err)
{
    /* The URL's own settings, if any, override ours: later keywords
     * win and dbname expands in place. Keepalives notice a dead server
     * within about a minute instead of the system's two hours. */
    const char *const keys[] = { "connect_timeout", "keepalives_idle",
                                 "keepalives_interval", "keepalives_count",
                                 "dbname", "fallback_application_name",
                                 NULL };
    const char *const vals[] = { "10", "30", "10", "3", url, "scimd",
                                 NULL };
    char msg[512];
    PGconn *c;

    *out = NULL;
    c = PQconnectdbParams(keys, vals, 1);
    if (c == NULL || PQstatus(c) != CONNECTION_OK) {
        copy_msg(msg, sizeof(msg),
                 c != NULL ? PQerrorMessage(c) : "out of memory");
        PQfinish(c);
        scim_failf(err, 500, SCIM_CAUSE_INTERNAL, NULL, NULL,
                   "cannot connect to PostgreSQL: %s", msg);
        return SCIM_ESTORE;
    }
    if (PQserverVersion(c) < PG_MIN_SERVER) {
        scim_failf(err, 500, SCIM_CAUSE_INTERNAL, NULL, NULL,
                   "PostgreSQL %d.%d is too old: scimd needs 12 or later",
                   PQserverVersion(c) / 10000, PQserverVersion(c) % 10000);
        PQfinish(c);
        return SCIM_ESTORE;
    }
    PQsetNoticeProcessor(c, quiet, NULL);
    session_setup(c);
    *out = c;
    return SCIM_OK;
}

/* Limitation: PQreset blocks the calling worker for up to the connect
 * timeout (10 s unless the URL says otherwise) while the server is
 * unreachable; libpq's non-blocking PQresetStart would need a poll loop
 * per worker for no gain, since the request cannot proceed anyway. */
int
pg_reset(struct pg_store *s)
{
    /* Prepared statements live in the server session that just died. */
    s->nprepared = 0;
    s->broken = 0;
    PQreset(s->pq);
    if (PQstatus(s->pq) != CONNECTION_OK)
        return PG_ELOST;
    session_setup(s->pq);
    return SCIM_OK;
}

static int
state_is(const char *state, const char *want)
{
    return state != NULL && strcmp(state, want) == 0;
}

int
pg_result_rc(struct pg_store *s, const PGresult *res)
{
    ExecStatusType st = res != NULL ? PQresultStatus(res)
                                    : PGRES_FATAL_ERROR;
    const char *state, *cons;

    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return SCIM_OK;
    state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    cons = res != NULL ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME)
                       : NULL;
    snprintf(s->sqlstate, sizeof(s->sqlstate), "%s",
             state != NULL ? state : "");
    snprintf(s->constraint, sizeof(s->constraint), "%s",
             cons != NULL ? cons : "");

    /* Class 08 is a connection failure; 57P01-57P03 are the server
     * shutting down or restarting under us. */
    if (PQstatus(s->pq) == CONNECTION_BAD ||
        (state != NULL && strncmp(state, "08", 2) == 0) ||
        (state != NULL && strncmp(state, "57P0", 4) == 0)) {
        s->broken = 1;
        return PG_ELOST;
    }
    if (state_is(state, "23505"))
        return PG_EUNIQUE;
    if (state_is(state, "23503"))
        return PG_EFOREIGN;
    if (state_is(state, "40001") || state_is(state, "40P01"))
        return SCIM_ERETRY;
    return SCIM_ESTORE;
}

/* Re-establishes a connection found broken, unless inside a
 * transaction, whose statements must not silently run outside it. */
static int
ensure_conn(struct pg_store *s)
{
    if (PQstatus(s->pq) == CONNECTION_OK && !s->broken)
        return SCIM_OK;
    if (s->in_txn)
        return PG_ELOST;
    return pg_reset(s);
}

static int
prepare(struct pg_store *s, const struct pg_sql *q)
{
    PGresult *r;
    size_t i;
    int rc;

    for (i = 0; i < s->nprepared; i++)
        if (s->prepared[i] == q)
            return SCIM_OK;
    if (s->nprepared == PG_MAX_PREPARED)
        return SCIM_EINTERNAL;
    r = PQprepare(s->pq, q->name, q->sql, 0, NULL);
    rc = pg_result_rc(s, r);
    PQclear(r);
    if (rc == SCIM_OK)
        s->prepared[s->nprepared++] = q;
    return rc;
}

static int
exec_once(struct pg_store *s, const struct pg_sql *q,
          const struct pg_params *p, PGresult **res)
{
    PGresult *r;
    int rc = ensure_conn(s);

    if (rc == SCIM_OK)
        rc = prepare(s, q);
    if (rc != SCIM_OK)
        return rc;
    r = PQexecPrepared(s->pq, q->name, p != NULL ? p->n : 0,
                       p != NULL ? p->v : NULL, NULL, NULL, 0);
    rc = pg_result_rc(s, r);
    if (rc == SCIM_OK && res != NULL)
        *res = r;
    else
        PQclear(r);
    return rc;
}

int
pg_exec(struct pg_store *s, const struct pg_sql *q,
        const struct pg_params *p, PGresult **res, int retry)
{
    int rc = exec_once(s, q, p, res);

    if (rc == PG_ELOST && retry && !s->in_txn && pg_reset(s) == SCIM_OK)
        rc = exec_once(s, q, p, res);
    return rc;
}

int
pg_exec_text(struct pg_store *s, const char *sql)
{
    PGresult *r;
    int rc = ensure_conn(s);

    if (rc != SCIM_OK)
        return rc;
    r = PQexec(s->pq, sql);
    rc = pg_result_rc(s, r);
    PQclear(r);
    return rc;
}

/* Converts a compiled statement's parameters to libpq's text form. */
static int
dyn_params(const struct sql_buf *b, Oid *types, const char **vals,
           char (*num)[32])
{
    size_t i;

    for (i = 0; i < b->nparams; i++) {
        const struct sql_param *p = &b->params[i];

        types[i] = 0;
        vals[i] = NULL;
        if (p->type == SQL_P_TEXT) {
            types[i] = PG_OID_TEXT;
            vals[i] = p->text;
        } else if (p->type == SQL_P_INT) {
            types[i] = PG_OID_INT8;
            snprintf(num[i], sizeof(num[i]), "%" PRId64, p->i);
            vals[i] = num[i];
        } else if (p->type == SQL_P_REAL) {
            types[i] = PG_OID_FLOAT8;
            snprintf(num[i], sizeof(num[i]), "%.17g", p->d);
            vals[i] = num[i];
        }
    }
    return SCIM_OK;
}

static int
dyn_once(struct pg_store *s, const struct sql_buf *b, const Oid *types,
         const char *const *vals, PGresult **res)
{
    PGresult *r;
    int rc = ensure_conn(s);

    if (rc != SCIM_OK)
        return rc;
    r = PQexecParams(s->pq, b->sql, (int)b->nparams, types, vals, NULL,
                     NULL, 0);
    rc = pg_result_rc(s, r);
    if (rc == SCIM_OK)
        *res = r;
    else
        PQclear(r);
    return rc;
}

int
pg_exec_buf(struct pg_store *s, const struct sql_buf *b, PGresult **res,
            int retry)
{
    size_t n = b->nparams > 0 ? b->nparams : 1;
    Oid *types = calloc(n, sizeof(*types));
    const char **vals = calloc(n, sizeof(*vals));
    char (*num)[32] = calloc(n, sizeof(*num));
    int rc = SCIM_ENOMEM;

    *res = NULL;
    if (b->oom || types == NULL || vals == NULL || num == NULL)
        goto out;
    dyn_params(b, types, vals, num);
    rc = dyn_once(s, b, types, vals, res);
    if (rc == PG_ELOST && retry && !s->in_txn && pg_reset(s) == SCIM_OK)
        rc = dyn_once(s, b, types, vals, res);

out:
    free(types);
    free(vals);
    free(num);
    return rc;
}

/* Opens a transaction and notes its id in xid, for commit_outcome. */
static int
begin(struct pg_store *s, int async, char *xid, size_t n)
{
    PGresult *r;
    int rc = ensure_conn(s);

    if (rc != SCIM_OK)
        return rc;
    r = PQexec(s->pq, async ? "BEGIN; SET LOCAL synchronous_commit TO off;"
                              " SELECT txid_current()"
                            : "BEGIN; SELECT txid_current()");
    rc = pg_result_rc(s, r);
    if (rc == SCIM_OK)
        snprintf(xid, n, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}

static int
txn_once(struct pg_store *s, int async, pg_txn_body body, void *arg,
         struct scim_error *err, char *xid, size_t n)
{
    int rc = begin(s, async, xid, n);

    if (rc != SCIM_OK)
        return rc;
    s->in_txn = 1;
    rc = body(s, arg, err);
    if (rc == SCIM_OK) {
        rc = pg_exec_text(s, "COMMIT");
        if (rc == PG_ELOST)
            rc = PG_EUNKNOWN;
    } else if (rc != PG_ELOST) {
        pg_exec_text(s, "ROLLBACK");
    }
    s->in_txn = 0;
    return rc;
}

/* Returns the txid_status of xid ("committed", "aborted", "in
 * progress") into buf, or "" when the server cannot say. */
static void
xid_status(struct pg_store *s, const char *xid, char *buf, size_t n)
{
    const char *vals[1] = { xid };
    PGresult *r;

    buf[0] = '\0';
    r = PQexecParams(s->pq, "SELECT txid_status($1::bigint)", 1, NULL,
                     vals, NULL, NULL, 0);
    if (pg_result_rc(s, r) == SCIM_OK && PQntuples(r) == 1 &&
        !PQgetisnull(r, 0, 0))
        snprintf(buf, n, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
}

/*
 * The connection broke during COMMIT. On a new connection, asks what
 * became of transaction xid: SCIM_OK when it committed, PG_ELOST when
 * it was rolled back (safe to rerun), PG_EUNKNOWN otherwise. The old
 * backend may still be finishing, so "in progress" is polled for up to
 * five seconds.
 */
static int
commit_outcome(struct pg_store *s, const char *xid)
{
    char st[32];
    int i;

    if (pg_reset(s) != SCIM_OK)
        return PG_EUNKNOWN;
    for (i = 0; i < 50; i++) {
        xid_status(s, xid, st, sizeof(st));
        if (strcmp(st, "committed") == 0)
            return SCIM_OK;
        if (strcmp(st, "aborted") == 0)
            return PG_ELOST;
        if (strcmp(st, "in progress") != 0)
            break;
        usleep(100000);
    }
    return PG_EUNKNOWN;
}

int
pg_txn(struct pg_store *s, int async, pg_txn_body body, void *arg,
       struct scim_error *err)
{
    char xid[32] = "";
    int rc = txn_once(s, async, body, arg, err, xid, sizeof(xid));

    if (rc == PG_EUNKNOWN)
        rc = commit_outcome(s, xid);

    /* Lost before COMMIT, or rolled back: nothing was applied. */
    if (rc == PG_ELOST && ensure_conn(s) == SCIM_OK) {
        rc = txn_once(s, async, body, arg, err, xid, sizeof(xid));
        if (rc == PG_EUNKNOWN)
            rc = commit_outcome(s, xid);
    }
    return rc;
}

struct write_one {
    const struct pg_sql *q;
    const struct pg_params *p;
    PGresult **res;
};

static int
write_body(struct pg_store *s, void *arg, struct scim_error *err)
{
    struct write_one *w = arg;

    (void)err;
    if (w->res != NULL && *w->res != NULL) {
        /* A rerun after a lost connection: drop the first result. */
        PQclear(*w->res);
        *w->res = NULL;
    }
    return pg_exec(s, w->q, w->p, w->res, 0);
}

int
pg_write(struct pg_store *s, const struct pg_sql *q,
         const struct pg_params *p, PGresult **res)
{
    struct write_one w = { q, p, res };
    int rc;

    if (res != NULL)
        *res = NULL;
    rc = pg_txn(s, 0, write_body, &w, NULL);
    if (rc != SCIM_OK && res != NULL) {
        PQclear(*res);
        *res = NULL;
    }
    return rc;
}
