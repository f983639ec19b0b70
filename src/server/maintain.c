/* SPDX-License-Identifier: MIT */
/*
 * Background upkeep of scimd: prunes SCIM log records older than each
 * tenant's retention, shortly after start and then every hour, on a
 * store handle of its own. Several instances on one database may all
 * prune; deleting what another already deleted is harmless.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "config.h"
#include "server.h"

#define PRUNE_FIRST_SECONDS 5
#define PRUNE_EVERY_SECONDS 3600

static pthread_t thread;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int stopping;
static int running;

static int
retention_of(const struct store_tenant *t)
{
    struct scim_config cfg;
    struct scim_error err = { 0 };
    json_t *j = json_loads(t->config, 0, NULL);
    int days = 30;

    if (config_default(&cfg) == SCIM_OK &&
        config_from_json(j, &cfg, &err) == SCIM_OK)
        days = cfg.retention_days;
    config_free(&cfg);
    json_decref(j);
    return days;
}

static void
prune_all(struct store *s)
{
    struct store_tenant *v = NULL;
    size_t n = 0, i;
    int64_t now = (int64_t)time(NULL) * 1000, cutoff;

    if (store_tenant_list(s, &v, &n) != SCIM_OK)
        return;
    for (i = 0; i < n; i++) {
        cutoff = now - (int64_t)retention_of(&v[i]) * 86400 * 1000;
        if (store_log_prune(s, v[i].id, cutoff) != SCIM_OK)
            log_warn("maintain", "tenant=%s cannot prune the SCIM log",
                     v[i].name);
        store_tenant_free(&v[i]);
    }
    free(v);
}

/* Waits up to seconds; returns nonzero when asked to stop. */
static int
nap(int seconds)
{
    struct timespec until;
    int stop;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += seconds;
    pthread_mutex_lock(&lock);
    while (!stopping &&
           pthread_cond_timedwait(&wake, &lock, &until) == 0)
        ;
    stop = stopping;
    pthread_mutex_unlock(&lock);
    return stop;
}

static void *
maintain_main(void *arg)
{
    struct store *s = arg;

    if (!nap(PRUNE_FIRST_SECONDS))
        do
            prune_all(s);
        while (!nap(PRUNE_EVERY_SECONDS));
    store_close(s);
    return NULL;
}

void
maintain_start(struct store *master)
{
    struct scim_error err = { 0 };
    struct store *s = NULL;

    if (store_clone(master, &s, &err) != SCIM_OK) {
        log_warn("maintain", "no store handle; the SCIM log will not be "
                 "pruned: %s", err.detail);
        return;
    }
    if (pthread_create(&thread, NULL, maintain_main, s) != 0) {
        store_close(s);
        return;
    }
    running = 1;
}

void
maintain_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&lock);
    stopping = 1;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    running = 0;
}
