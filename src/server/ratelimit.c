/* SPDX-License-Identifier: MIT */
/*
 * Per-tenant rate limiting, off unless the tenant's rate_limit is set:
 * a token bucket refilled at rate_limit per second, holding one second
 * of burst. A refused request gets 429 with Retry-After, which Okta and
 * Entra honour by rescheduling; nothing is dropped silently. The limit
 * is per scimd process.
 */
#include <time.h>

#include "server.h"

static double
now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
ratelimit_take(struct tenant *t)
{
    double rate = t->cfg.rate_limit, now;
    int ok;

    if (rate <= 0)
        return 1;
    now = now_seconds();
    pthread_mutex_lock(&t->rl_lock);
    if (t->rl_last == 0)
        t->rl_tokens = rate;
    else
        t->rl_tokens += (now - t->rl_last) * rate;
    if (t->rl_tokens > rate)
        t->rl_tokens = rate;
    t->rl_last = now;
    ok = t->rl_tokens >= 1.0;
    if (ok)
        t->rl_tokens -= 1.0;
    pthread_mutex_unlock(&t->rl_lock);
    return ok;
}
