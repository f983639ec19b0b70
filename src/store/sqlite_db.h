/* SPDX-License-Identifier: MIT */
/*
 * Internals of the SQLite backend shared by its files: the per-database
 * state (writer thread, queues) and the per-thread handle.
 */
#ifndef SCIMD_STORE_SQLITE_DB_H
#define SCIMD_STORE_SQLITE_DB_H

#include <pthread.h>

#include <sqlite3.h>

#include "store_impl.h"

struct sq_job;
struct sq_logrec;

/* One open database file, shared by every handle of this process. */
struct sq_db {
    char *path;
    int refs;
    pthread_mutex_t lock;
    pthread_cond_t wake;        /* writer: work arrived or stop */
    pthread_cond_t done;        /* callers: a batch committed */
    struct sq_job *jobs;        /* pending change sets (FIFO) */
    struct sq_job **jobs_tail;
    struct sq_logrec *logs;     /* pending log-only records */
    struct sq_logrec **logs_tail;
    int nlogs;                  /* records in logs */
    int stop;
    int writer_running;
    pthread_t writer;
    sqlite3 *wconn;             /* the writer's connection */
    struct sq_db *next;
};

struct sq_store {
    struct store base;
    struct sq_db *db;
    sqlite3 *conn;
};

/* Opens a connection with scimd's pragmas. */
int sq_connect(const char *path, sqlite3 **out, struct scim_error *err);

/* Creates or migrates the schema; safe for concurrent openers. */
int sq_migrate(sqlite3 *c, struct scim_error *err);

/* Prepared statement from the connection's cache (sqlite3_prepare_v3
 * with SQLITE_PREPARE_PERSISTENT); reset and cleared before return. */
sqlite3_stmt *sq_stmt(sqlite3 *c, const char *sql);

/* Binds text or NULL. */
void sq_bind_text(sqlite3_stmt *st, int i, const char *v);

/* Applies one change set inside an open transaction (writer thread). */
int sq_apply_changes(sqlite3 *c, int64_t tenant,
                     const struct store_change *ch, size_t n,
                     struct scim_error *err);

/* Inserts one log record (writer thread). */
int sq_log_insert(sqlite3 *c, const struct store_log *rec);

/* Runs the writer: takes jobs and logs, commits them in batches. */
void *sq_writer_main(void *arg);

/* Queues a change set and waits until it is durable. */
int sq_submit(struct sq_db *db, int64_t tenant,
              const struct store_change *ch, size_t n,
              const struct store_log *rec, struct scim_error *err);

/* Queues a log record, copied, for the next batch. */
int sq_submit_log(struct sq_db *db, const struct store_log *rec);

/* Log queries for scimctl and retention pruning (sqlite_log.c). */
int sq_log_query(struct store *base, const struct store_log_query *q,
                 json_t **out);
int sq_log_prune(struct store *base, int64_t tenant, int64_t before_ms);

#endif /* SCIMD_STORE_SQLITE_DB_H */
