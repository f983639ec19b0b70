/* SPDX-License-Identifier: MIT */
/*
 * The tenant cache: each tenant's parsed configuration and schema
 * registry, built once and shared by all workers. Every request learns
 * the tenant's config_version with its token lookup; when it differs
 * from the cached one the tenant is rebuilt, so scimctl config changes
 * apply on the next request. A replaced entry lives until the last
 * request using it lets go (reference count).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tenant **cache;
static size_t ncache;

static void
tenant_free(struct tenant *t)
{
    if (t == NULL)
        return;
    config_free(&t->cfg);
    registry_free(t->reg);
    pthread_mutex_destroy(&t->rl_lock);
    free(t->name);
    free(t);
}

static struct tenant *
tenant_load(struct store *s, int64_t id)
{
    struct store_tenant row;
    struct scim_error err = { 0 };
    struct tenant *t = calloc(1, sizeof(*t));
    json_t *cfg = NULL;

    if (t == NULL || store_tenant_get(s, NULL, id, &row) != SCIM_OK) {
        free(t);
        return NULL;
    }
    pthread_mutex_init(&t->rl_lock, NULL);
    t->id = row.id;
    t->name = row.name;
    t->config_version = row.config_version;
    row.name = NULL;
    cfg = json_loads(row.config, 0, NULL);
    store_tenant_free(&row);
    if (config_default(&t->cfg) != SCIM_OK ||
        config_from_json(cfg, &t->cfg, &err) != SCIM_OK ||
        config_registry(&t->cfg, &t->reg, &err) != SCIM_OK) {
        log_error("tenant", "tenant=%s has an unusable configuration: %s",
                  t->name, err.detail);
        json_decref(cfg);
        tenant_free(t);
        return NULL;
    }
    json_decref(cfg);
    return t;
}

static struct tenant **
slot_of(int64_t id)
{
    size_t i;

    for (i = 0; i < ncache; i++)
        if (cache[i]->id == id)
            return &cache[i];
    return NULL;
}

static int
install(struct tenant *t)
{
    struct tenant **slot = slot_of(t->id), **nc;

    if (slot != NULL) {
        if (--(*slot)->refs == 0)
            tenant_free(*slot);
        *slot = t;
        return SCIM_OK;
    }
    nc = realloc(cache, (ncache + 1) * sizeof(*cache));
    if (nc == NULL)
        return SCIM_ENOMEM;
    cache = nc;
    cache[ncache++] = t;
    return SCIM_OK;
}

int
tenants_get(struct store *s, int64_t id, int64_t version,
            struct tenant **out)
{
    struct tenant **slot, *t;

    pthread_mutex_lock(&cache_lock);
    slot = slot_of(id);
    if (slot != NULL && (*slot)->config_version == version) {
        (*slot)->refs++;
        *out = *slot;
        pthread_mutex_unlock(&cache_lock);
        return SCIM_OK;
    }
    pthread_mutex_unlock(&cache_lock);

    /* Built outside the lock: parsing schemas takes a while. */
    t = tenant_load(s, id);
    if (t == NULL)
        return SCIM_ESTORE;
    pthread_mutex_lock(&cache_lock);
    t->refs = 2;        /* one for the cache, one for the caller */
    if (install(t) != SCIM_OK) {
        t->refs = 1;
    }
    *out = t;
    pthread_mutex_unlock(&cache_lock);
    return SCIM_OK;
}

void
tenants_put(struct tenant *t)
{
    pthread_mutex_lock(&cache_lock);
    if (--t->refs == 0)
        tenant_free(t);
    pthread_mutex_unlock(&cache_lock);
}

void
tenants_shutdown(void)
{
    size_t i;

    pthread_mutex_lock(&cache_lock);
    for (i = 0; i < ncache; i++)
        if (--cache[i]->refs == 0)
            tenant_free(cache[i]);
    free(cache);
    cache = NULL;
    ncache = 0;
    pthread_mutex_unlock(&cache_lock);
}
