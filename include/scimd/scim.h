/* SPDX-License-Identifier: MIT */
/*
 * Public API of libscim, the core of scimd: the SCIM 2.0 resource model,
 * schema registry, filter language, PATCH semantics and validation.
 *
 * The core knows nothing of HTTP or SQL. Every fallible function returns
 * an int: SCIM_OK (0) or a negative enum scim_rc. The human-facing reason
 * goes into a caller-supplied struct scim_error, filled once, where the
 * fault is found, by scim_failf(); the first error recorded wins, so the
 * detail always names the innermost attribute that failed.
 */
#ifndef SCIMD_SCIM_H
#define SCIMD_SCIM_H

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__)
#define SCIM_API __attribute__((visibility("default")))
#define SCIM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SCIM_API
#define SCIM_PRINTF(f, a)
#endif

enum scim_rc {
    SCIM_OK = 0,
    SCIM_ENOMEM = -1,       /* allocation failed */
    SCIM_EINVAL = -2,       /* bad request input; see struct scim_error */
    SCIM_ENOTFOUND = -3,    /* no such resource */
    SCIM_ECONFLICT = -4,    /* uniqueness or version conflict */
    SCIM_ESTORE = -5,       /* the database failed */
    SCIM_EAUTH = -6,        /* authentication failed */
    SCIM_EINTERNAL = -7,    /* broken invariant */
    SCIM_ERETRY = -8        /* transient store failure; safe to retry */
};

/*
 * Stable failure causes, shown in the SCIM log and by scimctl diagnose.
 * docs/CAUSES.md documents each one; never renumber or rename them.
 */
enum scim_cause {
    SCIM_CAUSE_NONE = 0,
    SCIM_CAUSE_MISSING_REQUIRED,
    SCIM_CAUSE_NULL_REQUIRED,
    SCIM_CAUSE_EMPTY_REQUIRED,
    SCIM_CAUSE_INVALID_TYPE,
    SCIM_CAUSE_INVALID_VALUE,
    SCIM_CAUSE_MUTABILITY,
    SCIM_CAUSE_UNIQUENESS,
    SCIM_CAUSE_REACTIVATION_CONFLICT,
    SCIM_CAUSE_INVALID_FILTER,
    SCIM_CAUSE_INVALID_PATH,
    SCIM_CAUSE_NO_TARGET,
    SCIM_CAUSE_INVALID_SYNTAX,
    SCIM_CAUSE_UNSUPPORTED_REQUEST,
    SCIM_CAUSE_NOT_FOUND,
    SCIM_CAUSE_UNAUTHORIZED,
    SCIM_CAUSE_TOO_LARGE,
    SCIM_CAUSE_RATE_LIMITED,
    SCIM_CAUSE_IGNORED_ATTRIBUTE,
    SCIM_CAUSE_INTERNAL,
    SCIM_CAUSE_COUNT
};

/*
 * What went wrong, for the client and for the SCIM log. status is the
 * HTTP status; scim_type the RFC 7644 table 9 keyword or "" when none
 * applies; attr the attribute path at fault ("name.givenName",
 * "Operations[2].path") or "" when no attribute is involved.
 */
struct scim_error {
    int status;
    enum scim_cause cause;
    char scim_type[24];
    char attr[256];
    char detail[768];
};

/*
 * Records an error unless one is already set (first error wins).
 * Returns SCIM_EINVAL for 4xx statuses and SCIM_EINTERNAL otherwise, so a
 * caller can write "return scim_failf(...)". err may be NULL.
 */
SCIM_API int scim_failf(struct scim_error *err, int status,
                        enum scim_cause cause, const char *scim_type,
                        const char *attr, const char *fmt, ...)
    SCIM_PRINTF(6, 7);

/* Clears err so that it can record a new error. */
SCIM_API void scim_error_clear(struct scim_error *err);

/* Returns nonzero when err holds an error. */
SCIM_API int scim_error_isset(const struct scim_error *err);

/* Stable snake_case name of a cause ("missing_required"), never NULL. */
SCIM_API const char *scim_cause_name(enum scim_cause cause);

/* Parses a cause name; returns SCIM_CAUSE_NONE when unknown. */
SCIM_API enum scim_cause scim_cause_from_name(const char *name);

/*
 * The core allocates only through these. scim_alloc_fail_after(n) makes
 * the n-th following allocation fail (n = 0 disables), which the unit
 * tests use to walk every error path; it is not thread-safe and meant
 * for tests only.
 */
SCIM_API void *scim_malloc(size_t n);
SCIM_API void *scim_calloc(size_t n, size_t size);
SCIM_API void *scim_realloc(void *p, size_t n);
SCIM_API char *scim_strdup(const char *s);
SCIM_API char *scim_strndup(const char *s, size_t n);
SCIM_API void scim_free(void *p);
SCIM_API void scim_alloc_fail_after(long n);

#endif /* SCIMD_SCIM_H */
