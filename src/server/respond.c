/* SPDX-License-Identifier: MIT */
/*
 * Answers: RFC 7644 section 3.12 error bodies (status as a string,
 * scimType, a detail that names the attribute and ends with the request
 * id) and JSON bodies. The error is also kept in the request's context,
 * where the SCIM log record takes its cause and attribute from.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "schema.h"
#include "server.h"

void
respond_json(struct req *r, int status, json_t *body)
{
    free(r->resp);
    r->resp = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    r->status = status;
    json_decref(body);
}

void
respond_text(struct req *r, int status, const char *text)
{
    free(r->resp);
    r->resp = text != NULL ? strdup(text) : NULL;
    r->status = status;
}

void
utf8_scrub(char *s)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t n;

    while (s != NULL && *s != '\0') {
        n = utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &cp);
        if (n > 0) {
            s += n;
            continue;
        }
        *s++ = '?';
    }
}

char *
utf8_scrub_dup(const char *s)
{
    char *d = s != NULL ? strdup(s) : NULL;

    utf8_scrub(d);
    return d;
}

void
respond_error(struct req *r, const struct scim_error *err)
{
    json_t *body = json_object();
    char status[16], detail[sizeof(err->detail) + 64];
    int code = err->status > 0 ? err->status : 500;

    if (&r->ctx.err != err && !scim_error_isset(&r->ctx.err))
        r->ctx.err = *err;
    snprintf(status, sizeof(status), "%d", code);
    snprintf(detail, sizeof(detail), "%s (request id %s)",
             err->detail[0] != '\0' ? err->detail : "Request failed.",
             r->id);
    /* A detail may quote raw URL bytes or end mid-character where it
     * was cut; JSON needs UTF-8, so such bytes become '?'. */
    utf8_scrub(detail);
    utf8_scrub(r->ctx.err.detail);
    json_object_set_new(body, "schemas",
                        json_pack("[s]", SCIM_MSG_ERROR));
    json_object_set_new(body, "status", json_string(status));
    if (err->scim_type[0] != '\0')
        json_object_set_new(body, "scimType", json_string(err->scim_type));
    json_object_set_new(body, "detail", json_string(detail));
    r->location[0] = '\0';
    r->etag[0] = '\0';
    respond_json(r, code, body);
}

void
respond_fail(struct req *r, int status, enum scim_cause cause,
             const char *scim_type, const char *attr, const char *fmt, ...)
{
    char detail[sizeof(r->ctx.err.detail)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    scim_error_clear(&r->ctx.err);
    scim_failf(&r->ctx.err, status, cause, scim_type, attr, "%s", detail);
    respond_error(r, &r->ctx.err);
}
