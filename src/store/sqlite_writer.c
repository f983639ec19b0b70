/* SPDX-License-Identifier: MIT */
/*
 * The SQLite writer: one thread per database that owns the only write
 * connection. Workers hand it change sets and wait; it takes everything
 * queued, applies each change set in its own savepoint (so one failing
 * request does not undo another), appends the queued log records, and
 * commits the batch with a single fsync. A worker is answered only
 * after the commit that holds its change, so a 2xx is always durable,
 * and log-only records wait at most SQ_FLUSH_MS.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlite_db.h"

#define SQ_FLUSH_MS 200
#define SQ_LOG_QUEUE_MAX 4096
#define SQ_ANALYZE_SECONDS 3600

struct sq_job {
    int64_t tenant;
    const struct store_change *ch;
    size_t n;
    const struct store_log *rec;
    struct scim_error *err;
    int rc;
    int finished;
    struct sq_job *next;
};

struct sq_logrec {
    struct store_log rec;
    char *buf[20];              /* owned copies of the strings */
    struct sq_logrec *next;
};

static void
logrec_free(struct sq_logrec *l)
{
    size_t i;

    for (i = 0; i < sizeof(l->buf) / sizeof(l->buf[0]); i++)
        free(l->buf[i]);
    free(l);
}

static const char *
keep(struct sq_logrec *l, size_t *k, const char *s)
{
    if (s == NULL)
        return NULL;
    l->buf[*k] = strdup(s);
    return l->buf[(*k)++];
}

static struct sq_logrec *
logrec_copy(const struct store_log *r)
{
    struct sq_logrec *l = calloc(1, sizeof(*l));
    size_t k = 0;

    if (l == NULL)
        return NULL;
    l->rec = *r;
    l->rec.request_id = keep(l, &k, r->request_id);
    l->rec.tenant = keep(l, &k, r->tenant);
    l->rec.client = keep(l, &k, r->client);
    l->rec.user_agent = keep(l, &k, r->user_agent);
    l->rec.method = keep(l, &k, r->method);
    l->rec.path = keep(l, &k, r->path);
    l->rec.resource_id = keep(l, &k, r->resource_id);
    l->rec.user_name = keep(l, &k, r->user_name);
    l->rec.emails = keep(l, &k, r->emails);
    l->rec.external_id = keep(l, &k, r->external_id);
    l->rec.request_body = keep(l, &k, r->request_body);
    l->rec.response_body = keep(l, &k, r->response_body);
    l->rec.cause = keep(l, &k, r->cause);
    l->rec.attribute = keep(l, &k, r->attribute);
    l->rec.detail = keep(l, &k, r->detail);
    l->rec.dialects = keep(l, &k, r->dialects);
    l->rec.ignored = keep(l, &k, r->ignored);
    return l;
}

int
sq_submit_log(struct sq_db *db, const struct store_log *rec)
{
    struct sq_logrec *l = logrec_copy(rec);

    if (l == NULL)
        return SCIM_ENOMEM;
    pthread_mutex_lock(&db->lock);
    /* Under a load the writer cannot follow, a full queue makes the
     * request wait for the next batch instead of letting memory grow
     * without bound: the log stays complete and scimd's size fixed. */
    while (db->nlogs >= SQ_LOG_QUEUE_MAX && !db->stop) {
        pthread_cond_signal(&db->wake);
        pthread_cond_wait(&db->done, &db->lock);
    }
    /* The writer may sleep untimed on an empty queue: wake it on the
     * first record only, so later ones do not restart its flush timer. */
    if (db->logs == NULL)
        pthread_cond_signal(&db->wake);
    *db->logs_tail = l;
    db->logs_tail = &l->next;
    db->nlogs++;
    pthread_mutex_unlock(&db->lock);
    return SCIM_OK;
}

int
sq_submit(struct sq_db *db, int64_t tenant, const struct store_change *ch,
          size_t n, const struct store_log *rec, struct scim_error *err)
{
    struct sq_job job = { .tenant = tenant, .ch = ch, .n = n, .rec = rec,
                          .err = err };

    pthread_mutex_lock(&db->lock);
    *db->jobs_tail = &job;
    db->jobs_tail = &job.next;
    pthread_cond_signal(&db->wake);
    while (!job.finished)
        pthread_cond_wait(&db->done, &db->lock);
    pthread_mutex_unlock(&db->lock);
    return job.rc;
}

