/* SPDX-License-Identifier: MIT */
/*
 * Keyset paging for identity-provider imports. Okta reads a whole
 * tenant with startIndex 1, 101, 201, ... in creation order; answered
 * with OFFSET, page k walks k*100 rows and an import of a million users
 * costs quadratic time. So when a page is served, the seq of its last
 * resource is remembered under (tenant, type, next startIndex), and the
 * next page continues after it through the primary key. A delete in
 * the tenant forgets its cursors, so positions never drift.
 *
 * Limitation: cursors are per process; behind a load balancer a page
 * that lands on another scimd falls back to OFFSET (correct, slower),
 * and a delete made by another process is not seen by this one's
 * cursors, which then skip nothing but hold the pre-delete positions.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "server.h"

#define CURSOR_SLOTS 4096

struct cursor {
    int64_t tenant;
    char rtype[24];
    long start;
    int64_t seq;
};

static struct cursor slots[CURSOR_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct cursor *
slot_for(int64_t tenant, const char *rtype, long start)
{
    unsigned long h = (unsigned long)tenant * 2654435761u ^
                      (unsigned long)start * 40503u ^ (unsigned char)*rtype;

    return &slots[h % CURSOR_SLOTS];
}

int64_t
cursor_find(int64_t tenant, const char *rtype, long start)
{
    struct cursor *c;
    int64_t seq = 0;

    pthread_mutex_lock(&lock);
    c = slot_for(tenant, rtype, start);
    if (c->tenant == tenant && c->start == start &&
        strcmp(c->rtype, rtype) == 0)
        seq = c->seq;
    pthread_mutex_unlock(&lock);
    return seq;
}

void
cursor_put(int64_t tenant, const char *rtype, long start, int64_t seq)
{
    struct cursor *c;

    pthread_mutex_lock(&lock);
    c = slot_for(tenant, rtype, start);
    c->tenant = tenant;
    snprintf(c->rtype, sizeof(c->rtype), "%s", rtype);
    c->start = start;
    c->seq = seq;
    pthread_mutex_unlock(&lock);
}

void
cursor_forget(int64_t tenant)
{
    size_t i;

    pthread_mutex_lock(&lock);
    for (i = 0; i < CURSOR_SLOTS; i++)
        if (slots[i].tenant == tenant)
            memset(&slots[i], 0, sizeof(slots[i]));
    pthread_mutex_unlock(&lock);
}
