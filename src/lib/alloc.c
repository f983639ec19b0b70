/* SPDX-License-Identifier: MIT */
/*
 * Allocation wrappers for the core. They exist so that tests can make
 * the n-th allocation fail and prove that every error path releases what
 * it took, the way curl's torture mode and SQLite's OOM loops do.
 */
#include <stdlib.h>
#include <string.h>

#include "scimd/scim.h"

static long fail_countdown;

static int
should_fail(void)
{
    if (fail_countdown <= 0)
        return 0;
    return --fail_countdown == 0;
}

void
scim_alloc_fail_after(long n)
{
    fail_countdown = n;
}

void *
scim_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n == 0 ? 1 : n);
}

void *
scim_calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : calloc(n == 0 ? 1 : n, size);
}

void *
scim_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n == 0 ? 1 : n);
}

char *
scim_strndup(const char *s, size_t n)
{
    char *d = scim_malloc(n + 1);

    if (d == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *
scim_strdup(const char *s)
{
    return s == NULL ? NULL : scim_strndup(s, strlen(s));
}

void
scim_free(void *p)
{
    free(p);
}
