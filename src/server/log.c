/* SPDX-License-Identifier: MIT */
/*
 * The daemon's process log: one line per entry on stderr, UTC time with
 * milliseconds, pid, level, component, message. Debug lines appear only
 * with -v. The durable record of SCIM exchanges is the SCIM log in the
 * database, not this; secrets are never passed here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

static int log_verbose;

void
log_init(int verbose)
{
    log_verbose = verbose;
}

static void
emit(const char *level, const char *component, const char *fmt, va_list ap)
{
    struct timeval tv;
    struct tm tm;
    char stamp[32], msg[1024];

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    fprintf(stderr, "%s.%03dZ %d %s %s %s\n", stamp,
            (int)(tv.tv_usec / 1000), (int)getpid(), level, component, msg);
}

#define LOG_FN(name, level, cond)                                  \
    void name(const char *component, const char *fmt, ...)         \
    {                                                              \
        va_list ap;                                                \
        if (!(cond))                                               \
            return;                                                \
        va_start(ap, fmt);                                         \
        emit(level, component, fmt, ap);                           \
        va_end(ap);                                                \
    }

LOG_FN(log_error, "error", 1)
LOG_FN(log_warn, "warn", 1)
LOG_FN(log_info, "info", 1)
LOG_FN(log_debug, "debug", log_verbose)
