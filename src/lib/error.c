/* SPDX-License-Identifier: MIT */
/*
 * The one error idiom of the core: scim_failf() records the first fault
 * of a request, with the attribute path where it was found, and every
 * later call is ignored. Callers deeper in the stack know the attribute;
 * callers higher up only propagate the return code. Cause names are the
 * stable vocabulary of the SCIM log and of scimctl diagnose.
 */
#include <stdio.h>
#include <string.h>

#include "scimd/scim.h"

static const char *const cause_names[SCIM_CAUSE_COUNT] = {
    [SCIM_CAUSE_NONE] = "none",
    [SCIM_CAUSE_MISSING_REQUIRED] = "missing_required",
    [SCIM_CAUSE_NULL_REQUIRED] = "null_required",
    [SCIM_CAUSE_EMPTY_REQUIRED] = "empty_required",
    [SCIM_CAUSE_INVALID_TYPE] = "invalid_type",
    [SCIM_CAUSE_INVALID_VALUE] = "invalid_value",
    [SCIM_CAUSE_MUTABILITY] = "mutability",
    [SCIM_CAUSE_UNIQUENESS] = "uniqueness",
    [SCIM_CAUSE_REACTIVATION_CONFLICT] = "reactivation_conflict",
    [SCIM_CAUSE_INVALID_FILTER] = "invalid_filter",
    [SCIM_CAUSE_INVALID_PATH] = "invalid_path",
    [SCIM_CAUSE_NO_TARGET] = "no_target",
    [SCIM_CAUSE_INVALID_SYNTAX] = "invalid_syntax",
    [SCIM_CAUSE_UNSUPPORTED_REQUEST] = "unsupported_request",
    [SCIM_CAUSE_NOT_FOUND] = "not_found",
    [SCIM_CAUSE_UNAUTHORIZED] = "unauthorized",
    [SCIM_CAUSE_TOO_LARGE] = "too_large",
    [SCIM_CAUSE_RATE_LIMITED] = "rate_limited",
    [SCIM_CAUSE_IGNORED_ATTRIBUTE] = "ignored_attribute",
    [SCIM_CAUSE_INTERNAL] = "internal",
};

int
scim_failf(struct scim_error *err, int status, enum scim_cause cause,
           const char *scim_type, const char *attr, const char *fmt, ...)
{
    va_list ap;
    int rc = status >= 400 && status < 500 ? SCIM_EINVAL : SCIM_EINTERNAL;

    if (err == NULL || err->status != 0)
        return rc;
    err->status = status;
    err->cause = cause;
    snprintf(err->scim_type, sizeof(err->scim_type), "%s",
             scim_type != NULL ? scim_type : "");
    snprintf(err->attr, sizeof(err->attr), "%s", attr != NULL ? attr : "");

    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
    return rc;
}

void
scim_error_clear(struct scim_error *err)
{
    if (err != NULL)
        memset(err, 0, sizeof(*err));
}

int
scim_error_isset(const struct scim_error *err)
{
    return err != NULL && err->status != 0;
}

const char *
scim_cause_name(enum scim_cause cause)
{
    if ((int)cause < 0 || cause >= SCIM_CAUSE_COUNT)
        return "none";
    return cause_names[cause];
}

enum scim_cause
scim_cause_from_name(const char *name)
{
    int i;

    for (i = 1; name != NULL && i < SCIM_CAUSE_COUNT; i++)
        if (strcmp(cause_names[i], name) == 0)
            return (enum scim_cause)i;
    return SCIM_CAUSE_NONE;
}