static int
exec(sqlite3 *c, const char *sql)
{
    return sqlite3_exec(c, sql, NULL, NULL, NULL) == SQLITE_OK
               ? SCIM_OK : SCIM_ESTORE;
}

static void
run_job(sqlite3 *c, struct sq_job *j)
{
    if (exec(c, "SAVEPOINT job") != SCIM_OK) {
        j->rc = SCIM_ESTORE;
        return;
    }
    j->rc = sq_apply_changes(c, j->tenant, j->ch, j->n, j->err);
    if (j->rc == SCIM_OK && j->rec != NULL &&
        sq_log_insert(c, j->rec) != SCIM_OK)
        j->rc = SCIM_ESTORE;
    if (j->rc != SCIM_OK)
        exec(c, "ROLLBACK TO job");
    exec(c, "RELEASE job");
}

/* Commits one batch; returns SCIM_OK or SCIM_ESTORE for all of it. */
static int
run_batch(sqlite3 *c, struct sq_job *jobs, struct sq_logrec *logs)
{
    struct sq_job *j;
    struct sq_logrec *l;

    if (exec(c, "BEGIN IMMEDIATE") != SCIM_OK)
        return SCIM_ESTORE;
    /* Log-only records were queued before these jobs arrived: keep the
     * log in arrival order. */
    for (l = logs; l != NULL; l = l->next)
        sq_log_insert(c, &l->rec);
    for (j = jobs; j != NULL; j = j->next)
        run_job(c, j);
    if (exec(c, "COMMIT") != SCIM_OK) {
        exec(c, "ROLLBACK");
        return SCIM_ESTORE;
    }
    return SCIM_OK;
}

/*
 * Sleeps until there is something to commit: a change set (at once), a
 * full log queue (at once), or log records that have waited
 * SQ_FLUSH_MS since the first of them was seen.
 */
static void
wait_for_work(struct sq_db *db)
{
    struct timespec until;
    int timed = 0;

    while (db->jobs == NULL && !db->stop &&
           db->nlogs < SQ_LOG_QUEUE_MAX) {
        if (db->logs == NULL) {
            pthread_cond_wait(&db->wake, &db->lock);
            continue;
        }
        if (!timed) {
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += SQ_FLUSH_MS * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            timed = 1;
        }
        if (pthread_cond_timedwait(&db->wake, &db->lock, &until)
            == ETIMEDOUT)
            return;
    }
}

static void
finish_jobs(struct sq_db *db, struct sq_job *jobs, int batch_rc)
{
    struct sq_job *j, *next;

    pthread_mutex_lock(&db->lock);
    for (j = jobs; j != NULL; j = next) {
        next = j->next;
        if (batch_rc != SCIM_OK) {
            j->rc = SCIM_ESTORE;
            scim_failf(j->err, 503, SCIM_CAUSE_INTERNAL, NULL, NULL,
                       "The database could not commit the change; "
                       "nothing was saved. Retry the request.");
        }
        j->finished = 1;
    }
    pthread_cond_broadcast(&db->done);
    pthread_mutex_unlock(&db->lock);
}

/*
 * Keeps the planner's statistics fresh: without them SQLite does not
 * drive a search by email from its index. analysis_limit bounds the
 * cost on large tables, so this takes milliseconds, not minutes.
 */
static void
refresh_stats(sqlite3 *c, time_t *last)
{
    time_t now = time(NULL);

    if (*last != 0 && now - *last < SQ_ANALYZE_SECONDS)
        return;
    *last = now;
    exec(c, "PRAGMA analysis_limit=1000; ANALYZE;");
}

void *
sq_writer_main(void *arg)
{
    struct sq_db *db = arg;
    struct sq_job *jobs;
    struct sq_logrec *logs, *l;
    time_t analyzed = 0;
    int stop, rc;

    for (;;) {
        refresh_stats(db->wconn, &analyzed);
        pthread_mutex_lock(&db->lock);
        wait_for_work(db);
        jobs = db->jobs;
        logs = db->logs;
        db->jobs = NULL;
        db->jobs_tail = &db->jobs;
        db->logs = NULL;
        db->logs_tail = &db->logs;
        db->nlogs = 0;
        stop = db->stop;
        pthread_mutex_unlock(&db->lock);

        rc = jobs != NULL || logs != NULL
                 ? run_batch(db->wconn, jobs, logs) : SCIM_OK;
        finish_jobs(db, jobs, rc);
        while ((l = logs) != NULL) {
            logs = l->next;
            logrec_free(l);
        }
        if (stop)
            break;
    }
    return NULL;
}
